package auth

import (
	"context"
	"errors"
	"gatehouse/internal/store"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/mail"
)

// fakeNotifier records notices instead of mailing them.
type fakeNotifier struct {
	mu   sync.Mutex
	sent []sentNotice
}

type sentNotice struct {
	userID string
	n      mail.Notice
}

func (f *fakeNotifier) Notify(_ context.Context, userID string, n mail.Notice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sentNotice{userID, n})
	return nil
}

// kinds lists the kinds sent to userID, oldest first.
func (f *fakeNotifier) kinds(userID string) []mail.NoticeKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []mail.NoticeKind
	for _, s := range f.sent {
		if s.userID == userID {
			out = append(out, s.n.Kind)
		}
	}
	return out
}

// token returns the token of the last link of kind sent to userID.
func (f *fakeNotifier) token(t *testing.T, userID string, kind mail.NoticeKind) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.sent) - 1; i >= 0; i-- {
		if s := f.sent[i]; s.userID == userID && s.n.Kind == kind {
			u, err := url.Parse(s.n.Link)
			if err != nil || !strings.HasPrefix(s.n.Link, "https://login.example.com/") {
				t.Fatalf("link %q", s.n.Link)
			}
			return u.Query().Get("token")
		}
	}
	t.Fatalf("no %s sent to %s", kind, userID)
	return ""
}

// fakeSessions records which sign-ins were ended.
type fakeSessions struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeSessions) UserSessions(context.Context, string, string, time.Time) ([]store.SessionInfo, error) {
	return nil, nil
}

func (f *fakeSessions) RevokeSession(context.Context, string, string) error { return nil }

func (f *fakeSessions) RevokeOtherSessions(_ context.Context, userID, keep string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if keep == "" {
		f.calls = append(f.calls, "all "+userID)
	} else {
		f.calls = append(f.calls, "others "+userID+" keep "+keep)
	}
	return 0, nil
}

// fakeRecorder records activity events.
type fakeRecorder struct {
	mu     sync.Mutex
	events []string
}

func (f *fakeRecorder) Record(_ context.Context, userID, event, _ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, userID+" "+event)
}

type mailFixture struct {
	*fixture
	mail     *fakeNotifier
	sessions *fakeSessions
	rec      *fakeRecorder
}

func newMailFixture(t *testing.T) *mailFixture {
	t.Helper()
	f := newFixture(t)
	m := &mailFixture{fixture: f, mail: &fakeNotifier{}, sessions: &fakeSessions{}, rec: &fakeRecorder{}}
	var err error
	f.svc, err = New(Options{
		Store: f.db, Verifier: f.ver, Captcha: fakeCaptcha{}, Hasher: f.hash,
		LimitKey: []byte(strings.Repeat("k", 32)), BackupKey: []byte(strings.Repeat("b", 32)),
		ReplayKey: []byte(strings.Repeat("r", 32)), LinkKey: []byte(strings.Repeat("l", 32)), Now: f.clock.Now,
		Notifier: m.mail, Sessions: m.sessions, Activity: m.rec, PortalURL: "https://login.example.com/",
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// settle waits for the background steps.
func (m *mailFixture) settle(t *testing.T) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := m.svc.Wait(c); err != nil {
		t.Fatal(err)
	}
}

func TestRegistrationTakenEmail(t *testing.T) {
	m := newMailFixture(t)
	ada := m.register(t, "ada@example.com", "(201) 555-0123")
	m.settle(t)
	if k := m.mail.kinds(ada.ID); len(k) != 1 || k[0] != mail.NoticeVerifyEmail {
		t.Fatalf("new account got %v, want the verification link", k)
	}
	m.clock.Advance(time.Hour)
	got := m.register(t, "ADA@example.com", "(201) 555-0199")
	m.settle(t)
	if got.ID != "" {
		t.Fatalf("a second account was created: %+v", got)
	}
	users, err := m.db.ListUsers(ctx)
	if err != nil || len(users) != 1 {
		t.Fatalf("%d users, %v", len(users), err)
	}
	if k := m.mail.kinds(ada.ID); len(k) != 2 || k[1] != mail.NoticeRegisterAttempt {
		t.Fatalf("owner got %v, want a register-attempt notice", k)
	}
}

func TestVerifyEmail(t *testing.T) {
	m := newMailFixture(t)
	ada := m.register(t, "ada@example.com", "(201) 555-0123")
	m.settle(t)
	tok := m.mail.token(t, ada.ID, mail.NoticeVerifyEmail)
	if ok, _ := m.svc.EmailVerified(ctx, ada.ID); ok {
		t.Fatal("verified before the link was opened")
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), tok + "x"} {
		if err := m.svc.VerifyEmail(ctx, bad, "192.0.2.1", "ua"); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	if err := m.svc.VerifyEmail(ctx, tok, "192.0.2.1", "ua"); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.svc.EmailVerified(ctx, ada.ID); !ok || err != nil {
		t.Fatalf("verified = %v, %v", ok, err)
	}
	if err := m.svc.VerifyEmail(ctx, tok, "192.0.2.1", "ua"); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("second use: %v", err)
	}
	if len(m.rec.events) != 1 || m.rec.events[0] != ada.ID+" email_verified" {
		t.Fatalf("events %v", m.rec.events)
	}
	// A verified address gets no more links.
	if err := m.svc.ResendVerification(ctx, ada.ID, "192.0.2.1", "ua"); err != nil {
		t.Fatal(err)
	}
	m.settle(t)
	if n := len(m.mail.kinds(ada.ID)); n != 1 {
		t.Fatalf("%d mails after resend to a verified address", n)
	}
}

func TestVerifyEmailExpiresAndResendLimit(t *testing.T) {
	m := newMailFixture(t)
	ada := m.register(t, "ada@example.com", "(201) 555-0123")
	m.settle(t)
	first := m.mail.token(t, ada.ID, mail.NoticeVerifyEmail)
	m.clock.Advance(VerifyEmailTTL)
	if err := m.svc.VerifyEmail(ctx, first, "", ""); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("expired link: %v", err)
	}
	for i := range verifyResendsPerHour {
		if err := m.svc.ResendVerification(ctx, ada.ID, "192.0.2.1", "ua"); err != nil {
			t.Fatalf("resend %d: %v", i, err)
		}
	}
	var le *LimitError
	if err := m.svc.ResendVerification(ctx, ada.ID, "192.0.2.1", "ua"); !errors.As(err, &le) {
		t.Fatalf("resend beyond the cap: %v", err)
	}
	m.settle(t)
	if err := m.svc.VerifyEmail(ctx, m.mail.token(t, ada.ID, mail.NoticeVerifyEmail), "", ""); err != nil {
		t.Fatalf("newest link: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	m := newMailFixture(t)
	ada := m.register(t, "ada@example.com", "(201) 555-0123")
	m.settle(t)
	in := ChangePasswordInput{UserID: ada.ID, Current: "wrong password here", New: "a brand new passphrase", KeepToken: "tok-1"}
	if err := m.svc.ChangePassword(ctx, in); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong current: %v", err)
	}
	var ve *ValidationError
	in.Current = testPassword
	for _, bad := range []string{"short", "password123", testPassword} {
		in.New = bad
		if err := m.svc.ChangePassword(ctx, in); !errors.As(err, &ve) || ve.Fields["new_password"] == "" {
			t.Fatalf("new %q: %v", bad, err)
		}
	}
	if len(m.sessions.calls) != 0 {
		t.Fatal("a refused change ended sessions")
	}
	in.New = "a brand new passphrase"
	if err := m.svc.ChangePassword(ctx, in); err != nil {
		t.Fatal(err)
	}
	m.settle(t)
	if _, err := m.svc.Login(ctx, LoginInput{Email: "ada@example.com", Password: in.New, Captcha: "ok", IP: "192.0.2.9"}); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if _, err := m.svc.Login(ctx, LoginInput{Email: "ada@example.com", Password: testPassword, Captcha: "ok", IP: "192.0.2.9"}); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("old password: %v", err)
	}
	if got := strings.Join(m.sessions.calls, ";"); got != "others "+ada.ID+" keep tok-1" {
		t.Fatalf("sessions ended: %q", got)
	}
	if k := m.mail.kinds(ada.ID); k[len(k)-1] != mail.NoticePasswordChanged {
		t.Fatalf("notices %v", k)
	}
	if !slices.Contains(m.rec.events, ada.ID+" password_changed") {
		t.Fatalf("events %v", m.rec.events)
	}
}
