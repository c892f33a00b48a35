package local_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/verify"
	"gatehouse/internal/verify/local"
)

const phone = "+15551234567"

// start starts an SMS verification to phone and returns it with its code.
func start(t *testing.T, f *fixture, to string) (verify.Verification, string) {
	t.Helper()
	v, err := f.e.StartSMS(context.Background(), tgt(to))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := f.sent.Last(to)
	if !ok {
		t.Fatal("no message sent")
	}
	return v, m.Code
}

func check(t *testing.T, f *fixture, to, code string) (bool, error) {
	t.Helper()
	c, err := f.e.CheckSMS(context.Background(), tgt(to), code)
	return c.Approved, err
}

// wrong returns a six-digit code different from code.
func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestStartSMSSendsCode(t *testing.T) {
	f := newFixture(t)
	v, code := start(t, f, phone)
	if !regexp.MustCompile(`^VE[0-9a-f]{32}$`).MatchString(v.SID) {
		t.Errorf("sid %q is not VE + 32 hex", v.SID)
	}
	if v.To != phone || v.Status != verify.StatusPending || v.Sends != 1 {
		t.Errorf("verification = %+v", v)
	}
	m, _ := f.sent.Last(phone)
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Errorf("code %q is not six digits", code)
	}
	if want := "Your Gatehouse verification code is " + code; m.Body != want || !m.SentAt.Equal(t0) {
		t.Errorf("message = %+v, want body %q sent at t0", m, want)
	}
	if ok, err := check(t, f, phone, code); !ok || err != nil {
		t.Fatalf("check right code = %v, %v", ok, err)
	}
}

func TestSMSCodesAreUniform(t *testing.T) {
	// Not a statistical test: every digit position takes several values, so
	// the codes are not stuck or truncated.
	f := newFixture(t)
	seen := make([]map[byte]bool, 6)
	for i := range seen {
		seen[i] = map[byte]bool{}
	}
	for i := range 60 {
		_, code := start(t, f, fmt.Sprintf("+1555000%04d", i))
		for j := range 6 {
			seen[j][code[j]] = true
		}
	}
	for j, s := range seen {
		if len(s) < 5 {
			t.Errorf("digit %d took only %d values in 60 codes", j, len(s))
		}
	}
}

func TestSMSRejectsBadParameters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, to := range []string{"", "15551234567", "+05551234567", "+1555", "+1555123456789012", "+1555123456x", "+１５５５１２３４５６７"} {
		_, err := f.e.StartSMS(ctx, tgt(to))
		wantErr(t, err, verify.ErrInvalidParameter)
	}
	if len(f.sent.Messages()) != 0 {
		t.Fatal("a message was sent to an invalid number")
	}
	_, code := start(t, f, phone)
	for _, bad := range []string{"", "123", "12345678901", "12a456", " 123456", "１２３４５６"} {
		_, err := check(t, f, phone, bad)
		wantErr(t, err, verify.ErrInvalidParameter)
	}
	// None of the malformed codes was counted.
	for range 4 {
		if ok, err := check(t, f, phone, wrong(code)); ok || err != nil {
			t.Fatalf("wrong code = %v, %v", ok, err)
		}
	}
	if ok, err := check(t, f, phone, code); !ok || err != nil {
		t.Fatalf("fifth check with right code = %v, %v", ok, err)
	}
}

func TestSMSCodeExpiresAfterTTL(t *testing.T) {
	f := newFixture(t)
	_, a := start(t, f, "+15550000001")
	_, b := start(t, f, "+15550000002")
	f.clock.Advance(10*time.Minute - time.Millisecond)
	if ok, err := check(t, f, "+15550000001", a); !ok || err != nil {
		t.Fatalf("check just before expiry = %v, %v", ok, err)
	}
	f.clock.Advance(time.Millisecond)
	_, err := check(t, f, "+15550000002", b)
	wantErr(t, err, verify.ErrNotFound)
}

func TestSMSFiveChecksThenRefused(t *testing.T) {
	f := newFixture(t)
	_, code := start(t, f, phone)
	for i := range 5 {
		if ok, err := check(t, f, phone, wrong(code)); ok || err != nil {
			t.Fatalf("wrong check %d = %v, %v", i+1, ok, err)
		}
	}
	_, err := check(t, f, phone, code)
	wantErr(t, err, verify.ErrTooManyChecks)
	// A resend does not give checks back.
	_, code = start(t, f, phone)
	_, err = check(t, f, phone, code)
	wantErr(t, err, verify.ErrTooManyChecks)
}

func TestSMSResendReplacesCode(t *testing.T) {
	f := newFixture(t)
	v1, old := start(t, f, phone)
	if ok, err := check(t, f, phone, wrong(old)); ok || err != nil {
		t.Fatal(ok, err)
	}
	f.clock.Advance(9 * time.Minute)
	v2, code := start(t, f, phone)
	if v2.SID != v1.SID || v2.Sends != 2 {
		t.Fatalf("resend = %+v, want sid %s and 2 sends", v2, v1.SID)
	}
	if code == old {
		t.Fatal("resend sent the same code")
	}
	// The resend restarted the validity: 18 minutes after the first send.
	f.clock.Advance(9 * time.Minute)
	if ok, err := check(t, f, phone, old); ok || err != nil {
		t.Fatalf("old code = %v, %v; want refused", ok, err)
	}
	if ok, err := check(t, f, phone, code); !ok || err != nil {
		t.Fatalf("new code = %v, %v; want approved", ok, err)
	}
}

func TestSMSFiveSendsThenRefused(t *testing.T) {
	f := newFixture(t)
	var v verify.Verification
	for range 5 {
		v, _ = start(t, f, phone)
	}
	if v.Sends != 5 {
		t.Fatalf("sends = %d, want 5", v.Sends)
	}
	_, err := f.e.StartSMS(context.Background(), tgt(phone))
	wantErr(t, err, verify.ErrTooManySends)
	if n := len(f.sent.Messages()); n != 5 {
		t.Fatalf("%d messages sent, want 5: a refused send reached the sender", n)
	}
	// The fifth code still works.
	m, _ := f.sent.Last(phone)
	if ok, err := check(t, f, phone, m.Code); !ok || err != nil {
		t.Fatalf("last code = %v, %v", ok, err)
	}
}

func TestSMSExpiredVerificationStartsOver(t *testing.T) {
	f := newFixture(t)
	var first verify.Verification
	for range 5 {
		first, _ = start(t, f, phone)
	}
	f.clock.Advance(10 * time.Minute)
	v, code := start(t, f, phone)
	if v.SID == first.SID || v.Sends != 1 {
		t.Fatalf("after expiry = %+v, want a new verification", v)
	}
	if ok, err := check(t, f, phone, code); !ok || err != nil {
		t.Fatal(ok, err)
	}
}

func TestSMSApprovedNeverCheckableAgain(t *testing.T) {
	f := newFixture(t)
	v1, code := start(t, f, phone)
	if ok, err := check(t, f, phone, code); !ok || err != nil {
		t.Fatal(ok, err)
	}
	_, err := check(t, f, phone, code)
	wantErr(t, err, verify.ErrNotFound)
	_, err = check(t, f, phone, wrong(code))
	wantErr(t, err, verify.ErrNotFound)
	v2, code2 := start(t, f, phone)
	if v2.SID == v1.SID || v2.Sends != 1 {
		t.Fatalf("start after approval = %+v, want a new verification", v2)
	}
	if ok, err := check(t, f, phone, code2); !ok || err != nil {
		t.Fatal(ok, err)
	}
}

func TestSMSUnknownNumberNotFound(t *testing.T) {
	f := newFixture(t)
	start(t, f, phone)
	_, err := check(t, f, "+15559999999", "123456")
	wantErr(t, err, verify.ErrNotFound)
}

func TestSMSCodeStoredOnlyAsHash(t *testing.T) {
	f := newFixture(t)
	v, code := start(t, f, phone)
	rows, err := f.db.SQL().Query(`SELECT * FROM verify_sms`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, val := range vals {
			if s := fmt.Sprint(val); strings.Contains(s, code) {
				t.Errorf("column %s holds the code: %q", cols[i], s)
			}
			if b, ok := val.([]byte); ok && strings.Contains(string(b), code) {
				t.Errorf("column %s holds the code", cols[i])
			}
		}
	}
	var stored []byte
	if err := f.db.SQL().QueryRow(`SELECT code_hash FROM verify_sms WHERE sid = ?`, v.SID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, codeKey)
	m.Write([]byte(v.SID + code))
	if !hmac.Equal(stored, m.Sum(nil)) {
		t.Fatal("code_hash is not HMAC-SHA256(CodeKey, sid || code)")
	}
}

func TestSMSResendHashBoundToKeptSID(t *testing.T) {
	f := newFixture(t)
	v, _ := start(t, f, phone)
	_, code := start(t, f, phone)
	var stored []byte
	if err := f.db.SQL().QueryRow(`SELECT code_hash FROM verify_sms WHERE sid = ?`, v.SID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, codeKey)
	m.Write([]byte(v.SID + code))
	if !hmac.Equal(stored, m.Sum(nil)) {
		t.Fatal("resent code is not hashed with the verification's sid")
	}
}

func TestSMSSenderFailureIsUnavailable(t *testing.T) {
	f := newFixture(t, func(o *local.Options) { o.Sender = failSender{} })
	_, err := f.e.StartSMS(context.Background(), tgt(phone))
	wantErr(t, err, verify.ErrUnavailable)
}

type failSender struct{}

func (failSender) Send(context.Context, local.Message) error { return errors.New("gateway down") }

func TestSMSCancelledContext(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.e.StartSMS(ctx, tgt(phone)); !errors.Is(err, context.Canceled) {
		t.Fatalf("StartSMS with cancelled context = %v", err)
	}
	if len(f.sent.Messages()) != 0 {
		t.Fatal("sent with a cancelled context")
	}
	if _, err := f.e.CheckSMS(ctx, tgt(phone), "123456"); !errors.Is(err, context.Canceled) {
		t.Fatalf("CheckSMS with cancelled context = %v", err)
	}
}

func TestSMSConcurrentRightCodeApprovesOnce(t *testing.T) {
	f := newFixture(t)
	_, code := start(t, f, phone)
	checks, errs := race(50, func() (verify.Check, error) {
		return f.e.CheckSMS(context.Background(), tgt(phone), code)
	})
	approved := 0
	for i, c := range checks {
		switch {
		case c.Approved && errs[i] == nil:
			approved++
		case errors.Is(errs[i], verify.ErrNotFound):
		default:
			t.Errorf("result %d = %+v, %v", i, c, errs[i])
		}
	}
	if approved != 1 {
		t.Fatalf("%d approvals, want exactly 1", approved)
	}
}

func TestSMSConcurrentWrongChecksCountFive(t *testing.T) {
	f := newFixture(t)
	v, code := start(t, f, phone)
	checks, errs := race(50, func() (verify.Check, error) {
		return f.e.CheckSMS(context.Background(), tgt(phone), wrong(code))
	})
	counted := 0
	for i, c := range checks {
		switch {
		case c.Approved:
			t.Fatal("a wrong code was approved")
		case errs[i] == nil:
			counted++
		case !errors.Is(errs[i], verify.ErrTooManyChecks):
			t.Errorf("result %d: %v", i, errs[i])
		}
	}
	var stored int
	if err := f.db.SQL().QueryRow(`SELECT checks FROM verify_sms WHERE sid = ?`, v.SID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if counted != 5 || stored != 5 {
		t.Fatalf("%d checks answered, %d stored; want 5 and 5", counted, stored)
	}
	_, err := check(t, f, phone, code)
	wantErr(t, err, verify.ErrTooManyChecks)
}

// tgt is a sign-in verification to phone, its own subject.
func tgt(phone string) verify.Target {
	return verify.Target{Purpose: verify.PurposeLogin, Subject: phone, Phone: phone}
}

// TestSMSBoundToTarget: a registration to the number of a sign-in neither
// replaces, burns nor completes the sign-in's verification; a code checked
// for another number is refused; a canceled verification starts afresh.
func TestSMSBoundToTarget(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const phone = "+12015550123"
	code := func() string {
		t.Helper()
		m, ok := f.sent.Last(phone)
		if !ok {
			t.Fatal("no message sent")
		}
		return m.Code
	}
	login := verify.Target{Purpose: verify.PurposeLogin, Subject: "user-1", Phone: phone}
	reg := verify.Target{Purpose: verify.PurposeRegister, Subject: "reg-1", Phone: phone}
	if _, err := f.e.StartSMS(ctx, login); err != nil {
		t.Fatal(err)
	}
	loginCode := code()
	if _, err := f.e.StartSMS(ctx, reg); err != nil {
		t.Fatal(err)
	}
	regCode := code()
	for range 5 {
		if c, err := f.e.CheckSMS(ctx, reg, wrong(regCode)); err != nil || c.Approved {
			t.Fatalf("wrong registration code = %+v, %v", c, err)
		}
	}
	if c, err := f.e.CheckSMS(ctx, reg, loginCode); loginCode != regCode && (err == nil || c.Approved) {
		t.Fatalf("the sign-in code checked for the registration = %+v, %v", c, err)
	}
	other := login
	other.Phone = "+12015550999"
	if _, err := f.e.CheckSMS(ctx, other, loginCode); !errors.Is(err, verify.ErrNotFound) {
		t.Fatalf("check for another number = %v, want ErrNotFound", err)
	}
	if c, err := f.e.CheckSMS(ctx, login, loginCode); err != nil || !c.Approved {
		t.Fatalf("sign-in code after the registration's 5 wrong codes = %+v, %v", c, err)
	}
	// Cancel: a verification out of checks gives way to a new one.
	if err := f.e.CancelSMS(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if err := f.e.CancelSMS(ctx, reg); !errors.Is(err, verify.ErrNotFound) {
		t.Fatalf("second cancel = %v", err)
	}
	if v, err := f.e.StartSMS(ctx, reg); err != nil || v.Sends != 1 {
		t.Fatalf("start after cancel = %+v, %v", v, err)
	}
	if c, err := f.e.CheckSMS(ctx, reg, code()); err != nil || !c.Approved {
		t.Fatalf("new code after cancel = %+v, %v", c, err)
	}
}
