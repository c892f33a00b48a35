package local_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"gatehouse/internal/fakeclock"
	"gatehouse/internal/verify"
	"gatehouse/internal/verify/local"
)

const step = 30 * time.Second

// codeAt is the code an authenticator app shows for secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func createFactor(t *testing.T, f *fixture, identity string) verify.Factor {
	t.Helper()
	fa, err := f.e.CreateTOTPFactor(context.Background(), identity, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return fa
}

// verifiedFactor creates a factor and confirms it with the current code.
func verifiedFactor(t *testing.T, f *fixture, identity string) verify.Factor {
	t.Helper()
	fa := createFactor(t, f, identity)
	c, err := f.e.VerifyTOTPFactor(context.Background(), identity, fa.SID, codeAt(t, fa.Secret, f.clock.Now()))
	if err != nil || !c.Approved {
		t.Fatalf("verify factor = %+v, %v", c, err)
	}
	return fa
}

func challenge(t *testing.T, f *fixture, identity, sid, code string) (verify.Check, error) {
	t.Helper()
	return f.e.ChallengeTOTP(context.Background(), identity, sid, code)
}

func TestCreateTOTPFactor(t *testing.T) {
	f := newFixture(t)
	fa, err := f.e.CreateTOTPFactor(context.Background(), "id-1", "John’s Account Name")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^YF[0-9a-f]{32}$`).MatchString(fa.SID) {
		t.Errorf("sid %q is not YF + 32 hex", fa.SID)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(fa.Secret)
	if err != nil || len(raw) != 20 {
		t.Errorf("secret %q: %d bytes, %v; want 160 bits of unpadded base32", fa.Secret, len(raw), err)
	}
	want := "otpauth://totp/Gatehouse:John%E2%80%99s%20Account%20Name?secret=" + fa.Secret +
		"&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30"
	if fa.URI != want {
		t.Errorf("uri = %s\nwant  %s", fa.URI, want)
	}
	k, err := otp.NewKeyFromURL(fa.URI)
	if err != nil {
		t.Fatal(err)
	}
	if k.Issuer() != "Gatehouse" || k.AccountName() != "John’s Account Name" || k.Secret() != fa.Secret || k.Period() != 30 {
		t.Errorf("key = issuer %q account %q secret %q period %d", k.Issuer(), k.AccountName(), k.Secret(), k.Period())
	}
	if !fa.ExpiresAt.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("expires at %v, want t0 + 10m", fa.ExpiresAt)
	}
}

func TestCreateTOTPFactorEscapesLabel(t *testing.T) {
	f := newFixture(t, func(o *local.Options) { o.Issuer = "Acme: Co&1" })
	fa, err := f.e.CreateTOTPFactor(context.Background(), "id-1", "a:b?c=d&e")
	if err != nil {
		t.Fatal(err)
	}
	k, err := otp.NewKeyFromURL(fa.URI)
	if err != nil {
		t.Fatal(err)
	}
	if k.Issuer() != "Acme: Co&1" || k.Secret() != fa.Secret {
		t.Errorf("issuer %q secret %q from %s", k.Issuer(), k.Secret(), fa.URI)
	}
	if !strings.HasPrefix(fa.URI, "otpauth://totp/Acme%3A%20Co%261:a%3Ab%3Fc%3Dd%26e?") {
		t.Errorf("uri = %s", fa.URI)
	}
}

func TestCreateTOTPFactorRejectsBadNames(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][2]string{{"", "name"}, {"id", ""}, {"id", strings.Repeat("x", 257)}, {"id", "\xff"}} {
		_, err := f.e.CreateTOTPFactor(context.Background(), args[0], args[1])
		wantErr(t, err, verify.ErrInvalidParameter)
	}
}

// TestRFC6238Vectors checks the engine against the SHA-1 test vectors of
// RFC 6238 appendix B (the last six of their eight digits), with the RFC's
// secret injected through the random source.
func TestRFC6238Vectors(t *testing.T) {
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		c := fakeclock.New(time.Unix(v.unix, 0))
		f := newFixture(t, func(o *local.Options) {
			o.Now = c.Now
			// CreateTOTPFactor reads the sid, then the secret, then the nonce.
			o.Rand = io.MultiReader(bytes.NewReader(make([]byte, 16)),
				strings.NewReader("12345678901234567890"), bytes.NewReader(make([]byte, 12)))
		})
		fa := createFactor(t, f, "id")
		if fa.Secret != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
			t.Fatalf("secret = %s: the random source was not read as expected", fa.Secret)
		}
		ch, err := f.e.VerifyTOTPFactor(context.Background(), "id", fa.SID, v.code)
		if err != nil || !ch.Approved {
			t.Errorf("T=%d code %s: %+v, %v", v.unix, v.code, ch, err)
		}
	}
}

func TestVerifyTOTPFactorWindow(t *testing.T) {
	for _, tc := range []struct {
		offset   int
		approved bool
	}{{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
		f := newFixture(t)
		fa := createFactor(t, f, "id")
		code := codeAt(t, fa.Secret, t0.Add(time.Duration(tc.offset)*step))
		c, err := f.e.VerifyTOTPFactor(context.Background(), "id", fa.SID, code)
		if err != nil || c.Approved != tc.approved {
			t.Errorf("offset %d: %+v, %v; want approved=%v", tc.offset, c, err, tc.approved)
		}
		if !tc.approved && c.Drift != time.Duration(tc.offset)*step {
			t.Errorf("offset %d: drift %v", tc.offset, c.Drift)
		}
	}
}

func TestChallengeTOTPWindow(t *testing.T) {
	for _, offset := range []int{-2, -1, 0, 1, 2} {
		f := newFixture(t)
		fa := verifiedFactor(t, f, "id")
		f.clock.Advance(10 * step) // past the step used to verify
		now := f.clock.Now()
		c, err := challenge(t, f, "id", fa.SID, codeAt(t, fa.Secret, now.Add(time.Duration(offset)*step)))
		want := offset >= -1 && offset <= 1
		if err != nil || c.Approved != want {
			t.Errorf("offset %d: %+v, %v; want approved=%v", offset, c, err, want)
		}
	}
}

func TestTOTPFactorExpires(t *testing.T) {
	f := newFixture(t)
	a := createFactor(t, f, "id")
	b := createFactor(t, f, "id")
	f.clock.Advance(10*time.Minute - time.Millisecond)
	now := f.clock.Now()
	if c, err := f.e.VerifyTOTPFactor(context.Background(), "id", a.SID, codeAt(t, a.Secret, now)); err != nil || !c.Approved {
		t.Fatalf("just before expiry: %+v, %v", c, err)
	}
	f.clock.Advance(time.Millisecond)
	_, err := f.e.VerifyTOTPFactor(context.Background(), "id", b.SID, codeAt(t, b.Secret, f.clock.Now()))
	wantErr(t, err, verify.ErrNotFound)
	// A verified factor does not expire.
	f.clock.Advance(time.Hour)
	if c, err := challenge(t, f, "id", a.SID, codeAt(t, a.Secret, f.clock.Now())); err != nil || !c.Approved {
		t.Fatalf("verified factor an hour later: %+v, %v", c, err)
	}
}

func TestVerifyTOTPFactorStates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fa := verifiedFactor(t, f, "id")
	code := codeAt(t, fa.Secret, f.clock.Now().Add(step))
	_, err := f.e.VerifyTOTPFactor(ctx, "id", fa.SID, code)
	wantErr(t, err, verify.ErrNotFound) // already verified
	_, err = f.e.VerifyTOTPFactor(ctx, "other", fa.SID, code)
	wantErr(t, err, verify.ErrNotFound)
	_, err = f.e.VerifyTOTPFactor(ctx, "id", "YF00000000000000000000000000000000", code)
	wantErr(t, err, verify.ErrNotFound)

	u := createFactor(t, f, "id")
	_, err = challenge(t, f, "id", u.SID, codeAt(t, u.Secret, f.clock.Now()))
	wantErr(t, err, verify.ErrNotFound) // not verified yet
	_, err = challenge(t, f, "other", fa.SID, code)
	wantErr(t, err, verify.ErrNotFound)
	_, err = challenge(t, f, "id", fa.SID, "12345")
	wantErr(t, err, verify.ErrInvalidParameter)
	_, err = f.e.VerifyTOTPFactor(ctx, "id", u.SID, "abcdef")
	wantErr(t, err, verify.ErrInvalidParameter)
}

func TestVerifyTOTPFactorFiveWrongCodes(t *testing.T) {
	f := newFixture(t)
	fa := createFactor(t, f, "id")
	right := codeAt(t, fa.Secret, f.clock.Now())
	for i := range 5 {
		c, err := f.e.VerifyTOTPFactor(context.Background(), "id", fa.SID, wrong(right))
		if err != nil || c.Approved {
			t.Fatalf("wrong code %d: %+v, %v", i+1, c, err)
		}
	}
	_, err := f.e.VerifyTOTPFactor(context.Background(), "id", fa.SID, right)
	wantErr(t, err, verify.ErrTooManyChecks)
	f.clock.Advance(5 * time.Minute) // no time-based reset before expiry
	_, err = f.e.VerifyTOTPFactor(context.Background(), "id", fa.SID, codeAt(t, fa.Secret, f.clock.Now()))
	wantErr(t, err, verify.ErrTooManyChecks)
}

func TestChallengeTOTPReplayRefused(t *testing.T) {
	f := newFixture(t)
	fa := createFactor(t, f, "id")
	enrol := codeAt(t, fa.Secret, f.clock.Now())
	if c, err := f.e.VerifyTOTPFactor(context.Background(), "id", fa.SID, enrol); err != nil || !c.Approved {
		t.Fatal(c, err)
	}
	// The code that confirmed the factor cannot sign in.
	if c, err := challenge(t, f, "id", fa.SID, enrol); err != nil || c.Approved {
		t.Fatalf("enrolment code replayed: %+v, %v", c, err)
	}
	f.clock.Advance(step)
	code := codeAt(t, fa.Secret, f.clock.Now())
	if c, err := challenge(t, f, "id", fa.SID, code); err != nil || !c.Approved {
		t.Fatalf("fresh code: %+v, %v", c, err)
	}
	if c, err := challenge(t, f, "id", fa.SID, code); err != nil || c.Approved {
		t.Fatalf("same code again: %+v, %v", c, err)
	}
	// An earlier step inside the window is refused once a later one was used.
	f.clock.Advance(step / 2)
	prev := codeAt(t, fa.Secret, f.clock.Now().Add(-step))
	if prev != code {
		if c, err := challenge(t, f, "id", fa.SID, prev); err != nil || c.Approved {
			t.Fatalf("earlier step: %+v, %v", c, err)
		}
	}
}

func TestChallengeTOTPLockout(t *testing.T) {
	f := newFixture(t)
	fa := verifiedFactor(t, f, "id")
	f.clock.Advance(step)
	right := codeAt(t, fa.Secret, f.clock.Now())
	for i := range 5 {
		if c, err := challenge(t, f, "id", fa.SID, wrong(right)); err != nil || c.Approved {
			t.Fatalf("wrong code %d: %+v, %v", i+1, c, err)
		}
	}
	_, err := challenge(t, f, "id", fa.SID, right)
	wantErr(t, err, verify.ErrTooManyChecks)
	f.clock.Advance(5*time.Minute - time.Millisecond)
	_, err = challenge(t, f, "id", fa.SID, codeAt(t, fa.Secret, f.clock.Now()))
	wantErr(t, err, verify.ErrTooManyChecks)
	f.clock.Advance(time.Millisecond) // five minutes after the last wrong code
	// The streak starts over: one more wrong code does not lock again.
	right = codeAt(t, fa.Secret, f.clock.Now())
	if c, err := challenge(t, f, "id", fa.SID, wrong(right)); err != nil || c.Approved {
		t.Fatalf("wrong code after lockout: %+v, %v", c, err)
	}
	if c, err := challenge(t, f, "id", fa.SID, right); err != nil || !c.Approved {
		t.Fatalf("after lockout: %+v, %v", c, err)
	}
}

func TestChallengeTOTPSuccessResetsStreak(t *testing.T) {
	f := newFixture(t)
	fa := verifiedFactor(t, f, "id")
	for round := range 3 {
		f.clock.Advance(step)
		right := codeAt(t, fa.Secret, f.clock.Now())
		for i := range 4 {
			if c, err := challenge(t, f, "id", fa.SID, wrong(right)); err != nil || c.Approved {
				t.Fatalf("round %d wrong %d: %+v, %v", round, i, c, err)
			}
		}
		if c, err := challenge(t, f, "id", fa.SID, right); err != nil || !c.Approved {
			t.Fatalf("round %d right code: %+v, %v", round, c, err)
		}
	}
}

func TestChallengeTOTPDrift(t *testing.T) {
	f := newFixture(t)
	fa := verifiedFactor(t, f, "id")
	f.clock.Advance(time.Hour)
	now := f.clock.Now()
	for _, tc := range []struct {
		offset int
		drift  time.Duration
	}{{3, 90 * time.Second}, {-4, -2 * time.Minute}, {10, 5 * time.Minute}, {-10, -5 * time.Minute}, {11, 0}} {
		code := codeAt(t, fa.Secret, now.Add(time.Duration(tc.offset)*step))
		c, err := challenge(t, f, "id", fa.SID, code)
		if err != nil || c.Approved || c.Drift != tc.drift {
			t.Errorf("offset %d: %+v, %v; want drift %v", tc.offset, c, err, tc.drift)
		}
		if tc.offset == -4 { // keep under the wrong-code cap
			f.clock.Advance(time.Millisecond)
			if c, err := challenge(t, f, "id", fa.SID, codeAt(t, fa.Secret, now)); err != nil || !c.Approved {
				t.Fatalf("right code: %+v, %v", c, err)
			}
		}
	}
}

func TestChallengeTOTPConcurrentSameCodeApprovesOnce(t *testing.T) {
	f := newFixture(t)
	fa := verifiedFactor(t, f, "id")
	f.clock.Advance(step)
	code := codeAt(t, fa.Secret, f.clock.Now())
	checks, errs := race(50, func() (verify.Check, error) {
		return f.e.ChallengeTOTP(context.Background(), "id", fa.SID, code)
	})
	approved := 0
	for i, c := range checks {
		switch {
		case c.Approved && errs[i] == nil:
			approved++
		case errs[i] == nil, errors.Is(errs[i], verify.ErrTooManyChecks):
		default:
			t.Errorf("result %d: %+v, %v", i, c, errs[i])
		}
	}
	if approved != 1 {
		t.Fatalf("%d approvals, want exactly 1", approved)
	}
}

func TestTOTPSecretNotStoredInPlaintext(t *testing.T) {
	f := newFixture(t)
	fa := createFactor(t, f, "id")
	raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(fa.Secret)
	var sealed []byte
	var name string
	if err := f.db.SQL().QueryRow(`SELECT secret_sealed, friendly_name FROM verify_totp_factors WHERE sid = ?`, fa.SID).
		Scan(&sealed, &name); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, raw) || bytes.Contains(sealed, []byte(fa.Secret)) || strings.Contains(name, fa.Secret) {
		t.Fatal("the secret is stored in plaintext")
	}
	if len(sealed) != 12+20+16 {
		t.Fatalf("sealed secret is %d bytes, want nonce + secret + tag", len(sealed))
	}
}

func TestTOTPDecryptionFailureIsAnError(t *testing.T) {
	f := newFixture(t)
	fa := createFactor(t, f, "id")
	code := codeAt(t, fa.Secret, f.clock.Now())
	other, err := local.New(local.Options{Store: f.db, Sender: f.sent, CodeKey: codeKey,
		SecretKey: bytes.Repeat([]byte{3}, 32), Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.VerifyTOTPFactor(context.Background(), "id", fa.SID, code)
	if err == nil || isSentinel(err) {
		t.Fatalf("wrong key: %v, want a non-sentinel error", err)
	}
	// A sealed secret moved to another factor does not open either.
	fb := createFactor(t, f, "id")
	if _, err := f.db.SQL().Exec(`UPDATE verify_totp_factors SET secret_sealed =
		(SELECT secret_sealed FROM verify_totp_factors WHERE sid = ?) WHERE sid = ?`, fa.SID, fb.SID); err != nil {
		t.Fatal(err)
	}
	_, err = f.e.VerifyTOTPFactor(context.Background(), "id", fb.SID, code)
	if err == nil || isSentinel(err) {
		t.Fatalf("moved secret: %v, want a non-sentinel error", err)
	}
}

func isSentinel(err error) bool {
	for _, s := range []error{verify.ErrNotFound, verify.ErrTooManyChecks, verify.ErrTooManySends,
		verify.ErrRateLimited, verify.ErrBlocked, verify.ErrInvalidParameter, verify.ErrUnavailable} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func TestDeleteTOTPFactor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fa := verifiedFactor(t, f, "id")
	wantErr(t, f.e.DeleteTOTPFactor(ctx, "other", fa.SID), verify.ErrNotFound)
	if err := f.e.DeleteTOTPFactor(ctx, "id", fa.SID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.e.DeleteTOTPFactor(ctx, "id", fa.SID), verify.ErrNotFound)
	f.clock.Advance(step)
	_, err := challenge(t, f, "id", fa.SID, codeAt(t, fa.Secret, f.clock.Now()))
	wantErr(t, err, verify.ErrNotFound)
}
