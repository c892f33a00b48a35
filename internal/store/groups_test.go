package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestGroups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		mustCreateUser(t, d, testUser("u2", "bob@example.com"))
		groups := func(user string) []string {
			t.Helper()
			g, err := d.Groups(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		change := func(user string, c GroupChange) {
			t.Helper()
			if err := d.ChangeGroups(ctx, user, c); err != nil {
				t.Fatal(err)
			}
		}
		if g := groups("u1"); len(g) != 0 {
			t.Fatalf("none yet: %v", g)
		}
		change("u1", GroupChange{Replace: true, Add: []string{"dev", "admins"}})
		change("u2", GroupChange{Add: []string{"dev"}})
		if g := groups("u1"); !slices.Equal(g, []string{"admins", "dev"}) {
			t.Fatalf("after set = %v", g)
		}
		// Adding one held and removing one lacked change nothing else.
		change("u1", GroupChange{Add: []string{"dev", "ops"}, Remove: []string{"admins", "nope"}})
		if g := groups("u1"); !slices.Equal(g, []string{"dev", "ops"}) {
			t.Fatalf("after add/remove = %v", g)
		}
		change("u1", GroupChange{Replace: true})
		if g := groups("u1"); len(g) != 0 {
			t.Fatalf("after clearing = %v", g)
		}
		if g := groups("u2"); !slices.Equal(g, []string{"dev"}) {
			t.Fatalf("another account's groups changed: %v", g)
		}
		if err := d.ChangeGroups(ctx, "nope", GroupChange{Add: []string{"x"}}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown account: %v", err)
		}
		// Groups are case-sensitive names.
		change("u2", GroupChange{Add: []string{"Dev"}})
		if g := groups("u2"); !slices.Equal(g, []string{"Dev", "dev"}) {
			t.Fatalf("case = %v", g)
		}
	})
}

func TestIdentity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		id, err := d.Identity(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if id.Email != "ada@example.com" || id.FirstName != "Ada" || id.LastName != "Lovelace" || len(id.Groups) != 0 {
			t.Fatalf("identity without groups = %+v", id)
		}
		if err := d.ChangeGroups(ctx, "u1", GroupChange{Add: []string{"ops", "admins"}}); err != nil {
			t.Fatal(err)
		}
		if id, err = d.Identity(ctx, "u1"); err != nil || !slices.Equal(id.Groups, []string{"admins", "ops"}) || id.Email != "ada@example.com" {
			t.Fatalf("identity with groups = %+v, %v", id, err)
		}
		if _, err := d.Identity(ctx, "gone"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown account: %v", err)
		}
		// Deleting the account deletes its groups.
		if _, err := d.SQL().ExecContext(ctx, d.q(`DELETE FROM users WHERE id = ?`), "u1"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Identity(ctx, "u1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted account: %v", err)
		}
		var n int
		if err := d.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM user_groups`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("groups left behind: %d, %v", n, err)
		}
	})
}

// TestSessionUpdate: UpdateCtx saves a live session and never brings back
// one that was deleted or has expired.
func TestSessionUpdate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		now := t0
		s := Sessions{DB: d, Now: func() time.Time { return now }}
		if err := s.CommitCtx(WithCommit(ctx, CommitInfo{New: true}), "tok", []byte("v1"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateCtx(ctx, "tok", []byte("v2"), t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		now = t0.Add(90 * time.Minute)
		if b, ok, err := s.FindCtx(ctx, "tok"); string(b) != "v2" || !ok || err != nil {
			t.Fatalf("updated = %q, %v, %v", b, ok, err)
		}
		if err := s.DeleteCtx(ctx, "tok"); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateCtx(ctx, "tok", []byte("v3"), t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.FindCtx(ctx, "tok"); ok {
			t.Fatal("update brought back a deleted session")
		}
		if err := s.CommitCtx(ctx, "old", []byte("v1"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateCtx(ctx, "old", []byte("v2"), t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.FindCtx(ctx, "old"); ok {
			t.Fatal("update brought back an expired session")
		}
	})
}
