package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestEmailTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		mustCreateUser(t, d, testUser("u2", "bob@example.com"))
		exp := t0.Add(30 * time.Minute)
		tok := func(hash, user, purpose string) EmailToken {
			return EmailToken{Hash: hash, UserID: user, Purpose: purpose, CreatedAt: t0, ExpiresAt: exp}
		}
		if err := d.CreateEmailToken(ctx, tok("h1", "u1", "reset")); err != nil {
			t.Fatal(err)
		}
		if err := d.CreateEmailToken(ctx, tok("h1", "u2", "reset")); !errors.Is(err, ErrConflict) {
			t.Fatalf("same hash again: %v, want ErrConflict", err)
		}
		got, err := d.EmailToken(ctx, "h1", "reset", t0)
		if err != nil || got.UserID != "u1" || got.Purpose != "reset" || !got.ExpiresAt.Equal(exp) || !got.UsedAt.IsZero() {
			t.Fatalf("EmailToken = %+v, %v", got, err)
		}
		for name, lookup := range map[string]func() error{
			"other purpose": func() error { _, err := d.EmailToken(ctx, "h1", "verify_email", t0); return err },
			"expired":       func() error { _, err := d.EmailToken(ctx, "h1", "reset", exp); return err },
			"unknown":       func() error { _, err := d.EmailToken(ctx, "nope", "reset", t0); return err },
		} {
			if err := lookup(); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
		// A newer link of the same kind replaces the unused older one; other
		// kinds and other users keep theirs.
		if err := d.CreateEmailToken(ctx, tok("v1", "u1", "verify_email")); err != nil {
			t.Fatal(err)
		}
		if err := d.CreateEmailToken(ctx, tok("h2", "u2", "reset")); err != nil {
			t.Fatal(err)
		}
		if err := d.CreateEmailToken(ctx, tok("h3", "u1", "reset")); err != nil {
			t.Fatal(err)
		}
		if _, err := d.EmailToken(ctx, "h1", "reset", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("replaced link still works: %v", err)
		}
		for _, h := range []string{"v1", "h2", "h3"} {
			p := "reset"
			if h == "v1" {
				p = "verify_email"
			}
			if _, err := d.EmailToken(ctx, h, p, t0); err != nil {
				t.Fatalf("%s: %v", h, err)
			}
		}
		// Use: once, only live, only its purpose.
		if _, err := d.UseEmailToken(ctx, "h3", "verify_email", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other purpose used: %v", err)
		}
		if _, err := d.UseEmailToken(ctx, "h3", "reset", exp); !errors.Is(err, ErrNotFound) {
			t.Fatalf("expired used: %v", err)
		}
		if uid, err := d.UseEmailToken(ctx, "h3", "reset", t0); err != nil || uid != "u1" {
			t.Fatalf("use = %q, %v", uid, err)
		}
		if _, err := d.UseEmailToken(ctx, "h3", "reset", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("used twice: %v", err)
		}
		if _, err := d.EmailToken(ctx, "h3", "reset", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("used token still live: %v", err)
		}
		// Sweep drops expired links only.
		if err := d.Sweep(ctx, exp); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM email_tokens`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("after sweep: %d rows, %v", n, err)
		}
	})
}

func TestVerifyEmail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		if at, err := d.EmailVerifiedAt(ctx, "u1"); err != nil || !at.IsZero() {
			t.Fatalf("new user verified at %v, %v", at, err)
		}
		if _, err := d.EmailVerifiedAt(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		if err := d.CreateEmailToken(ctx, EmailToken{Hash: "v1", UserID: "u1", Purpose: "verify_email",
			CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.VerifyEmail(ctx, "v1", "reset", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other purpose: %v", err)
		}
		if at, _ := d.EmailVerifiedAt(ctx, "u1"); !at.IsZero() {
			t.Fatal("a refused token verified the address")
		}
		at := t0.Add(time.Hour)
		if uid, err := d.VerifyEmail(ctx, "v1", "verify_email", at); err != nil || uid != "u1" {
			t.Fatalf("verify = %q, %v", uid, err)
		}
		if got, err := d.EmailVerifiedAt(ctx, "u1"); err != nil || !got.Equal(at) {
			t.Fatalf("verified at %v, %v; want %v", got, err, at)
		}
		if _, err := d.VerifyEmail(ctx, "v1", "verify_email", at); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second use: %v", err)
		}
	})
}

func TestPasswords(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		mustCreateUser(t, d, testUser("u1", "ada@example.com"))
		mustCreateUser(t, d, testUser("u2", "bob@example.com"))
		hashOf := func(id string) string {
			t.Helper()
			u, err := d.UserByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return u.PasswordHash
		}
		if err := d.SetPassword(ctx, "u1", "new-1", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if u, _ := d.UserByID(ctx, "u1"); u.PasswordHash != "new-1" || !u.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after set: %+v", u)
		}
		if err := d.SetPassword(ctx, "nobody", "x", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		mk := func(hash, user string) {
			t.Helper()
			if err := d.CreateEmailToken(ctx, EmailToken{Hash: hash, UserID: user, Purpose: "reset",
				CreatedAt: t0, ExpiresAt: t0.Add(30 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		mk("r1", "u1")
		// Another user's token, or none, changes nothing.
		for _, uid := range []string{"u2", ""} {
			if err := d.ResetPassword(ctx, uid, "r1", "reset", "stolen", t0); !errors.Is(err, ErrNotFound) {
				t.Fatalf("reset as %q: %v", uid, err)
			}
		}
		if hashOf("u2") != "$argon2id$hash-u2" || hashOf("u1") != "new-1" {
			t.Fatal("a refused reset changed a password")
		}
		if _, err := d.EmailToken(ctx, "r1", "reset", t0); err != nil {
			t.Fatalf("a refused reset used the token: %v", err)
		}
		if err := d.ResetPassword(ctx, "u1", "r1", "reset", "reset-1", t0); err != nil {
			t.Fatal(err)
		}
		if hashOf("u1") != "reset-1" {
			t.Fatal("reset did not set the password")
		}
		if err := d.ResetPassword(ctx, "u1", "r1", "reset", "again", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second reset with one token: %v", err)
		}
		// Racing resets with one token: exactly one wins.
		mk("r2", "u1")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = d.ResetPassword(ctx, "u1", "r2", "reset", "race", t0)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrNotFound):
				t.Errorf("racing reset: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d resets won, want 1", won)
		}
	})
}
