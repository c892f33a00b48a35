package mail_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/mail"
)

var allKinds = []mail.NoticeKind{
	mail.NoticeNewDevice, mail.NoticePhoneChanged, mail.NoticePasswordChanged, mail.NoticePasswordReset,
	mail.NoticeAuthenticatorAdded, mail.NoticeAuthenticatorRemoved, mail.NoticeBackupCodes,
	mail.NoticeAccountWaiting, mail.NoticeVerifyEmail, mail.NoticeResetLink, mail.NoticeRegisterAttempt,
}

func isLinkKind(k mail.NoticeKind) bool {
	return k == mail.NoticeVerifyEmail || k == mail.NoticeResetLink
}

// notice returns a complete notice of kind k.
func notice(k mail.NoticeKind) mail.Notice {
	n := mail.Notice{
		Kind: k, To: "alice@example.com", When: t0.In(time.FixedZone("CET", 3600)),
		IP: "203.0.113.7", Browser: "Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0",
		Until: t0.Add(15 * time.Minute), Portal: "https://login.example.com", Issuer: "Acme Login",
	}
	if isLinkKind(k) {
		n.Link, n.LinkTTL = "https://login.example.com/email/confirm?token=T0KEN", 30*time.Minute
	}
	return n
}

func TestNoticeMessages(t *testing.T) {
	subjects := map[string]bool{}
	for _, k := range allKinds {
		n := notice(k)
		m, err := n.Message()
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if m.To != n.To || m.Kind != string(k) || subjects[m.Subject] || !strings.Contains(m.Subject, "Acme Login") {
			t.Errorf("%s: message %q to %q kind %q", k, m.Subject, m.To, m.Kind)
		}
		subjects[m.Subject] = true
		for _, want := range []string{"Monday, 2 March 2026, 14:05 UTC", "203.0.113.7", "Firefox/124.0", "not you", "Acme Login"} {
			if want == "not you" && (k == mail.NoticeVerifyEmail) {
				want = "did not register"
			}
			if !strings.Contains(m.Body, want) {
				t.Errorf("%s: body does not say %q:\n%s", k, want, m.Body)
			}
		}
		links := mail.Links(m.Body)
		if isLinkKind(k) != slices.Contains(links, n.Link) {
			t.Errorf("%s: links %q", k, links)
		}
		if isLinkKind(k) && !strings.Contains(m.Body, "expires 30 minutes after") {
			t.Errorf("%s: body does not say when the link expires:\n%s", k, m.Body)
		}
	}
	m, _ := notice(mail.NoticeAccountWaiting).Message()
	if !strings.Contains(m.Body, "until Monday, 2 March 2026, 14:20 UTC") {
		t.Errorf("account waiting does not say until when:\n%s", m.Body)
	}
	m, _ = notice(mail.NoticePasswordChanged).Message()
	if !strings.Contains(m.Body, "reset your password at https://login.example.com right away") {
		t.Errorf("password changed does not say where to act:\n%s", m.Body)
	}
}

func TestNoticeDefaultsAndCleaning(t *testing.T) {
	n := notice(mail.NoticeNewDevice)
	n.Issuer, n.Portal, n.IP = "", "", ""
	n.Browser = "Evil\u202e\r\nBcc: x" + strings.Repeat("A", 300)
	m, err := n.Message()
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "New sign-in to your Gatehouse account" {
		t.Errorf("subject = %q", m.Subject)
	}
	if strings.ContainsAny(m.Body, "\u202e\r") || strings.Contains(m.Body, "\nBcc") || strings.Contains(m.Body, strings.Repeat("A", 120)) {
		t.Errorf("browser not cleaned:\n%q", m.Body)
	}
	if !strings.Contains(m.Body, "Where:   IP address unknown") || !strings.Contains(m.Body, "reset your password, check") {
		t.Errorf("defaults:\n%s", m.Body)
	}
}

func TestNoticeErrors(t *testing.T) {
	edits := map[string]func(*mail.Notice){
		"unknown kind":       func(n *mail.Notice) { n.Kind = "party" },
		"no time":            func(n *mail.Notice) { n.When = time.Time{} },
		"bad recipient":      func(n *mail.Notice) { n.To = "alice" },
		"link on a notice":   func(n *mail.Notice) { n.Link = "https://login.example.com/x" },
		"waiting, no until":  func(n *mail.Notice) { n.Kind = mail.NoticeAccountWaiting; n.Until = time.Time{} },
		"missing link":       func(n *mail.Notice) { n.Kind = mail.NoticeResetLink },
		"link not http":      func(n *mail.Notice) { n.Kind, n.Link = mail.NoticeResetLink, "javascript:alert(1)" },
		"link with space":    func(n *mail.Notice) { n.Kind, n.Link = mail.NoticeResetLink, "https://a.example/x y" },
		"portal not http":    func(n *mail.Notice) { n.Portal = "login.example.com" },
		"issuer with breaks": func(n *mail.Notice) { n.Issuer = "Acme\r\nBcc: eve@example.com" },
	}
	for name, edit := range edits {
		n := notice(mail.NoticePasswordChanged)
		edit(&n)
		if _, err := n.Message(); !errors.Is(err, mail.ErrInvalidMessage) {
			t.Errorf("%s: Message() = %v, want ErrInvalidMessage", name, err)
		}
	}
}

func TestNoticeText(t *testing.T) {
	m, err := notice(mail.NoticePhoneChanged).Message()
	if err != nil {
		t.Fatal(err)
	}
	const want = `Hello,

The phone number that receives your sign-in codes was changed. Codes now go to the new number.

When:    Monday, 2 March 2026, 14:05 UTC
Where:   IP address 203.0.113.7
Browser: Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0

If this was not you, reset your password at https://login.example.com and tell your Acme Login administrator at once.

-- 
Acme Login
`
	if m.Subject != "The phone number on your Acme Login account changed" || m.Body != want {
		t.Fatalf("notice = %q\n%s", m.Subject, m.Body)
	}
}
