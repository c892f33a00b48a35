package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/fakeclock"
	"gatehouse/internal/store"
	"gatehouse/internal/verify"
)

// fakeVerifier is an in-memory SMS verifier: the code for a number is always
// its last four digits followed by "00", and it counts calls.
type fakeVerifier struct {
	mu       sync.Mutex
	sends    map[string]int
	fail     error // returned by every call when set
	checks   int
	cancels  int
	texts    []string // "to: body" of every SendText
	starters map[string]verify.Target
}

func newFakeVerifier() *fakeVerifier { return &fakeVerifier{sends: map[string]int{}} }

func codeFor(to string) string { return to[len(to)-4:] + "00" }

func (f *fakeVerifier) StartSMS(ctx context.Context, t verify.Target) (verify.Verification, error) {
	to := t.Phone
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return verify.Verification{}, f.fail
	}
	f.sends[to]++
	return verify.Verification{SID: "VE1", To: to, Status: "pending", Sends: f.sends[to]}, nil
}

func (f *fakeVerifier) CheckSMS(ctx context.Context, t verify.Target, code string) (verify.Check, error) {
	to := t.Phone
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks++
	if f.fail != nil {
		return verify.Check{}, f.fail
	}
	if f.sends[to] == 0 {
		return verify.Check{}, verify.ErrNotFound
	}
	return verify.Check{Approved: code == codeFor(to)}, nil
}

func (f *fakeVerifier) CancelSMS(ctx context.Context, t verify.Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels++
	return f.fail
}

func (f *fakeVerifier) SendText(ctx context.Context, to, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.texts = append(f.texts, to+": "+body)
	return nil
}

func (f *fakeVerifier) totalSends() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.sends {
		n += v
	}
	return n
}

func (f *fakeVerifier) CreateTOTPFactor(ctx context.Context, identity, name string) (verify.Factor, error) {
	return verify.Factor{}, errors.New("not in this fake")
}
func (f *fakeVerifier) VerifyTOTPFactor(ctx context.Context, identity, sid, code string) (verify.Check, error) {
	return verify.Check{}, errors.New("not in this fake")
}
func (f *fakeVerifier) ChallengeTOTP(ctx context.Context, identity, sid, code string) (verify.Check, error) {
	return verify.Check{}, errors.New("not in this fake")
}
func (f *fakeVerifier) DeleteTOTPFactor(ctx context.Context, identity, sid string) error {
	return errors.New("not in this fake")
}

// fakeCaptcha accepts the token "ok".
type fakeCaptcha struct{}

func (fakeCaptcha) Verify(ctx context.Context, token, ip string) error {
	if token != "ok" {
		return errors.New("captcha: invalid")
	}
	return nil
}

// fakeHasher "hashes" by prefixing, so domain tests don't pay argon2's cost.
type fakeHasher struct {
	mu       sync.Mutex
	dummies  int
	hashes   int
	verifies int
	delay    time.Duration // each Verify takes this long (real time)
}

func (h *fakeHasher) Hash(ctx context.Context, pw string) (string, error) {
	h.mu.Lock()
	h.hashes++
	h.mu.Unlock()
	return "h:" + pw, nil
}
func (h *fakeHasher) Verify(ctx context.Context, hash, pw string) (bool, error) {
	h.mu.Lock()
	h.verifies++
	d := h.delay
	h.mu.Unlock()
	time.Sleep(d)
	return hash == "h:"+pw, nil
}
func (h *fakeHasher) VerifyDummy(ctx context.Context, pw string) error {
	h.mu.Lock()
	h.dummies++
	h.mu.Unlock()
	return nil
}

type fixture struct {
	svc   *Service
	db    *store.DB
	clock *fakeclock.Clock
	ver   *fakeVerifier
	hash  *fakeHasher
}

func newFixture(t *testing.T) *fixture { t.Helper(); return newFixtureWith(t, Limits{}) }

// newFixtureWith is newFixture with limits other than the defaults.
func newFixtureWith(t *testing.T, lim Limits) *fixture {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, clock: fakeclock.New(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)),
		ver: newFakeVerifier(), hash: &fakeHasher{}}
	f.svc, err = New(Options{
		Store: db, Verifier: f.ver, Captcha: fakeCaptcha{}, Hasher: f.hash,
		LimitKey: []byte(strings.Repeat("k", 32)), BackupKey: []byte(strings.Repeat("b", 32)),
		ReplayKey: []byte(strings.Repeat("r", 32)), LinkKey: []byte(strings.Repeat("l", 32)), Now: f.clock.Now, Limits: lim, Texter: f.ver,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const testPassword = "a long enough passphrase"

// register runs the whole registration for email with phone.
func (f *fixture) register(t *testing.T, email, phone string) Account {
	t.Helper()
	ctx := context.Background()
	r, err := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "Ada", LastName: "Lovelace", Email: email, Captcha: "ok", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	r, err = f.svc.RegisterCredentials(ctx, r, testPassword, phone, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.svc.RegisterVerify(ctx, r, codeFor(r.Phone))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) login(t *testing.T, email string) PreAuth {
	t.Helper()
	pa, err := f.svc.Login(context.Background(), LoginInput{Email: email, Password: testPassword, Captcha: "ok", IP: "192.0.2.9"})
	if err != nil {
		t.Fatal(err)
	}
	return pa
}
