package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/mail"
)

// forgot asks for a reset link for email and returns the token mailed to
// userID ("" when none is expected).
func (m *mailFixture) forgot(t *testing.T, email, userID string) string {
	t.Helper()
	if err := m.svc.ForgotPassword(ctx, ForgotInput{Email: email, Captcha: "ok", IP: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	m.settle(t)
	if userID == "" {
		return ""
	}
	return m.mail.token(t, userID, mail.NoticeResetLink)
}

func TestForgotPasswordSendsOnlyToAccounts(t *testing.T) {
	m := newMailFixture(t)
	ada := m.register(t, "ada@example.com", "(201) 555-0123")
	m.settle(t)
	before := len(m.mail.sent)
	m.forgot(t, "nobody@example.com", "")
	if len(m.mail.sent) != before {
		t.Fatal("a mail went out for an address without an account")
	}
	tok := m.forgot(t, " ADA@example.com", ada.ID)
	if !wellFormed(tok) {
		t.Fatalf("token %q", tok)
	}
	// A wrong CAPTCHA is refused whatever the address.
	if err := m.svc.ForgotPassword(ctx, ForgotInput{Email: "ada@example.com", Captcha: "no", IP: "192.0.2.7"}); !errors.Is(err, ErrCaptcha) {
		t.Fatalf("captcha: %v", err)
	}
	// At most linksPerAddress links an hour reach one address; the answer
	// does not change.
	for range linksPerAddress + 2 {
		m.forgot(t, "ada@example.com", "")
	}
	if n := len(m.mail.kinds(ada.ID)); n != 1+linksPerAddress {
		t.Fatalf("%d mails, want %d", n, 1+linksPerAddress)
	}
}

func TestResetWithSMS(t *testing.T) {
	m := newMailFixture(t)
	ada := m.register(t, "ada@example.com", "(201) 555-0123")
	m.settle(t)
	r, err := m.svc.OpenReset(ctx, m.forgot(t, "ada@example.com", ada.ID))
	if err != nil {
		t.Fatal(err)
	}
	o, err := m.svc.ResetFactors(ctx, r)
	if err != nil || !o.SMS || o.TOTP || o.MaskedPhone == "" {
		t.Fatalf("options %+v, %v", o, err)
	}
	if err := m.svc.FinishReset(ctx, r, "a brand new passphrase", "", ""); !errors.Is(err, ErrFactorDue) {
		t.Fatalf("finish before the factor: %v", err)
	}
	if _, err := m.svc.CheckResetCode(ctx, r, "123456", "", ""); !errors.Is(err, ErrNoCodeSent) {
		t.Fatalf("check before a send: %v", err)
	}
	m.clock.Advance(time.Minute)
	if r, err = m.svc.SendResetCode(ctx, r, "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	if r, err = m.svc.CheckResetCode(ctx, r, codeFor("+12015550123"), "", "192.0.2.7"); err != nil || !r.Passed || r.Method != MethodSMS {
		t.Fatalf("check: %+v, %v", r, err)
	}
	var ve *ValidationError
	if err := m.svc.FinishReset(ctx, r, "short", "", ""); !errors.As(err, &ve) || ve.Fields["password"] == "" {
		t.Fatalf("weak password: %v", err)
	}
	if err := m.svc.FinishReset(ctx, r, "a brand new passphrase", "192.0.2.7", "ua"); err != nil {
		t.Fatal(err)
	}
	m.settle(t)
	if err := m.svc.FinishReset(ctx, r, "yet another passphrase", "", ""); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("second finish with one link: %v", err)
	}
	if _, err := m.svc.Login(ctx, LoginInput{Email: "ada@example.com", Password: "a brand new passphrase", Captcha: "ok", IP: "192.0.2.9"}); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if got := strings.Join(m.sessions.calls, ";"); got != "all "+ada.ID {
		t.Fatalf("sessions ended: %q", got)
	}
	if k := m.mail.kinds(ada.ID); k[len(k)-1] != mail.NoticePasswordReset {
		t.Fatalf("notices %v", k)
	}
	if m.rec.events[len(m.rec.events)-1] != ada.ID+" password_reset" {
		t.Fatalf("events %v", m.rec.events)
	}
}

func TestResetWrongCodesEndIt(t *testing.T) {
	m := newMailFixture(t)
	ada := m.register(t, "ada@example.com", "(201) 555-0123")
	m.settle(t)
	tok := m.forgot(t, "ada@example.com", ada.ID)
	r, err := m.svc.OpenReset(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	m.clock.Advance(time.Minute)
	if r, err = m.svc.SendResetCode(ctx, r, "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= resetCodes; i++ {
		_, err := m.svc.CheckResetCode(ctx, r, "999999", "", "192.0.2.7")
		want := ErrWrongCode
		if i == resetCodes {
			want = ErrResetLocked
		}
		if !errors.Is(err, want) {
			t.Fatalf("try %d: %v, want %v", i, err, want)
		}
	}
	// The link is void: the right code, or opening it again, gets nowhere.
	if _, err := m.svc.CheckResetCode(ctx, r, codeFor("+12015550123"), "", ""); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("after the last try: %v", err)
	}
	if _, err := m.svc.OpenReset(ctx, tok); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("reopen: %v", err)
	}
}

func TestResetWithBackupCodeAndExpiry(t *testing.T) {
	m := newMailFixture(t)
	ada := m.register(t, "ada@example.com", "(201) 555-0123")
	codes, err := m.svc.GenerateBackupCodes(ctx, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	m.settle(t)
	r, err := m.svc.OpenReset(ctx, m.forgot(t, "ada@example.com", ada.ID))
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := m.svc.ResetFactors(ctx, r); o.BackupCodes != 10 {
		t.Fatalf("options %+v", o)
	}
	if _, err := m.svc.CheckResetCode(ctx, r, "", "0000-0000-0000", ""); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("wrong backup code: %v", err)
	}
	if r, err = m.svc.CheckResetCode(ctx, r, "", codes[0], ""); err != nil || r.Method != MethodBackup {
		t.Fatalf("backup code: %+v, %v", r, err)
	}
	// The reset ends with its link.
	m.clock.Advance(ResetLinkTTL)
	if err := m.svc.FinishReset(ctx, r, "a brand new passphrase", "", ""); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("after expiry: %v", err)
	}
	if _, err := m.svc.OpenReset(ctx, "not-a-token"); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("nonsense token: %v", err)
	}
}
