package store

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"
)

var vt0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// hashOf stands in for the engine's HMAC: it binds a code to a sid.
func hashOf(code string) func(sid string) []byte {
	return func(sid string) []byte { return []byte(sid + "|" + code) }
}

func smsStart(to, sid, code string, now time.Time) SMSStart {
	return SMSStart{Purpose: "login", Subject: to, To: to, SID: sid, CodeHash: hashOf(code), Now: now, ExpiresAt: now.Add(10 * time.Minute), MaxSends: 3}
}

func smsCheck(v SMSVerification, code string, now time.Time) SMSCheck {
	return SMSCheck{SID: v.SID, To: v.To, CodeHash: hashOf(code)(v.SID), Now: now, MaxChecks: 2}
}

func TestStartSMSVerificationUpsert(t *testing.T) { forEachBackend(t, testStartSMSVerificationUpsert) }

func testStartSMSVerificationUpsert(t *testing.T, d *DB) {
	ctx := context.Background()
	v, err := d.StartSMSVerification(ctx, smsStart("+15551234567", "VE1", "111111", vt0))
	if err != nil || v.SID != "VE1" || v.Sends != 1 || v.Checks != 0 {
		t.Fatalf("first send = %+v, %v", v, err)
	}
	if _, err := d.CheckSMSVerification(ctx, smsCheck(v, "000000", vt0)); err != nil {
		t.Fatal(err)
	}
	// A resend keeps the sid and the checks, and hashes with the kept sid.
	now := vt0.Add(time.Minute)
	v, err = d.StartSMSVerification(ctx, smsStart("+15551234567", "VE2", "222222", now))
	if err != nil || v.SID != "VE1" || v.Sends != 2 || v.Checks != 1 || !v.ExpiresAt.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("resend = %+v, %v", v, err)
	}
	if ok, err := d.CheckSMSVerification(ctx, smsCheck(v, "111111", now)); ok || err != nil {
		t.Fatalf("old code = %v, %v", ok, err)
	}
	_, err = d.CheckSMSVerification(ctx, smsCheck(v, "222222", now))
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("third check = %v, want ErrLimit", err)
	}
	if _, err := d.StartSMSVerification(ctx, smsStart("+15551234567", "VE3", "333333", now)); err != nil {
		t.Fatal(err)
	}
	_, err = d.StartSMSVerification(ctx, smsStart("+15551234567", "VE4", "444444", now))
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("fourth send = %v, want ErrLimit", err)
	}
	got, _ := d.SMSVerificationFor(ctx, "login", "+15551234567")
	if got.Sends != 3 {
		t.Fatalf("after refused send: %+v", got)
	}
	// Once expired, a send starts a new verification.
	later := now.Add(10 * time.Minute)
	v, err = d.StartSMSVerification(ctx, smsStart("+15551234567", "VE5", "555555", later))
	if err != nil || v.SID != "VE5" || v.Sends != 1 || v.Checks != 0 || !v.CreatedAt.Equal(later) {
		t.Fatalf("after expiry = %+v, %v", v, err)
	}
	if ok, err := d.CheckSMSVerification(ctx, smsCheck(v, "555555", later)); !ok || err != nil {
		t.Fatalf("new code = %v, %v", ok, err)
	}
	// Once approved, too.
	v, err = d.StartSMSVerification(ctx, smsStart("+15551234567", "VE6", "666666", later))
	if err != nil || v.SID != "VE6" || v.Sends != 1 {
		t.Fatalf("after approval = %+v, %v", v, err)
	}
}

func TestCheckSMSVerificationRefusals(t *testing.T) {
	forEachBackend(t, testCheckSMSVerificationRefusals)
}

func testCheckSMSVerificationRefusals(t *testing.T, d *DB) {
	ctx := context.Background()
	v, err := d.StartSMSVerification(ctx, smsStart("+15551234567", "VE1", "111111", vt0))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := d.CheckSMSVerification(ctx, smsCheck(v, "111111", vt0)); !ok || err != nil {
		t.Fatalf("right code = %v, %v", ok, err)
	}
	for name, c := range map[string]SMSCheck{
		"approved":     smsCheck(v, "111111", vt0),
		"unknown sid":  smsCheck(SMSVerification{SID: "VE9", To: v.To}, "111111", vt0),
		"other number": smsCheck(SMSVerification{SID: v.SID, To: "+15550000000"}, "111111", vt0),
	} {
		if _, err := d.CheckSMSVerification(ctx, c); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	w, _ := d.StartSMSVerification(ctx, smsStart("+15550000001", "VE2", "222222", vt0))
	if _, err := d.CheckSMSVerification(ctx, smsCheck(w, "222222", vt0.Add(10*time.Minute))); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired: %v, want ErrNotFound", err)
	}
	if _, err := d.SMSVerificationFor(ctx, "login", "+15559999999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown number: %v", err)
	}
}

func newFactor(t *testing.T, d *DB, sid string) TOTPFactor {
	t.Helper()
	f := TOTPFactor{SID: sid, Identity: "id", FriendlyName: "Phone", SecretSealed: []byte{1, 2, 3},
		CreatedAt: vt0, ExpiresAt: vt0.Add(10 * time.Minute)}
	if err := d.CreateTOTPFactor(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return f
}

func attempt(sid, status string, step int64, now time.Time) TOTPAttempt {
	a := TOTPAttempt{Identity: "id", SID: sid, Status: status, Step: step, Now: now, MaxFailures: 2}
	if status == TOTPVerified {
		a.Lockout = 5 * time.Minute
	}
	return a
}

func TestTOTPFactorLifecycle(t *testing.T) { forEachBackend(t, testTOTPFactorLifecycle) }

func testTOTPFactorLifecycle(t *testing.T, d *DB) {
	ctx := context.Background()
	newFactor(t, d, "YF1")
	if err := d.CreateTOTPFactor(ctx, TOTPFactor{SID: "YF1", Identity: "x", SecretSealed: []byte{1}}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate sid: %v", err)
	}
	f, err := d.TOTPFactorByID(ctx, "id", "YF1")
	if err != nil || f.Status != TOTPUnverified || string(f.SecretSealed) != "\x01\x02\x03" || !f.ExpiresAt.Equal(vt0.Add(10*time.Minute)) {
		t.Fatalf("factor = %+v, %v", f, err)
	}
	if _, err := d.TOTPFactorByID(ctx, "other", "YF1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other identity: %v", err)
	}
	// Unverified: two wrong codes, then refused even with a right one.
	for range 2 {
		if err := d.FailTOTP(ctx, attempt("YF1", TOTPUnverified, 0, vt0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.FailTOTP(ctx, attempt("YF1", TOTPUnverified, 0, vt0.Add(9*time.Minute))); !errors.Is(err, ErrLimit) {
		t.Fatalf("third wrong code: %v", err)
	}
	if err := d.ApproveTOTP(ctx, attempt("YF1", TOTPUnverified, 100, vt0)); !errors.Is(err, ErrLimit) {
		t.Fatalf("approve after cap: %v", err)
	}

	newFactor(t, d, "YF2")
	if err := d.ApproveTOTP(ctx, attempt("YF2", TOTPUnverified, 100, vt0.Add(10*time.Minute))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("approve expired: %v", err)
	}
	if err := d.ApproveTOTP(ctx, attempt("YF2", TOTPVerified, 100, vt0)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("challenge unverified: %v", err)
	}
	if err := d.ApproveTOTP(ctx, attempt("YF2", TOTPUnverified, 100, vt0)); err != nil {
		t.Fatal(err)
	}
	f, _ = d.TOTPFactorByID(ctx, "id", "YF2")
	if f.Status != TOTPVerified || f.LastUsedStep != 100 || !f.ExpiresAt.IsZero() || !f.VerifiedAt.Equal(vt0) {
		t.Fatalf("verified factor = %+v", f)
	}
	if err := d.ApproveTOTP(ctx, attempt("YF2", TOTPUnverified, 101, vt0)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("confirm twice: %v", err)
	}
	for _, step := range []int64{99, 100} {
		if err := d.ApproveTOTP(ctx, attempt("YF2", TOTPVerified, step, vt0)); !errors.Is(err, ErrConflict) {
			t.Fatalf("step %d: %v, want ErrConflict", step, err)
		}
	}
	// Verified: the streak locks until the lockout has passed since the last wrong code.
	for range 2 {
		if err := d.FailTOTP(ctx, attempt("YF2", TOTPVerified, 0, vt0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.ApproveTOTP(ctx, attempt("YF2", TOTPVerified, 101, vt0.Add(5*time.Minute-time.Millisecond))); !errors.Is(err, ErrLimit) {
		t.Fatalf("during lockout: %v", err)
	}
	if err := d.FailTOTP(ctx, attempt("YF2", TOTPVerified, 0, vt0.Add(5*time.Minute))); err != nil {
		t.Fatalf("after lockout: %v", err)
	}
	f, _ = d.TOTPFactorByID(ctx, "id", "YF2")
	if f.Failures != 1 {
		t.Fatalf("streak after lockout = %d, want 1", f.Failures)
	}
	if err := d.ApproveTOTP(ctx, attempt("YF2", TOTPVerified, 101, vt0.Add(5*time.Minute))); err != nil {
		t.Fatal(err)
	}
	f, _ = d.TOTPFactorByID(ctx, "id", "YF2")
	if f.Failures != 0 || f.LastUsedStep != 101 || f.VerifiedAt != vt0 {
		t.Fatalf("after success = %+v", f)
	}

	if err := d.DeleteTOTPFactor(ctx, "other", "YF2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete other identity: %v", err)
	}
	if err := d.DeleteTOTPFactor(ctx, "id", "YF2"); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteTOTPFactor(ctx, "id", "YF2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := d.FailTOTP(ctx, attempt("YF2", TOTPVerified, 0, vt0)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fail deleted: %v", err)
	}
}

// parallel runs fn n times at once and returns how many returned nil.
func parallel(n int, fn func() error) (ok int, errs []error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := fn()
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return ok, errs
}

func TestApproveTOTPRaceOneWinner(t *testing.T) { forEachBackend(t, testApproveTOTPRaceOneWinner) }

func testApproveTOTPRaceOneWinner(t *testing.T, d *DB) {
	ctx := context.Background()
	newFactor(t, d, "YF1")
	if err := d.ApproveTOTP(ctx, attempt("YF1", TOTPUnverified, 100, vt0)); err != nil {
		t.Fatal(err)
	}
	a := attempt("YF1", TOTPVerified, 101, vt0)
	a.MaxFailures = 1000
	ok, errs := parallel(50, func() error { return d.ApproveTOTP(ctx, a) })
	if ok != 1 {
		t.Fatalf("%d approvals of one step, want 1", ok)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("loser: %v, want ErrConflict", err)
		}
	}
}

func TestSMSRaces(t *testing.T) { forEachBackend(t, testSMSRaces) }

func testSMSRaces(t *testing.T, d *DB) {
	ctx := context.Background()
	v, err := d.StartSMSVerification(ctx, smsStart("+15551234567", "VE1", "111111", vt0))
	if err != nil {
		t.Fatal(err)
	}
	c := smsCheck(v, "000000", vt0)
	c.MaxChecks = 5
	ok, errs := parallel(50, func() error { _, err := d.CheckSMSVerification(ctx, c); return err })
	if ok != 5 {
		t.Fatalf("%d wrong checks counted, want 5", ok)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("refused check: %v", err)
		}
	}
	// 50 parallel sends to one number: exactly MaxSends are accepted.
	p := smsStart("+15550000001", "VE2", "222222", vt0)
	p.MaxSends = 5
	ok, errs = parallel(50, func() error { _, err := d.StartSMSVerification(ctx, p); return err })
	if ok != 5 {
		t.Fatalf("%d sends accepted, want 5 (%v)", ok, errs[0])
	}
}

func TestSweepVerifyLocal(t *testing.T) { forEachBackend(t, testSweepVerifyLocal) }

func testSweepVerifyLocal(t *testing.T, d *DB) {
	ctx := context.Background()
	if _, err := d.StartSMSVerification(ctx, smsStart("+15551234567", "VE1", "1", vt0)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.StartSMSVerification(ctx, smsStart("+15551234568", "VE2", "1", vt0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	newFactor(t, d, "YF1")
	if err := d.SweepVerifyLocal(ctx, vt0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SMSVerificationFor(ctx, "login", "+15551234567"); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired verification kept: %v", err)
	}
	if _, err := d.SMSVerificationFor(ctx, "login", "+15551234568"); err != nil {
		t.Errorf("live verification swept: %v", err)
	}
	if _, err := d.TOTPFactorByID(ctx, "id", "YF1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired factor kept: %v", err)
	}
}

// TestVerifyLocalMigrationsMatch keeps the PostgreSQL schema of the verify
// tables in step with the SQLite one: they differ only in the blob type.
func TestVerifyLocalMigrationsMatch(t *testing.T) {
	lite, err := fs.ReadFile(migrations, "migrations/sqlite/0002_verify_local.sql")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := fs.ReadFile(migrations, "migrations/postgres/0002_verify_local.sql")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(pg), "BLOB") || strings.ReplaceAll(string(lite), "BLOB", "BYTEA") != string(pg) {
		t.Fatal("postgres/0002_verify_local.sql differs from the SQLite schema beyond BLOB → BYTEA")
	}
}
