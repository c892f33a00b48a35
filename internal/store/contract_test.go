package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgconn"
)

// Sessions serves scs on either backend.
var (
	_ scs.Store    = Sessions{}
	_ scs.CtxStore = Sessions{}
)

// t0 is the contract tests' clock: whole milliseconds, as stored.
var t0 = time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)

func testUser(id, email string) User {
	return User{
		ID: id, Email: email, FirstName: "Ada", LastName: "Lovelace",
		PasswordHash: "$argon2id$hash-" + id, VerifyIdentity: "vi-" + id,
		CreatedAt: t0, UpdatedAt: t0,
	}
}

func mustCreateUser(t *testing.T, d *DB, u User) {
	t.Helper()
	if err := d.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

// sameUser compares users field by field, times by instant.
func sameUser(a, b User) bool {
	return a.ID == b.ID && a.Email == b.Email && a.FirstName == b.FirstName && a.LastName == b.LastName &&
		a.PasswordHash == b.PasswordHash && a.Phone == b.Phone && a.MFAEnabled == b.MFAEnabled &&
		a.VerifyIdentity == b.VerifyIdentity && a.FailedAttempts == b.FailedAttempts &&
		a.LockedUntil.Equal(b.LockedUntil) && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestMigrations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		versions := func() []int64 {
			rows, err := d.SQL().QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var vs []int64
			for rows.Next() {
				var v int64
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				vs = append(vs, v)
			}
			return vs
		}
		if got := versions(); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6, 7}) {
			t.Fatalf("versions = %v", got)
		}
		// Running again (a restart) changes nothing.
		if err := d.migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := versions(); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6, 7}) {
			t.Fatalf("versions after second run = %v", got)
		}
	})
}

// TestMigrationsMatch keeps the PostgreSQL schema in step with the SQLite
// one: the same files, differing only in the blob type.
func TestMigrationsMatch(t *testing.T) {
	names := func(dir string) []string {
		entries, err := fs.ReadDir(migrations, dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	lite, pg := names("migrations/sqlite"), names("migrations/postgres")
	if !slices.Equal(lite, pg) {
		t.Fatalf("sqlite migrations %v, postgres %v", lite, pg)
	}
	for _, name := range lite {
		l, _ := fs.ReadFile(migrations, "migrations/sqlite/"+name)
		p, _ := fs.ReadFile(migrations, "migrations/postgres/"+name)
		if strings.Contains(string(p), "BLOB") || strings.ReplaceAll(string(l), "BLOB", "BYTEA") != string(p) {
			t.Errorf("postgres/%s differs from the SQLite schema beyond BLOB → BYTEA", name)
		}
	}
}

func TestIsUniqueViolation(t *testing.T) {
	pgDup := fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "23505", Message: "duplicate key value"})
	pgOther := fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "23503", Message: "foreign key"})
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("duplicate key value violates unique constraint"), false},
		{pgDup, true},
		{pgOther, false},
	} {
		if got := isUniqueViolation(c.err); got != c.want {
			t.Errorf("isUniqueViolation(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	// And the real thing from each backend.
	forEachBackend(t, func(t *testing.T, d *DB) {
		_, err := d.SQL().ExecContext(context.Background(),
			`INSERT INTO spent_tokens (hash, expires_at) VALUES ('x', 1), ('x', 2)`)
		if !isUniqueViolation(err) {
			t.Fatalf("duplicate primary key: %v not recognised", err)
		}
	})
}

func TestOpenPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err == nil {
		d.Close()
		t.Fatal("opened a database on port 1")
	}
	if !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("error does not name PostgreSQL: %v", err)
	}
	if _, err := Open(ctx, "postgres://%zz"); err == nil {
		t.Fatal("bad URL accepted")
	}
}

func TestUsers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		a := testUser("u1", "ada@example.com")
		a.Phone = "+15551230001"
		a.MFAEnabled = true
		a.FailedAttempts = 2
		a.LockedUntil = t0.Add(time.Hour)
		mustCreateUser(t, d, a)
		b := testUser("u2", "bob@example.com")
		b.CreatedAt = t0.Add(-time.Minute)
		mustCreateUser(t, d, b)
		c := testUser("u3", "aaron@example.com")
		c.CreatedAt = t0
		mustCreateUser(t, d, c)

		dup := testUser("u4", "ada@example.com")
		if err := d.CreateUser(ctx, dup); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate email: %v, want ErrConflict", err)
		}
		dup = testUser("u4", "dan@example.com")
		dup.VerifyIdentity = a.VerifyIdentity
		if err := d.CreateUser(ctx, dup); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate verify identity: %v, want ErrConflict", err)
		}
		if err := d.CreateUser(ctx, testUser("u1", "other@example.com")); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate id: %v, want ErrConflict", err)
		}

		got, err := d.UserByEmail(ctx, "ada@example.com")
		if err != nil || !sameUser(got, a) {
			t.Fatalf("by email = %+v, %v; want %+v", got, err, a)
		}
		got, err = d.UserByID(ctx, "u2")
		if err != nil || !sameUser(got, b) || got.MFAEnabled || !got.LockedUntil.IsZero() {
			t.Fatalf("by id = %+v, %v; want %+v", got, err, b)
		}
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("times come back in %v, want UTC", got.CreatedAt.Location())
		}
		if _, err := d.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown email: %v", err)
		}
		if _, err := d.UserByID(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		for email, want := range map[string]bool{"ada@example.com": true, "ADA@example.com": false, "x@example.com": false} {
			if ok, err := d.EmailExists(ctx, email); err != nil || ok != want {
				t.Errorf("EmailExists(%s) = %v, %v", email, ok, err)
			}
		}

		list, err := d.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range list {
			ids = append(ids, u.ID)
		}
		if !slices.Equal(ids, []string{"u2", "u3", "u1"}) { // by creation, then email
			t.Fatalf("ListUsers order = %v", ids)
		}

		now := t0.Add(5 * time.Minute)
		if err := d.SetPhoneMFA(ctx, "u2", "+15551230002", now); err != nil {
			t.Fatal(err)
		}
		got, _ = d.UserByID(ctx, "u2")
		if got.Phone != "+15551230002" || !got.MFAEnabled || !got.UpdatedAt.Equal(now) || !got.CreatedAt.Equal(b.CreatedAt) {
			t.Fatalf("after SetPhoneMFA = %+v", got)
		}
		if err := d.SetPhoneMFA(ctx, "nope", "+15551230003", now); !errors.Is(err, ErrNotFound) {
			t.Fatalf("SetPhoneMFA unknown user: %v", err)
		}
	})
}

func TestListUsersEmpty(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		list, err := d.ListUsers(context.Background())
		if err != nil || len(list) != 0 {
			t.Fatalf("ListUsers = %v, %v", list, err)
		}
	})
}

func TestAttempts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		for i := 1; i <= 3; i++ {
			a, err := d.BeginAttempt(ctx, "u1", 100, t0)
			if err != nil || a.Count != i || !a.LockedUntil.IsZero() || a.Refused {
				t.Fatalf("attempt %d = %+v, %v", i, a, err)
			}
		}
		// EndAttempt takes one back, never below zero.
		if err := d.EndAttempt(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if u, _ := d.UserByID(ctx, "u1"); u.FailedAttempts != 2 {
			t.Fatalf("after EndAttempt: %d", u.FailedAttempts)
		}
		if err := d.ResetAttempts(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if err := d.EndAttempt(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if u, _ := d.UserByID(ctx, "u1"); u.FailedAttempts != 0 {
			t.Fatalf("after reset and EndAttempt: %d", u.FailedAttempts)
		}
		// Lock restarts the count and sets the lock.
		if _, err := d.BeginAttempt(ctx, "u1", 100, t0); err != nil {
			t.Fatal(err)
		}
		until := t0.Add(15 * time.Minute)
		if err := d.Lock(ctx, "u1", until); err != nil {
			t.Fatal(err)
		}
		u, _ := d.UserByID(ctx, "u1")
		if u.FailedAttempts != 0 || !u.LockedUntil.Equal(until) {
			t.Fatalf("after Lock = %+v", u)
		}
		// An attempt while the account waits is refused and not counted.
		a, err := d.BeginAttempt(ctx, "u1", 100, t0)
		if err != nil || a.Count != 0 || !a.Refused || !a.LockedUntil.Equal(until) {
			t.Fatalf("attempt while locked = %+v, %v", a, err)
		}
		// The wait ends: attempts count again, up to max and no further.
		for i := 1; i <= 3; i++ {
			if a, err = d.BeginAttempt(ctx, "u1", 2, until); err != nil || a.Refused != (i > 2) || a.Count != min(i, 2) {
				t.Fatalf("attempt %d after the wait = %+v, %v", i, a, err)
			}
		}
		// Unlock clears both.
		if err := d.Lock(ctx, "u1", until.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := d.Unlock(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if a, err = d.BeginAttempt(ctx, "u1", 2, until); err != nil || a.Refused || a.Count != 1 {
			t.Fatalf("attempt after unlock = %+v, %v", a, err)
		}
		if _, err := d.BeginAttempt(ctx, "nope", 100, t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("BeginAttempt unknown user: %v", err)
		}
		// The others are no-ops on an unknown user.
		for name, err := range map[string]error{
			"EndAttempt":    d.EndAttempt(ctx, "nope"),
			"ResetAttempts": d.ResetAttempts(ctx, "nope"),
			"Lock":          d.Lock(ctx, "nope", until),
			"Unlock":        d.Unlock(ctx, "nope"),
		} {
			if err != nil {
				t.Errorf("%s unknown user: %v", name, err)
			}
		}
	})
}

func TestCounters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		hit := func(key string, delta int, now time.Time) Window {
			t.Helper()
			w, err := d.Hit(ctx, key, delta, time.Minute, now)
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		peek := func(key string, now time.Time) Window {
			t.Helper()
			w, err := d.Peek(ctx, key, now)
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		end := t0.Add(time.Minute)
		if w := peek("k", t0); w.Count != 0 || !w.Reset.IsZero() {
			t.Fatalf("absent = %+v", w)
		}
		if w := hit("k", 1, t0); w.Count != 1 || !w.Reset.Equal(end) {
			t.Fatalf("first hit = %+v", w)
		}
		// The window is fixed: later hits keep its end.
		if w := hit("k", 2, t0.Add(30*time.Second)); w.Count != 3 || !w.Reset.Equal(end) {
			t.Fatalf("second hit = %+v", w)
		}
		if w := hit("k", -1, t0.Add(40*time.Second)); w.Count != 2 || !w.Reset.Equal(end) {
			t.Fatalf("negative delta = %+v", w)
		}
		if w := hit("k", -2, t0.Add(41*time.Second)); w.Count != 0 {
			t.Fatalf("back to zero = %+v", w)
		}
		if w := hit("k", 5, t0.Add(42*time.Second)); w.Count != 5 {
			t.Fatalf("after zero = %+v", w)
		}
		if w := peek("k", end.Add(-time.Millisecond)); w.Count != 5 || !w.Reset.Equal(end) {
			t.Fatalf("peek = %+v", w)
		}
		if w := peek("k", end.Add(-time.Millisecond)); w.Count != 5 {
			t.Fatalf("peek changed the count: %+v", w)
		}
		if w := peek("other", t0); w.Count != 0 {
			t.Fatalf("other key = %+v", w)
		}
		// The window has ended at its end instant.
		if w := peek("k", end); w.Count != 0 || !w.Reset.IsZero() {
			t.Fatalf("peek at end = %+v", w)
		}
		if w := hit("k", 1, end); w.Count != 1 || !w.Reset.Equal(end.Add(time.Minute)) {
			t.Fatalf("hit after window = %+v", w)
		}
		// Window lengths come from the hit that starts a window.
		w, err := d.Hit(ctx, "long", 1, time.Hour, t0)
		if err != nil || !w.Reset.Equal(t0.Add(time.Hour)) {
			t.Fatalf("hour window = %+v, %v", w, err)
		}
		if w := hit("long", 1, t0.Add(2*time.Minute)); w.Count != 2 || !w.Reset.Equal(t0.Add(time.Hour)) {
			t.Fatalf("hour window, minute hit = %+v", w)
		}
	})
}

func TestTokenSpent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		if spent, err := d.TokenSpent(ctx, "h", t0); spent || err != nil {
			t.Fatalf("before: %v, %v", spent, err)
		}
		if err := d.SpendToken(ctx, "h", t0.Add(time.Minute), t0); err != nil {
			t.Fatal(err)
		}
		if spent, err := d.TokenSpent(ctx, "h", t0.Add(59*time.Second)); !spent || err != nil {
			t.Fatalf("spent: %v, %v", spent, err)
		}
		if spent, err := d.TokenSpent(ctx, "h", t0.Add(time.Minute)); spent || err != nil {
			t.Fatalf("expired: %v, %v", spent, err)
		}
	})
}

func TestSpendToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		exp := t0.Add(time.Minute)
		if err := d.SpendToken(ctx, "h1", exp, t0); err != nil {
			t.Fatal(err)
		}
		if err := d.SpendToken(ctx, "h1", exp, t0.Add(59*time.Second)); !errors.Is(err, ErrConflict) {
			t.Fatalf("re-spend: %v, want ErrConflict", err)
		}
		if err := d.SpendToken(ctx, "h2", exp, t0); err != nil {
			t.Fatalf("other token: %v", err)
		}
		// Once expired (but not yet swept) it can be spent again, with the new expiry.
		if err := d.SpendToken(ctx, "h1", exp.Add(time.Minute), exp); err != nil {
			t.Fatalf("spend after expiry: %v", err)
		}
		if err := d.SpendToken(ctx, "h1", exp.Add(time.Minute), exp.Add(59*time.Second)); !errors.Is(err, ErrConflict) {
			t.Fatalf("re-spend in new lifetime: %v, want ErrConflict", err)
		}
	})
}

func TestSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		now := t0
		s := Sessions{DB: d, Now: func() time.Time { return now }}
		if b, ok, err := s.FindCtx(ctx, "tok"); b != nil || ok || err != nil {
			t.Fatalf("unknown = %q, %v, %v", b, ok, err)
		}
		data := []byte{0, 1, 2, 0xff, 'x'}
		// A token minted in this request is inserted; see TestSessionsStayDead
		// for commits of other tokens.
		ctx = WithCommit(ctx, CommitInfo{New: true})
		if err := s.CommitCtx(ctx, "tok", data, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if b, ok, err := s.FindCtx(ctx, "tok"); string(b) != string(data) || !ok || err != nil {
			t.Fatalf("found = %q, %v, %v", b, ok, err)
		}
		// Commit replaces data and expiry.
		if err := s.Commit("tok", []byte("v2"), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if b, ok, err := s.Find("tok"); string(b) != "v2" || !ok || err != nil {
			t.Fatalf("after recommit = %q, %v, %v", b, ok, err)
		}
		if err := s.CommitCtx(ctx, "empty", []byte{}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if b, ok, err := s.FindCtx(ctx, "empty"); len(b) != 0 || !ok || err != nil {
			t.Fatalf("empty data = %q, %v, %v", b, ok, err)
		}
		// Expired is not found.
		now = t0.Add(time.Minute)
		if b, ok, err := s.FindCtx(ctx, "tok"); b != nil || ok || err != nil {
			t.Fatalf("expired = %q, %v, %v", b, ok, err)
		}
		now = t0
		if err := s.Delete("tok"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.FindCtx(ctx, "tok"); ok {
			t.Fatal("deleted session found")
		}
		if err := s.DeleteCtx(ctx, "tok"); err != nil {
			t.Fatalf("delete twice: %v", err)
		}
		if _, ok, _ := s.FindCtx(ctx, "empty"); !ok {
			t.Fatal("delete removed another session")
		}
		// Without a clock it uses the real time.
		wall := Sessions{DB: d}
		if err := wall.CommitCtx(ctx, "live", []byte("x"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := wall.Find("live"); !ok || err != nil {
			t.Fatalf("real clock = %v, %v", ok, err)
		}
	})
}

func TestSweep(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		short, long := t0.Add(time.Minute), t0.Add(10*time.Minute)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err := d.Hit(ctx, "short", 1, time.Minute, t0)
		must(err)
		_, err = d.Hit(ctx, "long", 1, 10*time.Minute, t0)
		must(err)
		must(d.SpendToken(ctx, "short", short, t0))
		must(d.SpendToken(ctx, "long", long, t0))
		s := Sessions{DB: d, Now: func() time.Time { return t0 }}
		fresh := WithCommit(ctx, CommitInfo{New: true})
		must(s.CommitCtx(fresh, "short", []byte("a"), short))
		must(s.CommitCtx(fresh, "long", []byte("b"), long))
		if _, err := d.StartSMSVerification(ctx, smsStart("+15551234567", "VE1", "1", t0.Add(-9*time.Minute))); err != nil {
			t.Fatal(err)
		}
		if _, err := d.StartSMSVerification(ctx, smsStart("+15551234568", "VE2", "1", t0)); err != nil {
			t.Fatal(err)
		}

		if err := d.Sweep(ctx, short); err != nil {
			t.Fatal(err)
		}
		// Looked at with the old clock, swept rows are gone and live ones stay.
		if w, _ := d.Peek(ctx, "short", t0); w.Count != 0 {
			t.Error("expired counter kept")
		}
		if w, _ := d.Peek(ctx, "long", t0); w.Count != 1 {
			t.Error("live counter swept")
		}
		if err := d.SpendToken(ctx, "short", short, t0); err != nil {
			t.Errorf("expired spent token kept: %v", err)
		}
		if err := d.SpendToken(ctx, "long", long, t0); !errors.Is(err, ErrConflict) {
			t.Errorf("live spent token swept: %v", err)
		}
		if _, ok, _ := s.Find("short"); ok {
			t.Error("expired session kept")
		}
		if _, ok, _ := s.Find("long"); !ok {
			t.Error("live session swept")
		}
		if _, err := d.SMSVerificationFor(ctx, "login", "+15551234567"); !errors.Is(err, ErrNotFound) {
			t.Errorf("expired verification kept: %v", err)
		}
		if _, err := d.SMSVerificationFor(ctx, "login", "+15551234568"); err != nil {
			t.Errorf("live verification swept: %v", err)
		}
	})
}

func TestDevices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		mustCreateUser(t, d, testUser("u2", "bob@example.com"))
		if _, err := d.TOTPDevice(ctx, "u1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no device: %v", err)
		}
		if err := d.SavePendingDevice(ctx, "u1", "YF1", t0); err != nil {
			t.Fatal(err)
		}
		dev, err := d.TOTPDevice(ctx, "u1")
		if err != nil || dev.UserID != "u1" || dev.FactorSID != "YF1" || dev.Confirmed ||
			!dev.CreatedAt.Equal(t0) || !dev.ConfirmedAt.IsZero() {
			t.Fatalf("pending = %+v, %v", dev, err)
		}
		// A new pending factor replaces the old one.
		later := t0.Add(time.Minute)
		if err := d.SavePendingDevice(ctx, "u1", "YF2", later); err != nil {
			t.Fatal(err)
		}
		if dev, _ = d.TOTPDevice(ctx, "u1"); dev.FactorSID != "YF2" || !dev.CreatedAt.Equal(later) {
			t.Fatalf("replaced pending = %+v", dev)
		}
		if err := d.ConfirmDevice(ctx, "u1", "YF1", later); !errors.Is(err, ErrNotFound) {
			t.Fatalf("confirm replaced factor: %v", err)
		}
		if err := d.ConfirmDevice(ctx, "u2", "YF2", later); !errors.Is(err, ErrNotFound) {
			t.Fatalf("confirm another user's factor: %v", err)
		}
		confirmed := t0.Add(2 * time.Minute)
		if err := d.ConfirmDevice(ctx, "u1", "YF2", confirmed); err != nil {
			t.Fatal(err)
		}
		if dev, _ = d.TOTPDevice(ctx, "u1"); !dev.Confirmed || !dev.ConfirmedAt.Equal(confirmed) || !dev.CreatedAt.Equal(later) {
			t.Fatalf("confirmed = %+v", dev)
		}
		if err := d.ConfirmDevice(ctx, "u1", "YF2", confirmed); !errors.Is(err, ErrNotFound) {
			t.Fatalf("confirm twice: %v", err)
		}
		// A confirmed device is not replaced by a pending one.
		if err := d.SavePendingDevice(ctx, "u1", "YF3", confirmed); !errors.Is(err, ErrConflict) {
			t.Fatalf("pending over confirmed: %v", err)
		}
		if dev, _ = d.TOTPDevice(ctx, "u1"); dev.FactorSID != "YF2" || !dev.Confirmed {
			t.Fatalf("after refused pending = %+v", dev)
		}
		// Delete needs the right factor.
		if err := d.DeleteDevice(ctx, "u1", "YF3"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.TOTPDevice(ctx, "u1"); err != nil {
			t.Fatalf("wrong-factor delete removed the device: %v", err)
		}
		if err := d.DeleteDevice(ctx, "u1", "YF2"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.TOTPDevice(ctx, "u1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		if err := d.SavePendingDevice(ctx, "u1", "YF4", confirmed); err != nil {
			t.Fatalf("pending after delete: %v", err)
		}
		// Devices belong to existing users.
		if err := d.SavePendingDevice(ctx, "nope", "YF5", t0); err == nil {
			t.Fatal("device saved for an unknown user")
		}
	})
}

func TestBackupCodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		mustCreateUser(t, d, testUser("u2", "bob@example.com"))
		left := func(user string) int {
			t.Helper()
			n, err := d.BackupCodesLeft(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := left("u1"); n != 0 {
			t.Fatalf("none yet: %d", n)
		}
		if err := d.ReplaceBackupCodes(ctx, "u1", []string{"a", "b", "c"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := d.ReplaceBackupCodes(ctx, "u2", []string{"a"}, t0); err != nil {
			t.Fatal(err)
		}
		if n := left("u1"); n != 3 {
			t.Fatalf("left = %d, want 3", n)
		}
		use := func(user, h string) bool {
			t.Helper()
			ok, err := d.UseBackupCode(ctx, user, h, t0)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !use("u1", "a") {
			t.Fatal("right code refused")
		}
		if use("u1", "a") {
			t.Fatal("used code accepted")
		}
		if use("u1", "zzz") {
			t.Fatal("wrong code accepted")
		}
		if !use("u2", "a") {
			t.Fatal("same hash of another user refused")
		}
		if n := left("u1"); n != 2 {
			t.Fatalf("left = %d, want 2", n)
		}
		// A new set replaces the old one entirely, used codes included.
		if err := d.ReplaceBackupCodes(ctx, "u1", []string{"a", "d"}, t0); err != nil {
			t.Fatal(err)
		}
		if use("u1", "b") {
			t.Fatal("old code works after replacement")
		}
		if !use("u1", "a") || !use("u1", "d") {
			t.Fatal("new codes refused")
		}
		if n := left("u1"); n != 0 {
			t.Fatalf("left = %d, want 0", n)
		}
		if err := d.ReplaceBackupCodes(ctx, "u1", nil, t0); err != nil {
			t.Fatal(err)
		}
		// The transaction is all or nothing: a duplicate in the new set
		// keeps the old one.
		if err := d.ReplaceBackupCodes(ctx, "u2", []string{"x", "y"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := d.ReplaceBackupCodes(ctx, "u2", []string{"p", "p"}, t0); err == nil {
			t.Fatal("duplicate hashes accepted")
		}
		if n := left("u2"); n != 2 || !use("u2", "x") {
			t.Fatalf("failed replacement changed the set: %d left", n)
		}
	})
}
