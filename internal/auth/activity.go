package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gatehouse/internal/store"
)

// Security activity events: a stable contract (the account's activity page
// and `gatehouse user activity --json` show these names).
const (
	EventSignIn               = "sign_in"
	EventSignInFailed         = "sign_in_failed"
	EventSecondFactorFailed   = "second_factor_failed"
	EventWaiting              = "waiting"
	EventPhoneChanged         = "phone_changed"
	EventTOTPEnabled          = "totp_enabled"
	EventTOTPRemoved          = "totp_removed"
	EventBackupCodesGenerated = "backup_codes_generated"
	EventBackupCodeUsed       = "backup_code_used"
	EventPasswordChanged      = "password_changed"
	EventPasswordReset        = "password_reset"
	EventSessionRevoked       = "session_revoked"
	EventDeviceRemembered     = "device_remembered"
	EventDeviceForgotten      = "device_forgotten"
	EventEmailVerified        = "email_verified"
)

// Events lists every activity event name.
var Events = []string{
	EventSignIn, EventSignInFailed, EventSecondFactorFailed, EventWaiting, EventPhoneChanged,
	EventTOTPEnabled, EventTOTPRemoved, EventBackupCodesGenerated, EventBackupCodeUsed,
	EventPasswordChanged, EventPasswordReset, EventSessionRevoked, EventDeviceRemembered,
	EventDeviceForgotten, EventEmailVerified,
}

// Activity records the security events of accounts. Record never fails the
// step it records: a recorder that cannot write logs the loss.
type Activity interface {
	Record(ctx context.Context, userID, event, detail string)
}

// ActivityStore is the persistence of the activity log; *store.DB implements it.
type ActivityStore interface {
	AddActivity(ctx context.Context, a store.ActivityRecord) error
	Activity(ctx context.Context, userID string, limit int) ([]store.ActivityRecord, error)
}

// Client is who makes a request: its network address and user agent.
type Client struct {
	IP        string
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying the client of the request, for the
// activity log and remembered devices.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientOf returns the client WithClient put in ctx.
func ClientOf(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// StoreActivity is the Activity that writes to an ActivityStore.
type StoreActivity struct {
	Store ActivityStore
	Now   func() time.Time
	Log   *slog.Logger
}

// Record implements Activity.
func (a StoreActivity) Record(ctx context.Context, userID, event, detail string) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	c := ClientOf(ctx)
	err := a.Store.AddActivity(ctx, store.ActivityRecord{UserID: userID, At: now(), IP: c.IP,
		UserAgent: c.UserAgent, Event: event, Detail: detail})
	if err != nil && a.Log != nil {
		a.Log.Warn("activity not recorded", "user", userID, "event", event, "err", err)
	}
}

// Event is one entry of an account's security activity.
type Event struct {
	At        time.Time
	IP        string
	UserAgent string
	Event     string
	Detail    string
}

// record notes an event of userID, when an activity log is set up.
func (s *Service) record(ctx context.Context, userID, event, detail string) {
	if s.activity != nil {
		s.activity.Record(ctx, userID, event, detail)
	}
}

// SignedIn records a completed sign-in and the factor that completed it.
func (s *Service) SignedIn(ctx context.Context, userID, method string) {
	s.record(ctx, userID, EventSignIn, method)
}

// RecentActivity returns the account's events, newest first; limit <= 0
// means all that are kept.
func (s *Service) RecentActivity(ctx context.Context, userID string, limit int) ([]Event, error) {
	if s.activityStore == nil {
		return nil, nil
	}
	recs, err := s.activityStore.Activity(ctx, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("auth: activity: %w", err)
	}
	out := make([]Event, len(recs))
	for i, r := range recs {
		out[i] = Event{At: r.At, IP: r.IP, UserAgent: r.UserAgent, Event: r.Event, Detail: r.Detail}
	}
	return out, nil
}

// notFound reports whether err is the store's "no such row".
func notFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
