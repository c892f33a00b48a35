package web

import (
	"context"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/useragent"
)

// securityView is the part of a view about sessions, remembered devices and
// the activity log.
type securityView struct {
	RememberDays int        // second-factor pages: days of "remember this device"; 0 hides it
	Sessions     []agentRow // account_sessions
	Devices      []agentRow // account: remembered devices
	Activity     []eventRow // account, account_activity
	MoreActivity bool       // account: the list is cut at accountActivity
	Reauth       bool       // an action needed a recent second factor
}

// agentRow is a session or remembered device as listed.
type agentRow struct {
	ID       string
	Agent    string // "Firefox 126 on Linux"
	IP       string
	Since    string // signed in / remembered at
	SinceISO string
	Last     string // last seen / used
	LastISO  string
	Current  bool
}

// eventRow is one activity entry as listed.
type eventRow struct {
	At, AtISO, Label, Event, Detail, Agent, IP string
	Failed                                     bool
}

// accountActivity is how many events the account page shows.
const accountActivity = 20

// shown formats a time for the lists; the ISO form goes in datetime.
func shown(t time.Time) (string, string) {
	if t.IsZero() {
		return "", ""
	}
	t = t.UTC()
	return t.Format("2 Jan 2006, 15:04 UTC"), t.Format(time.RFC3339)
}

func agentName(ua string) string {
	if ua == "" {
		return "Unknown browser"
	}
	return useragent.Parse(ua).String()
}

func sessionRows(list []auth.Session) []agentRow {
	out := make([]agentRow, len(list))
	for i, x := range list {
		r := agentRow{ID: x.ID, Agent: agentName(x.UserAgent), IP: x.IP, Current: x.Current}
		r.Since, r.SinceISO = shown(x.CreatedAt)
		r.Last, r.LastISO = shown(x.LastSeen)
		out[i] = r
	}
	return out
}

func deviceRows(list []auth.RememberedDevice) []agentRow {
	out := make([]agentRow, len(list))
	for i, x := range list {
		r := agentRow{ID: x.ID, Agent: agentName(x.UserAgent), IP: x.IP}
		r.Since, r.SinceISO = shown(x.CreatedAt)
		r.Last, r.LastISO = shown(x.LastUsed)
		out[i] = r
	}
	return out
}

// eventLabels names the activity events for people.
var eventLabels = map[string]string{
	auth.EventSignIn:               "Signed in",
	auth.EventSignInFailed:         "Failed sign-in",
	auth.EventSecondFactorFailed:   "Wrong verification code",
	auth.EventWaiting:              "Sign-in paused after failures",
	auth.EventPhoneChanged:         "Phone number changed",
	auth.EventTOTPEnabled:          "Authenticator app added",
	auth.EventTOTPRemoved:          "Authenticator app removed",
	auth.EventBackupCodesGenerated: "New backup codes created",
	auth.EventBackupCodeUsed:       "Backup code used",
	auth.EventPasswordChanged:      "Password changed",
	auth.EventPasswordReset:        "Password reset",
	auth.EventSessionRevoked:       "Signed out a session",
	auth.EventDeviceRemembered:     "Device remembered",
	auth.EventDeviceForgotten:      "Device forgotten",
	auth.EventEmailVerified:        "Email address verified",
}

func eventRows(list []auth.Event) []eventRow {
	out := make([]eventRow, len(list))
	for i, e := range list {
		r := eventRow{Label: eventLabels[e.Event], Event: e.Event, Detail: e.Detail, Agent: agentName(e.UserAgent), IP: e.IP,
			Failed: e.Event == auth.EventSignInFailed || e.Event == auth.EventSecondFactorFailed}
		if r.Label == "" {
			r.Label = e.Event
		}
		if e.Event == auth.EventSignIn {
			r.Detail = methodName(e.Detail)
		}
		r.At, r.AtISO = shown(e.At)
		out[i] = r
	}
	return out
}

// accountPageView is the account page's view with its devices and latest
// activity.
func (s *server) accountPageView(ctx context.Context, v visitor) (*view, error) {
	vw, err := s.accountView(ctx, v, "Account settings")
	if err != nil {
		return nil, err
	}
	devs, err := s.auth.RememberedDevices(ctx, v.userID)
	if err != nil {
		return nil, err
	}
	vw.Devices = deviceRows(devs)
	events, err := s.auth.RecentActivity(ctx, v.userID, accountActivity+1)
	if err != nil {
		return nil, err
	}
	if len(events) > accountActivity {
		events, vw.MoreActivity = events[:accountActivity], true
	}
	vw.Activity = eventRows(events)
	return vw, nil
}
