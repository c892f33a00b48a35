package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"gatehouse/internal/store/storetest"
)

func TestIsUnavailable(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("outer: %w", err) }
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"no rows", sql.ErrNoRows, false},
		{"not found", ErrNotFound, false},
		{"conflict", wrap(ErrConflict), false},
		{"caller gave up", wrap(context.Canceled), false},
		{"plain", errors.New("syntax error"), false},
		{"unique violation", wrap(&pgconn.PgError{Code: "23505"}), false},
		{"serialization", wrap(&pgconn.PgError{Code: "40001"}), false},
		{"bad conn", wrap(driver.ErrBadConn), true},
		{"conn closed", wrap(pgconn.ErrConnClosed), true},
		{"conn done", wrap(sql.ErrConnDone), true},
		{"deadline", wrap(context.DeadlineExceeded), true},
		{"eof", wrap(io.ErrUnexpectedEOF), true},
		{"refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), true},
		{"reset", wrap(os.NewSyscallError("read", syscall.ECONNRESET)), true},
		{"admin shutdown", wrap(&pgconn.PgError{Code: "57P01"}), true},
		{"crash shutdown", wrap(&pgconn.PgError{Code: "57P02"}), true},
		{"starting up", wrap(&pgconn.PgError{Code: "57P03"}), true},
		{"connection failure", wrap(&pgconn.PgError{Code: "08006"}), true},
		{"too many connections", wrap(&pgconn.PgError{Code: "53300"}), true},
	} {
		if got := isUnavailable(c.err); got != c.want {
			t.Errorf("%s: isUnavailable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
		marked := dbErr(c.err)
		if got := errors.Is(marked, ErrUnavailable); got != c.want {
			t.Errorf("%s: errors.Is(dbErr(err), ErrUnavailable) = %v, want %v", c.name, got, c.want)
		}
		if c.err != nil && !errors.Is(marked, c.err) {
			t.Errorf("%s: dbErr lost the original error: %v", c.name, marked)
		}
	}
	if err := dbErr(dbErr(driver.ErrBadConn)); strings.Count(err.Error(), "unavailable") != 1 {
		t.Errorf("marked twice: %v", err)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// unreachablePostgres returns a PostgreSQL DB whose pool points at a port
// nothing listens on: the pool connects lazily, so every call meets the
// fault, as after the server went away.
func unreachablePostgres(t *testing.T) *DB {
	t.Helper()
	cfg, err := pgxpool.ParseConfig("postgres://nobody@" + closedPort(t) + "/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := &DB{db: stdlib.OpenDBFromPool(pool), dialect: Postgres, onClose: pool.Close, opTimeout: pgOpTimeout}
	t.Cleanup(func() { d.Close() })
	return d
}

// faultCalls calls every method of *DB and Sessions that reaches the
// database once, by name.
func faultCalls(d *DB) map[string]func(ctx context.Context) error {
	now := t0
	u := testUser("u1", "ada@example.com")
	a := TOTPAttempt{Identity: "id", SID: "YF1", Status: TOTPVerified, Step: 1, Now: now, MaxFailures: 5}
	s := Sessions{DB: d, Now: func() time.Time { return now }}
	return map[string]func(ctx context.Context) error{
		"Ping":         func(ctx context.Context) error { return d.Ping(ctx) },
		"CreateUser":   func(ctx context.Context) error { return d.CreateUser(ctx, u) },
		"UserByEmail":  func(ctx context.Context) error { _, err := d.UserByEmail(ctx, u.Email); return err },
		"UserByID":     func(ctx context.Context) error { _, err := d.UserByID(ctx, u.ID); return err },
		"EmailExists":  func(ctx context.Context) error { _, err := d.EmailExists(ctx, u.Email); return err },
		"ListUsers":    func(ctx context.Context) error { _, err := d.ListUsers(ctx); return err },
		"SetPhoneMFA":  func(ctx context.Context) error { return d.SetPhoneMFA(ctx, u.ID, "+12015550123", now) },
		"BeginAttempt": func(ctx context.Context) error { _, err := d.BeginAttempt(ctx, u.ID, 100, now); return err },
		"Unlock":       func(ctx context.Context) error { return d.Unlock(ctx, u.ID) },
		"EnableMFA":    func(ctx context.Context) error { return d.EnableMFA(ctx, u.ID, "+12015550123", now) },
		"ReserveGuess": func(ctx context.Context) error {
			_, err := d.ReserveGuess(ctx, GuessKey{"e", "n"}, testGuessPolicy(now))
			return err
		},
		"EndGuess": func(ctx context.Context) error {
			_, err := d.EndGuess(ctx, GuessKey{"e", "n"}, GuessFailed, testGuessPolicy(now))
			return err
		},
		"ClearGuesses": func(ctx context.Context) error { return d.ClearGuesses(ctx, "e") },
		"CancelSMSVerification": func(ctx context.Context) error {
			return d.CancelSMSVerification(ctx, "login", "u1")
		},
		"ResetAttempts": func(ctx context.Context) error { return d.ResetAttempts(ctx, u.ID) },
		"Atomically": func(ctx context.Context) error {
			return d.Atomically(ctx, func(ctx context.Context) error { return d.ResetAttempts(ctx, u.ID) })
		},
		"Lock":       func(ctx context.Context) error { return d.Lock(ctx, u.ID, now.Add(time.Hour)) },
		"EndAttempt": func(ctx context.Context) error { return d.EndAttempt(ctx, u.ID) },
		"Hit":        func(ctx context.Context) error { _, err := d.Hit(ctx, "k", 1, time.Minute, now); return err },
		"Peek":       func(ctx context.Context) error { _, err := d.Peek(ctx, "k", now); return err },
		"SpendToken": func(ctx context.Context) error { return d.SpendToken(ctx, "h", now.Add(time.Minute), now) },
		"Sweep":      func(ctx context.Context) error { return d.Sweep(ctx, now) },
		"TokenSpent": func(ctx context.Context) error { _, err := d.TokenSpent(ctx, "h", now); return err },
		"BackupCodeUsed": func(ctx context.Context) error {
			_, err := d.BackupCodeUsed(ctx, u.ID, "h")
			return err
		},
		"SpendOnce": func(ctx context.Context) error {
			_, err := d.SpendOnce(ctx, "h", now.Add(time.Minute), now)
			return err
		},
		"TOTPDevice": func(ctx context.Context) error { _, err := d.TOTPDevice(ctx, u.ID); return err },
		"SavePendingDevice": func(ctx context.Context) error {
			return d.SavePendingDevice(ctx, u.ID, "YF1", now)
		},
		"ConfirmDevice": func(ctx context.Context) error { return d.ConfirmDevice(ctx, u.ID, "YF1", now) },
		"DeleteDevice":  func(ctx context.Context) error { return d.DeleteDevice(ctx, u.ID, "YF1") },
		"ReplaceBackupCodes": func(ctx context.Context) error {
			return d.ReplaceBackupCodes(ctx, u.ID, []string{"a", "b"}, now)
		},
		"UseBackupCode":   func(ctx context.Context) error { _, err := d.UseBackupCode(ctx, u.ID, "a", now); return err },
		"BackupCodesLeft": func(ctx context.Context) error { _, err := d.BackupCodesLeft(ctx, u.ID); return err },
		"StartSMSVerification": func(ctx context.Context) error {
			_, err := d.StartSMSVerification(ctx, smsStart("+12015550123", "VE1", "123456", now))
			return err
		},
		"SMSVerificationFor": func(ctx context.Context) error {
			_, err := d.SMSVerificationFor(ctx, "login", "+12015550123")
			return err
		},
		"CheckSMSVerification": func(ctx context.Context) error {
			_, err := d.CheckSMSVerification(ctx, SMSCheck{SID: "VE1", To: "+12015550123",
				CodeHash: []byte("x"), Now: now, MaxChecks: 5})
			return err
		},
		"CreateTOTPFactor": func(ctx context.Context) error {
			return d.CreateTOTPFactor(ctx, TOTPFactor{SID: "YF1", Identity: "id", FriendlyName: "Phone",
				SecretSealed: []byte{1}, CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
		},
		"TOTPFactorByID":   func(ctx context.Context) error { _, err := d.TOTPFactorByID(ctx, "id", "YF1"); return err },
		"ApproveTOTP":      func(ctx context.Context) error { return d.ApproveTOTP(ctx, a) },
		"FailTOTP":         func(ctx context.Context) error { return d.FailTOTP(ctx, a) },
		"DeleteTOTPFactor": func(ctx context.Context) error { return d.DeleteTOTPFactor(ctx, "id", "YF1") },
		"SweepVerifyLocal": func(ctx context.Context) error { return d.SweepVerifyLocal(ctx, now) },
		"CreateEmailToken": func(ctx context.Context) error {
			return d.CreateEmailToken(ctx, EmailToken{Hash: "h", UserID: u.ID, Purpose: "reset", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		},
		"EmailToken":       func(ctx context.Context) error { _, err := d.EmailToken(ctx, "h", "reset", now); return err },
		"UseEmailToken":    func(ctx context.Context) error { _, err := d.UseEmailToken(ctx, "h", "reset", now); return err },
		"VerifyEmail":      func(ctx context.Context) error { _, err := d.VerifyEmail(ctx, "h", "verify_email", now); return err },
		"EmailVerifiedAt":  func(ctx context.Context) error { _, err := d.EmailVerifiedAt(ctx, u.ID); return err },
		"SetPassword":      func(ctx context.Context) error { return d.SetPassword(ctx, u.ID, "hash", now) },
		"ResetPassword":    func(ctx context.Context) error { return d.ResetPassword(ctx, u.ID, "h", "reset", "hash", now) },
		"Sessions.FindCtx": func(ctx context.Context) error { _, _, err := s.FindCtx(ctx, "tok"); return err },
		"Sessions.CommitCtx": func(ctx context.Context) error {
			return s.CommitCtx(ctx, "tok", []byte("data"), now.Add(time.Hour))
		},
		"Sessions.DeleteCtx": func(ctx context.Context) error { return s.DeleteCtx(ctx, "tok") },
		"Sessions.CommitCtx(new)": func(ctx context.Context) error {
			return s.CommitCtx(WithCommit(ctx, CommitInfo{New: true}), "tok", []byte("data"), now.Add(time.Hour))
		},
		"UserSessions":  func(ctx context.Context) error { _, err := d.UserSessions(ctx, u.ID, "tok", now); return err },
		"RevokeSession": func(ctx context.Context) error { return d.RevokeSession(ctx, u.ID, "id") },
		"RevokeOtherSessions": func(ctx context.Context) error {
			_, err := d.RevokeOtherSessions(ctx, u.ID, "tok")
			return err
		},
		"RememberDevice": func(ctx context.Context) error {
			return d.RememberDevice(ctx, RememberedDevice{ID: "d1", UserID: u.ID, TokenHash: "h", ExpiresAt: now})
		},
		"UseRememberedDevice": func(ctx context.Context) error { return d.UseRememberedDevice(ctx, u.ID, "h", "", now) },
		"RememberedDevices":   func(ctx context.Context) error { _, err := d.RememberedDevices(ctx, u.ID, now); return err },
		"ForgetDevice":        func(ctx context.Context) error { return d.ForgetDevice(ctx, u.ID, "d1") },
		"ForgetDevices":       func(ctx context.Context) error { _, err := d.ForgetDevices(ctx, u.ID); return err },
		"AddActivity": func(ctx context.Context) error {
			return d.AddActivity(ctx, ActivityRecord{UserID: u.ID, At: now, Event: "sign_in"})
		},
		"Activity":      func(ctx context.Context) error { _, err := d.Activity(ctx, u.ID, 20); return err },
		"SweepActivity": func(ctx context.Context) error { return d.SweepActivity(ctx, now) },
		"SetDisabled":   func(ctx context.Context) error { return d.SetDisabled(ctx, u.ID, true, now) },
		"IsDisabled":    func(ctx context.Context) error { _, err := d.IsDisabled(ctx, u.ID); return err },
		"DeleteUser":    func(ctx context.Context) error { return d.DeleteUser(ctx, u.ID) },
		"ResetMFA":      func(ctx context.Context) error { return d.ResetMFA(ctx, u.ID, now) },
		"Sessions.UpdateCtx": func(ctx context.Context) error {
			return s.UpdateCtx(ctx, "tok", []byte("data"), now.Add(time.Hour))
		},
		"Identity": func(ctx context.Context) error { _, err := d.Identity(ctx, u.ID); return err },
		"Groups":   func(ctx context.Context) error { _, err := d.Groups(ctx, u.ID); return err },
		"ChangeGroups": func(ctx context.Context) error {
			return d.ChangeGroups(ctx, u.ID, GroupChange{Add: []string{"admins"}})
		},
	}
}

// TestUnavailableEveryMethod: with the database unreachable, every method
// answers promptly with an error wrapping ErrUnavailable. New methods must be
// added to faultCalls: the test fails for any it does not know.
func TestUnavailableEveryMethod(t *testing.T) {
	d := unreachablePostgres(t)
	calls := faultCalls(d)
	noDB := []string{"Close", "Dialect", "SQL"}
	typ := reflect.TypeOf(d)
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if _, ok := calls[name]; !ok && !slices.Contains(noDB, name) {
			t.Errorf("method %s has no case in faultCalls", name)
		}
	}
	names := make([]string, 0, len(calls))
	for name := range calls {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ctx, faults := WatchFaults(ctx)
		start := time.Now()
		err := calls[name](ctx)
		cancel()
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v, want an error wrapping ErrUnavailable", name, err)
		}
		if !faults.Seen() {
			t.Errorf("%s: the fault was not recorded for WatchFaults", name)
		}
		if el := time.Since(start); el > pgOpTimeout+time.Second {
			t.Errorf("%s took %v", name, el)
		}
	}
}

// TestWatchFaultsIgnoresOtherErrors: refusals of the request (not found,
// conflict) are no fault of the database.
func TestWatchFaultsIgnoresOtherErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx, faults := WatchFaults(context.Background())
		if _, err := d.UserByID(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		if err := d.CreateUser(ctx, testUser("u2", "ada@example.com")); !errors.Is(err, ErrConflict) {
			t.Fatal(err)
		}
		if err := d.SpendToken(ctx, "h", t0.Add(time.Minute), t0); err != nil {
			t.Fatal(err)
		}
		if err := d.SpendToken(ctx, "h", t0.Add(time.Minute), t0); !errors.Is(err, ErrConflict) {
			t.Fatal(err)
		}
		if faults.Seen() {
			t.Fatal("a refusal was recorded as a database fault")
		}
		var none *Faults
		if none.Seen() {
			t.Fatal("nil Faults saw a fault")
		}
	})
}

// TestOpenUnavailable: a server that cannot be reached at start is a fault
// of the database too.
func TestOpenUnavailable(t *testing.T) {
	_, err := Open(context.Background(), "postgres://nobody@"+closedPort(t)+"/none?sslmode=disable&connect_timeout=2")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("open: %v, want ErrUnavailable", err)
	}
}

// TestSQLiteLockedIsUnavailable: a SQLite database still locked by another
// writer after the busy timeout answers ErrUnavailable, for single
// statements and transactions alike, and nothing of the transaction lands.
func TestSQLiteLockedIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	d, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	mustCreateUser(t, d, testUser("u1", "ada@example.com"))
	if err := d.ReplaceBackupCodes(ctx, "u1", []string{"old"}, t0); err != nil {
		t.Fatal(err)
	}
	// One connection with a short busy timeout, so the test waits briefly.
	d.db.SetMaxOpenConns(1)
	if _, err := d.db.ExecContext(ctx, `PRAGMA busy_timeout = 200`); err != nil {
		t.Fatal(err)
	}
	other, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.db.BeginTx(ctx, nil) // immediate: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = updated_at`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Hit(ctx, "k", 1, time.Minute, t0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("hit on a locked database: %v", err)
	}
	if err := d.ReplaceBackupCodes(ctx, "u1", []string{"new"}, t0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("replace on a locked database: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n, err := d.BackupCodesLeft(ctx, "u1"); err != nil || n != 1 {
		t.Fatalf("codes left = %d, %v", n, err)
	}
	if ok, err := d.UseBackupCode(ctx, "u1", "old", t0); err != nil || !ok {
		t.Fatalf("old code after the failed replacement: %v, %v", ok, err)
	}
}

// backendPIDs returns the server processes of connections named app.
func backendPIDs(t *testing.T, admin *pgx.Conn, app string) []int32 {
	t.Helper()
	rows, err := admin.Query(context.Background(),
		`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

func adminConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// TestPostgresReconnects: when the server ends every connection of the pool
// (as a restart does), calls fail with ErrUnavailable at worst and the pool
// serves again by itself, without reopening the DB.
func TestPostgresReconnects(t *testing.T) {
	dsn := storetest.FreshSchemaDSN(t)
	ctx := context.Background()
	const app = "gatehouse_reconnect_test"
	d, err := OpenPostgres(ctx, dsn+"&application_name="+app)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	admin := adminConn(t, dsn)
	mustCreateUser(t, d, testUser("u1", "ada@example.com"))
	for round := range 3 {
		// Hold several connections so the pool has more than one to lose.
		errs := raceErrs(8, func(i int) error { _, err := d.Hit(ctx, fmt.Sprint("k", i), 1, time.Minute, t0); return err })
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		pids := backendPIDs(t, admin, app)
		if len(pids) == 0 {
			t.Fatal("no pool connection to end")
		}
		for _, pid := range pids {
			if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := d.UserByID(ctx, "u1")
			if err == nil {
				break
			}
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("round %d: %v, want nil or ErrUnavailable", round, err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: pool did not reconnect: %v", round, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := d.ReplaceBackupCodes(ctx, "u1", []string{"a"}, t0); err != nil && !errors.Is(err, ErrUnavailable) {
			t.Fatalf("round %d: transaction after reconnect: %v", round, err)
		}
		if err := d.Ping(ctx); err != nil {
			t.Fatalf("round %d: ping after reconnect: %v", round, err)
		}
	}
}

// TestPostgresTxLostHalfway: a transaction whose connection is lost after
// some of its statements ran reports ErrUnavailable and leaves nothing of
// itself behind: the old backup codes all still work.
func TestPostgresTxLostHalfway(t *testing.T) {
	dsn := storetest.FreshSchemaDSN(t)
	ctx := context.Background()
	const app = "gatehouse_halfway_test"
	d, err := OpenPostgres(ctx, dsn+"&application_name="+app)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	mustCreateUser(t, d, testUser("u1", "ada@example.com"))
	if err := d.ReplaceBackupCodes(ctx, "u1", []string{"old1", "old2"}, t0); err != nil {
		t.Fatal(err)
	}
	// A blocker holds an uncommitted row with the key of one of the new
	// codes: the replacement locks the user, deletes the old codes, then
	// waits on that key until its connection is ended.
	blocker := adminConn(t, dsn)
	btx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer btx.Rollback(ctx) //nolint:errcheck
	if _, err := btx.Exec(ctx, `INSERT INTO backup_codes (user_id, code_hash, created_at) VALUES ('u1', 'new2', 0)`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.ReplaceBackupCodes(ctx, "u1", []string{"new1", "new2"}, t0) }()
	admin := adminConn(t, dsn)
	deadline := time.Now().Add(10 * time.Second)
	var waiting int32
	for waiting == 0 {
		if err := admin.QueryRow(ctx, `SELECT COALESCE(MAX(pid), 0) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the replacement never waited on the blocker")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, waiting); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("replacement cut off halfway: %v, want ErrUnavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("replacement did not return after its connection ended")
	}
	if err := btx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := d.BackupCodesLeft(ctx, "u1")
	for i := 0; errors.Is(err, ErrUnavailable) && i < 50; i++ {
		time.Sleep(20 * time.Millisecond)
		n, err = d.BackupCodesLeft(ctx, "u1")
	}
	if err != nil || n != 2 {
		t.Fatalf("codes left = %d, %v; want the 2 old ones", n, err)
	}
	for _, h := range []string{"old1", "old2"} {
		if ok, err := d.UseBackupCode(ctx, "u1", h, t0); err != nil || !ok {
			t.Fatalf("old code %s: %v, %v", h, ok, err)
		}
	}
}
