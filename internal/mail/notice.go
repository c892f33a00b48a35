package mail

import (
	"cmp"
	"fmt"
	"gatehouse/internal/verify"
	"strings"
	"time"
	"unicode"
)

// NoticeKind names a security notice; it is also the Message.Kind logs show.
type NoticeKind string

// Notice kinds. The link kinds need Notice.Link.
const (
	NoticeNewDevice            NoticeKind = "new_device"
	NoticePhoneChanged         NoticeKind = "phone_changed"
	NoticePasswordChanged      NoticeKind = "password_changed"
	NoticePasswordReset        NoticeKind = "password_reset"
	NoticeAuthenticatorAdded   NoticeKind = "authenticator_added"
	NoticeAuthenticatorRemoved NoticeKind = "authenticator_removed"
	NoticeBackupCodes          NoticeKind = "backup_codes_generated"
	NoticeAccountWaiting       NoticeKind = "account_waiting"
	NoticeVerifyEmail          NoticeKind = "verify_email" // link
	NoticeResetLink            NoticeKind = "reset_link"   // link
	NoticeRegisterAttempt      NoticeKind = "register_attempt"
)

// Notice is what happened to an account, to tell its owner. It has no field
// for a code or a password, so no notice can carry one.
type Notice struct {
	Kind    NoticeKind
	To      string        // the owner's address
	When    time.Time     // shown in UTC
	IP      string        // the client that caused it
	Browser string        // its User-Agent; shortened, control characters removed
	Link    string        // NoticeVerifyEmail, NoticeResetLink: the one-time http(s) link
	LinkTTL time.Duration // how long Link works; zero leaves out when it expires
	Until   time.Time     // NoticeAccountWaiting: when the wait ends
	Portal  string        // optional: the portal's address, offered where to act
	Issuer  string        // the portal's name, default verify.DefaultIssuer
}

// noticeText is one kind's wording. In subject and advice, {issuer} is the
// portal's name and {at} the place to act (" at https://…" or "").
type noticeText struct {
	subject string
	what    func(n Notice) string
	advice  string
	link    bool
}

const contactAdmin = "tell your {issuer} administrator at once."

var notices = map[NoticeKind]noticeText{
	NoticeNewDevice: {subject: "New sign-in to your {issuer} account",
		what:   fixed("Your account was signed in to from a device or browser that had not been used before."),
		advice: "If this was not you, someone knows your password and passed your second factor: reset your password{at}, check your authenticators and phone number, and " + contactAdmin},
	NoticePhoneChanged: {subject: "The phone number on your {issuer} account changed",
		what:   fixed("The phone number that receives your sign-in codes was changed. Codes now go to the new number."),
		advice: "If this was not you, reset your password{at} and " + contactAdmin},
	NoticePasswordChanged: {subject: "Your {issuer} password was changed",
		what:   fixed("The password of your account was changed. Remembered devices were forgotten."),
		advice: "If this was not you, reset your password{at} right away and " + contactAdmin},
	NoticePasswordReset: {subject: "Your {issuer} password was reset",
		what:   fixed("The password of your account was reset, and every session and remembered device was signed out."),
		advice: "If this was not you, " + contactAdmin + " Someone had access to your mailbox and your second factor."},
	NoticeAuthenticatorAdded: {subject: "An authenticator was added to your {issuer} account",
		what:   fixed("An authenticator app was added to your account. It can now be used to sign in."),
		advice: "If this was not you, reset your password{at}, remove the authenticator, and " + contactAdmin},
	NoticeAuthenticatorRemoved: {subject: "An authenticator was removed from your {issuer} account",
		what:   fixed("An authenticator app was removed from your account. It no longer signs you in."),
		advice: "If this was not you, reset your password{at} and " + contactAdmin},
	NoticeBackupCodes: {subject: "New backup codes for your {issuer} account",
		what:   fixed("A new set of backup codes was created for your account. The previous codes no longer work."),
		advice: "If this was not you, reset your password{at} and " + contactAdmin},
	NoticeAccountWaiting: {subject: "Sign-ins to your {issuer} account are paused",
		what: func(n Notice) string {
			return fmt.Sprintf("After repeated failed sign-in attempts, further attempts must wait until %s.", humanTime(n.Until))
		},
		advice: "If this was not you, someone may be guessing your password. The wait protects your account; if you use this password anywhere else, change it there, and reset it here{at}. An administrator can end the wait."},
	NoticeVerifyEmail: {subject: "Confirm your email address for {issuer}", link: true,
		what:   linkText("To confirm this address for your new account, open this link:"),
		advice: "If you did not register, ignore this mail: nothing is set up without this link."},
	NoticeResetLink: {subject: "Reset your {issuer} password", link: true,
		what:   linkText("Someone asked to reset the password of your account. To choose a new password, open this link:"),
		advice: "If this was not you, ignore this mail: your password stays as it is. If such mails keep coming, tell your {issuer} administrator."},
	NoticeRegisterAttempt: {subject: "Someone tried to register with your address at {issuer}",
		what:   fixed("Someone tried to register a new account with this email address, which already has an account. No new account was created."),
		advice: "If this was you, sign in{at} instead, or reset your password if you forgot it. If it was not you, nothing is needed: this gives nobody access to your account."},
}

// Message returns the notice's mail: what happened, when, from where, and
// what to do if it was not the owner.
func (n Notice) Message() (Message, error) {
	t, ok := notices[n.Kind]
	if !ok {
		return Message{}, fmt.Errorf("%w: unknown notice kind %q", ErrInvalidMessage, n.Kind)
	}
	if err := n.check(t.link); err != nil {
		return Message{}, err
	}
	issuer := cmp.Or(n.Issuer, verify.DefaultIssuer)
	where := ""
	if n.Portal != "" {
		where = " at " + n.Portal
	}
	fill := strings.NewReplacer("{issuer}", issuer, "{at}", where)
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\n%s\n\n", t.what(n))
	fmt.Fprintf(&b, "When:    %s\n", humanTime(n.When))
	fmt.Fprintf(&b, "Where:   IP address %s\n", cmp.Or(clean(n.IP, 64), "unknown"))
	fmt.Fprintf(&b, "Browser: %s\n\n", cmp.Or(clean(n.Browser, 120), "unknown"))
	b.WriteString(fill.Replace(t.advice) + "\n\n")
	fmt.Fprintf(&b, "-- \n%s\n", issuer)
	m := Message{To: n.To, Subject: fill.Replace(t.subject), Body: b.String(), Kind: string(n.Kind)}
	if err := m.validate(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// check reports a notice that misses what its kind needs.
func (n Notice) check(link bool) error {
	switch {
	case n.When.IsZero():
		return fmt.Errorf("%w: notice %s: missing When", ErrInvalidMessage, n.Kind)
	case n.Kind == NoticeAccountWaiting && n.Until.IsZero():
		return fmt.Errorf("%w: notice %s: missing Until", ErrInvalidMessage, n.Kind)
	case link && !isURL(n.Link):
		return fmt.Errorf("%w: notice %s: Link must be one http(s) URL", ErrInvalidMessage, n.Kind)
	case !link && n.Link != "":
		return fmt.Errorf("%w: notice %s carries no link", ErrInvalidMessage, n.Kind)
	case n.Portal != "" && !isURL(n.Portal):
		return fmt.Errorf("%w: Portal must be an http(s) URL", ErrInvalidMessage)
	}
	return nil
}

// isURL reports whether s is exactly one http(s) URL, as Links finds them.
func isURL(s string) bool {
	l := Links(s)
	return len(l) == 1 && l[0] == s
}

// fixed is a what that does not depend on the notice.
func fixed(s string) func(Notice) string { return func(Notice) string { return s } }

// linkText puts the link on a line of its own, then how long it works.
func linkText(intro string) func(Notice) string {
	return func(n Notice) string {
		s := intro + "\n\n    " + n.Link + "\n\nIt works once."
		if n.LinkTTL > 0 {
			s = strings.TrimSuffix(s, ".") + " and expires " + humanDuration(n.LinkTTL) + " after it was sent."
		}
		return s + " The request came from:"
	}
}

// humanTime formats t in UTC for people: "Monday, 2 March 2026, 14:05 UTC".
func humanTime(t time.Time) string {
	return t.UTC().Format("Monday, 2 January 2006, 15:04 MST")
}

// humanDuration says d in whole hours or minutes: "30 minutes", "1 hour".
func humanDuration(d time.Duration) string {
	n, unit := int(d/time.Minute), "minute"
	if d >= time.Hour && d%time.Hour == 0 {
		n, unit = int(d/time.Hour), "hour"
	}
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", max(n, 1), unit)
}

// clean drops control and formatting characters (line breaks, bidi
// overrides) from a client-supplied value and cuts it to limit runes.
func clean(s string, limit int) string {
	r := []rune(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s))
	if len(r) > limit {
		r = append(r[:limit-1], '…')
	}
	return strings.TrimSpace(string(r))
}
