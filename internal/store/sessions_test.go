package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// dump returns every text and blob value of the tables, as a backup would
// hold them.
func dump(t *testing.T, d *DB, tables ...string) string {
	t.Helper()
	var b strings.Builder
	for _, table := range tables {
		rows, err := d.SQL().QueryContext(context.Background(), `SELECT * FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
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
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					b.Write(x)
				default:
					fmt.Fprint(&b, x)
				}
				b.WriteByte('|')
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}

// TestSessionsStayDead: a commit updates an existing session and inserts
// only a token marked new, so a session deleted while a request that loaded
// it was in flight is not written back; the table holds token hashes only.
func TestSessionsStayDead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		s := Sessions{DB: d, Now: func() time.Time { return t0 }}
		const token = "live-token-0123456789abcdef"
		fresh := WithCommit(ctx, CommitInfo{New: true, UserID: "u1", IP: "192.0.2.1", UserAgent: "UA"})
		if err := s.CommitCtx(fresh, token, []byte("signed-in"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := dump(t, d, "sessions"); strings.Contains(got, token) || !strings.Contains(got, TokenHash(token)) {
			t.Fatalf("sessions table holds the token or not its hash:\n%s", got)
		}
		// A request loaded the session; meanwhile a logout deletes it.
		if _, ok, err := s.FindCtx(ctx, token); !ok || err != nil {
			t.Fatalf("find = %v, %v", ok, err)
		}
		if err := s.DeleteCtx(ctx, token); err != nil {
			t.Fatal(err)
		}
		// The first request commits: nothing comes back, and it is no error.
		late := WithCommit(ctx, CommitInfo{UserID: "u1"})
		if err := s.CommitCtx(late, token, []byte("signed-in"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.FindCtx(ctx, token); ok || err != nil {
			t.Fatalf("deleted session came back: %v, %v", ok, err)
		}
		if err := s.Commit(token, []byte("x"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.FindCtx(ctx, token); ok {
			t.Fatal("a commit without context inserted a session")
		}
	})
}

func TestUserSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		now := t0
		s := Sessions{DB: d, Now: func() time.Time { return now }}
		commit := func(tok, uid, ip string, isNew bool) {
			t.Helper()
			c := WithCommit(ctx, CommitInfo{New: isNew, UserID: uid, IP: ip, UserAgent: "UA " + tok})
			if err := s.CommitCtx(c, tok, []byte("d"), t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		commit("a", "u1", "192.0.2.1", true)
		now = t0.Add(time.Minute)
		commit("b", "u1", "192.0.2.2", true)
		commit("c", "u2", "192.0.2.3", true)
		commit("anon", "", "192.0.2.4", true)
		now = t0.Add(2 * time.Minute)
		commit("a", "u1", "192.0.2.9", false) // seen again from elsewhere

		list, err := d.UserSessions(ctx, "u1", "b", now)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].IP != "192.0.2.9" || list[0].Current || !list[1].Current ||
			!list[0].CreatedAt.Equal(t0) || !list[0].LastSeen.Equal(now) || list[1].UserAgent != "UA b" {
			t.Fatalf("sessions of u1 = %+v", list)
		}
		if list[0].ID == "" || list[0].ID == list[1].ID || list[0].ID == TokenHash("a") {
			t.Fatalf("public ids = %q, %q", list[0].ID, list[1].ID)
		}
		// Another account's id revokes nothing.
		if err := d.RevokeSession(ctx, "u2", list[0].ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke by another user: %v", err)
		}
		if err := d.RevokeSession(ctx, "u1", list[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.FindCtx(ctx, "a"); ok {
			t.Fatal("revoked session found")
		}
		commit("a2", "u1", "", true)
		if n, err := d.RevokeOtherSessions(ctx, "u1", "b"); err != nil || n != 1 {
			t.Fatalf("revoke others = %d, %v", n, err)
		}
		for tok, want := range map[string]bool{"a2": false, "b": true, "c": true, "anon": true} {
			if _, ok, _ := s.FindCtx(ctx, tok); ok != want {
				t.Errorf("session %s found = %v, want %v", tok, ok, want)
			}
		}
	})
}

func TestRememberedDevices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		mustCreateUser(t, d, testUser("u2", "bob@example.com"))
		add := func(id, uid, hash string, exp time.Time) {
			t.Helper()
			if err := d.RememberDevice(ctx, RememberedDevice{ID: id, UserID: uid, TokenHash: hash,
				CreatedAt: t0, LastUsed: t0, IP: "192.0.2.1", UserAgent: "UA", ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
		}
		add("d1", "u1", "h1", t0.Add(time.Hour))
		add("d2", "u1", "h2", t0.Add(time.Minute))
		add("d3", "u2", "h3", t0.Add(time.Hour))
		if err := d.RememberDevice(ctx, RememberedDevice{ID: "d4", UserID: "u1", TokenHash: "h1"}); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate hash: %v", err)
		}
		later := t0.Add(30 * time.Second)
		if err := d.UseRememberedDevice(ctx, "u1", "h1", "192.0.2.7", later); err != nil {
			t.Fatal(err)
		}
		if err := d.UseRememberedDevice(ctx, "u2", "h1", "", later); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account's device: %v", err)
		}
		if err := d.UseRememberedDevice(ctx, "u1", "h2", "", t0.Add(time.Minute)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("expired device: %v", err)
		}
		list, err := d.RememberedDevices(ctx, "u1", later)
		if err != nil || len(list) != 2 || list[0].ID != "d1" || list[0].IP != "192.0.2.7" || !list[0].LastUsed.Equal(later) {
			t.Fatalf("devices = %+v, %v", list, err)
		}
		if err := d.ForgetDevice(ctx, "u2", "d1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("forget another account's device: %v", err)
		}
		if err := d.ForgetDevice(ctx, "u1", "d1"); err != nil {
			t.Fatal(err)
		}
		if err := d.UseRememberedDevice(ctx, "u1", "h1", "", later); !errors.Is(err, ErrNotFound) {
			t.Fatalf("forgotten device used: %v", err)
		}
		if n, err := d.ForgetDevices(ctx, "u1"); err != nil || n != 1 {
			t.Fatalf("forget all = %d, %v", n, err)
		}
		if list, _ := d.RememberedDevices(ctx, "u2", later); len(list) != 1 {
			t.Fatalf("another account's devices forgotten: %+v", list)
		}
		if err := d.Sweep(ctx, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if list, _ := d.RememberedDevices(ctx, "u2", t0); len(list) != 0 {
			t.Fatalf("expired device not swept: %+v", list)
		}
	})
}

func TestActivity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		mustCreateUser(t, d, testUser("u2", "bob@example.com"))
		for i, ev := range []string{"sign_in", "totp_enabled", "sign_in_failed"} {
			if err := d.AddActivity(ctx, ActivityRecord{UserID: "u1", At: t0.Add(time.Duration(i) * time.Hour),
				IP: "192.0.2.1", UserAgent: "UA", Event: ev, Detail: "d"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.AddActivity(ctx, ActivityRecord{UserID: "u2", At: t0, Event: "sign_in"}); err != nil {
			t.Fatal(err)
		}
		all, err := d.Activity(ctx, "u1", 0)
		if err != nil || len(all) != 3 || all[0].Event != "sign_in_failed" || all[2].Event != "sign_in" ||
			all[0].IP != "192.0.2.1" || !all[2].At.Equal(t0) || all[0].ID == "" {
			t.Fatalf("activity = %+v, %v", all, err)
		}
		if two, _ := d.Activity(ctx, "u1", 2); len(two) != 2 {
			t.Fatalf("limit 2 = %d", len(two))
		}
		if err := d.SweepActivity(ctx, t0.Add(90*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if left, _ := d.Activity(ctx, "u1", 0); len(left) != 1 || left[0].Event != "sign_in_failed" {
			t.Fatalf("after sweep = %+v", left)
		}
		if err := d.DeleteUser(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if left, _ := d.Activity(ctx, "u1", 0); len(left) != 0 {
			t.Fatalf("activity of a deleted account kept: %+v", left)
		}
	})
}

func TestAdminAccounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		s := Sessions{DB: d, Now: func() time.Time { return t0 }}
		if err := s.CommitCtx(WithCommit(ctx, CommitInfo{New: true, UserID: "u1"}), "t1", []byte("d"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := d.SetDisabled(ctx, "nobody", true, t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("disable unknown: %v", err)
		}
		if err := d.SetDisabled(ctx, "u1", true, t0); err != nil {
			t.Fatal(err)
		}
		if err := d.SetDisabled(ctx, "u1", true, t0); err != nil {
			t.Fatalf("disable twice: %v", err)
		}
		if off, err := d.IsDisabled(ctx, "u1"); !off || err != nil {
			t.Fatalf("disabled = %v, %v", off, err)
		}
		if _, ok, _ := s.FindCtx(ctx, "t1"); ok {
			t.Fatal("a disabled account's session lives on")
		}
		if err := d.SetDisabled(ctx, "u1", false, t0); err != nil {
			t.Fatal(err)
		}
		if off, _ := d.IsDisabled(ctx, "u1"); off {
			t.Fatal("enabled account still disabled")
		}
		// Reset MFA removes every second factor but the phone and turns the flag off.
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(d.SetPhoneMFA(ctx, "u1", "+12015550123", t0))
		must(d.SavePendingDevice(ctx, "u1", "YF1", t0))
		must(d.ConfirmDevice(ctx, "u1", "YF1", t0))
		must(d.ReplaceBackupCodes(ctx, "u1", []string{"a"}, t0))
		must(d.RememberDevice(ctx, RememberedDevice{ID: "d1", UserID: "u1", TokenHash: "h", ExpiresAt: t0.Add(time.Hour)}))
		must(d.ResetMFA(ctx, "u1", t0))
		if _, err := d.TOTPDevice(ctx, "u1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("device after reset: %v", err)
		}
		if n, _ := d.BackupCodesLeft(ctx, "u1"); n != 0 {
			t.Errorf("backup codes after reset: %d", n)
		}
		if list, _ := d.RememberedDevices(ctx, "u1", t0); len(list) != 0 {
			t.Errorf("remembered devices after reset: %d", len(list))
		}
		if u, _ := d.UserByID(ctx, "u1"); u.MFAEnabled {
			t.Error("MFA flag still on")
		}
		if err := d.ResetMFA(ctx, "nobody", t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("reset unknown: %v", err)
		}
		must(d.DeleteUser(ctx, "u1"))
		if _, err := d.UserByID(ctx, "u1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted user: %v", err)
		}
		if err := d.DeleteUser(ctx, "u1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}
