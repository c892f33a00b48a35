package local_test

import (
	"bytes"
	"context"
	"errors"
	mathrand "math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/fakeclock"
	"gatehouse/internal/store"
	"gatehouse/internal/verify/local"
)

var _ local.Store = (*store.DB)(nil)

// t0 is the tests' start time: 15 s into a 30-second TOTP step.
var t0 = time.Date(2026, 3, 1, 12, 0, 15, 0, time.UTC)

var (
	codeKey   = bytes.Repeat([]byte{1}, 32)
	secretKey = bytes.Repeat([]byte{2}, 32)
)

type fixture struct {
	e     *local.Engine
	db    *store.DB
	clock *fakeclock.Clock
	sent  *local.MemorySender
}

// newFixture returns an engine on a fresh SQLite database, with a settable
// clock at t0 and a deterministic random source. edit, when given, changes
// the options before New.
func newFixture(t *testing.T, edit ...func(*local.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, clock: fakeclock.New(t0), sent: &local.MemorySender{}}
	o := local.Options{
		Store:     db,
		Sender:    f.sent,
		CodeKey:   codeKey,
		SecretKey: secretKey,
		Now:       f.clock.Now,
		Rand:      mathrand.NewChaCha8([32]byte{7}),
	}
	for _, fn := range edit {
		fn(&o)
	}
	if f.e, err = local.New(o); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNewRejectsBadOptions(t *testing.T) {
	ok := local.Options{Store: &store.DB{}, Sender: &local.MemorySender{}, CodeKey: codeKey, SecretKey: secretKey}
	if _, err := local.New(ok); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	for name, edit := range map[string]func(*local.Options){
		"no store":         func(o *local.Options) { o.Store = nil },
		"no sender":        func(o *local.Options) { o.Sender = nil },
		"short code key":   func(o *local.Options) { o.CodeKey = codeKey[:16] },
		"no secret key":    func(o *local.Options) { o.SecretKey = nil },
		"same keys":        func(o *local.Options) { o.SecretKey = codeKey },
		"negative ttl":     func(o *local.Options) { o.CodeTTL = -time.Second },
		"negative max sms": func(o *local.Options) { o.MaxChecks = -1 },
	} {
		o := ok
		edit(&o)
		if _, err := local.New(o); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestSweepDeletesExpiredRows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.e.StartSMS(ctx, tgt("+15551230000")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.CreateTOTPFactor(ctx, "id-1", "Phone"); err != nil {
		t.Fatal(err)
	}
	verified := verifiedFactor(t, f, "id-2")
	f.clock.Advance(10 * time.Minute)
	if err := f.e.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, f.db, "verify_sms"); n != 0 {
		t.Errorf("verify_sms rows after sweep = %d, want 0", n)
	}
	if n := count(t, f.db, "verify_totp_factors"); n != 1 {
		t.Errorf("factors after sweep = %d, want only the verified one", n)
	}
	if err := f.e.DeleteTOTPFactor(ctx, "id-2", verified.SID); err != nil {
		t.Errorf("verified factor was swept: %v", err)
	}
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// race runs fn in n goroutines released at once and returns their results.
func race[T any](n int, fn func() (T, error)) ([]T, []error) {
	out, errs := make([]T, n), make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			out[i], errs[i] = fn()
		})
	}
	start.Done()
	done.Wait()
	return out, errs
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}
