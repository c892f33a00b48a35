package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// racers is how many goroutines each race test lets loose at once.
const racers = 50

// race runs fn(0..n-1) in n goroutines released together and waits for all.
func race(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// raceErrs runs fn in n racing goroutines and returns their errors.
func raceErrs(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	race(n, func(i int) { errs[i] = fn(i) })
	return errs
}

// countNil counts nil errors and fails t on any error that is not want.
func countNil(t *testing.T, errs []error, want error) int {
	t.Helper()
	n := 0
	for _, err := range errs {
		switch {
		case err == nil:
			n++
		case !errors.Is(err, want):
			t.Errorf("loser: %v, want %v", err, want)
		}
	}
	return n
}

func oneToN(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func TestRaceHit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		counts := make([]int, racers)
		errs := raceErrs(racers, func(i int) error {
			w, err := d.Hit(ctx, "k", 1, time.Minute, t0)
			counts[i] = w.Count
			return err
		})
		if n := countNil(t, errs, nil); n != racers {
			t.Fatalf("%d of %d hits succeeded", n, racers)
		}
		slices.Sort(counts)
		if !slices.Equal(counts, oneToN(racers)) {
			t.Fatalf("hits saw counts %v, want each of 1..%d once", counts, racers)
		}
		if w, err := d.Peek(ctx, "k", t0); err != nil || w.Count != racers {
			t.Fatalf("final count = %+v, %v, want %d", w, err, racers)
		}
	})
}

func TestRaceSpendToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		errs := raceErrs(racers, func(int) error { return d.SpendToken(ctx, "h", t0.Add(time.Minute), t0) })
		if n := countNil(t, errs, ErrConflict); n != 1 {
			t.Fatalf("%d spends of one token succeeded, want 1", n)
		}
		// Expired, it is spent again exactly once.
		later := t0.Add(time.Minute)
		errs = raceErrs(racers, func(int) error { return d.SpendToken(ctx, "h", later.Add(time.Minute), later) })
		if n := countNil(t, errs, ErrConflict); n != 1 {
			t.Fatalf("%d re-spends of an expired token succeeded, want 1", n)
		}
	})
}

func TestRaceBackupCode(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		if err := d.ReplaceBackupCodes(ctx, "u1", []string{"a", "b"}, t0); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		wins := 0
		errs := raceErrs(racers, func(int) error {
			ok, err := d.UseBackupCode(ctx, "u1", "a", t0)
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
			return err
		})
		countNil(t, errs, nil)
		if wins != 1 {
			t.Fatalf("%d uses of one backup code succeeded, want 1", wins)
		}
		if n, err := d.BackupCodesLeft(ctx, "u1"); n != 1 || err != nil {
			t.Fatalf("left = %d, %v, want 1", n, err)
		}
	})
}

// TestRaceReplaceBackupCodes regenerates the codes from many requests at
// once: exactly one of the new sets must be left, never a mix.
func TestRaceReplaceBackupCodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		const n = 20
		errs := raceErrs(n, func(i int) error {
			return d.ReplaceBackupCodes(ctx, "u1", []string{fmt.Sprint(i, "-a"), fmt.Sprint(i, "-b"), fmt.Sprint(i, "-c")}, t0)
		})
		if ok := countNil(t, errs, nil); ok != n {
			t.Fatalf("%d of %d replacements succeeded", ok, n)
		}
		if left, err := d.BackupCodesLeft(ctx, "u1"); left != 3 || err != nil {
			t.Fatalf("%d codes left, %v; want one set of 3", left, err)
		}
	})
}

func TestRaceBeginAttempt(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		counts := make([]int, racers)
		errs := raceErrs(racers, func(i int) error {
			a, err := d.BeginAttempt(ctx, "u1", racers+1, t0)
			counts[i] = a.Count
			return err
		})
		countNil(t, errs, nil)
		slices.Sort(counts)
		if !slices.Equal(counts, oneToN(racers)) {
			t.Fatalf("attempts saw counts %v, want each of 1..%d once", counts, racers)
		}
		if u, _ := d.UserByID(ctx, "u1"); u.FailedAttempts != racers {
			t.Fatalf("final count = %d", u.FailedAttempts)
		}
		// And back down: EndAttempt never goes below zero.
		errs = raceErrs(racers+10, func(int) error { return d.EndAttempt(ctx, "u1") })
		countNil(t, errs, nil)
		if u, _ := d.UserByID(ctx, "u1"); u.FailedAttempts != 0 {
			t.Fatalf("after EndAttempt race = %d", u.FailedAttempts)
		}
	})
}

func TestRaceCreateUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		errs := raceErrs(racers, func(i int) error {
			return d.CreateUser(ctx, testUser(fmt.Sprint("u", i), "ada@example.com"))
		})
		if n := countNil(t, errs, ErrConflict); n != 1 {
			t.Fatalf("%d registrations of one email succeeded, want 1", n)
		}
	})
}

func TestRaceConfirmDevice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		if err := d.SavePendingDevice(ctx, "u1", "YF1", t0); err != nil {
			t.Fatal(err)
		}
		errs := raceErrs(racers, func(int) error { return d.ConfirmDevice(ctx, "u1", "YF1", t0) })
		if n := countNil(t, errs, ErrNotFound); n != 1 {
			t.Fatalf("%d confirmations succeeded, want 1", n)
		}
	})
}

func TestRaceSavePendingDevice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		errs := raceErrs(racers, func(i int) error { return d.SavePendingDevice(ctx, "u1", fmt.Sprint("YF", i), t0) })
		countNil(t, errs, nil)
		dev, err := d.TOTPDevice(ctx, "u1")
		if err != nil || dev.Confirmed {
			t.Fatalf("device = %+v, %v", dev, err)
		}
	})
}

func TestRaceCheckSMSApproval(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		v, err := d.StartSMSVerification(ctx, smsStart("+15551234567", "VE1", "123456", t0))
		if err != nil {
			t.Fatal(err)
		}
		c := smsCheck(v, "123456", t0)
		c.MaxChecks = 1000
		var mu sync.Mutex
		approvals := 0
		errs := raceErrs(racers, func(int) error {
			ok, err := d.CheckSMSVerification(ctx, c)
			if ok {
				mu.Lock()
				approvals++
				mu.Unlock()
			}
			return err
		})
		countNil(t, errs, ErrNotFound)
		if approvals != 1 {
			t.Fatalf("%d approvals of one code, want 1", approvals)
		}
		got, _ := d.SMSVerificationFor(ctx, "login", v.To)
		if got.Status != SMSApproved || got.Checks != 1 {
			t.Fatalf("after race = %+v", got)
		}
	})
}
