package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"gatehouse/internal/password"
	"gatehouse/internal/store"
)

// maxSeed bounds the seed subcommand.
const maxSeed = 5_000_000

// seed fills a database with n accounts straight through the store, for
// measuring the portal at data scale (1,000 against 1,000,000 accounts).
// Every account gets the same realistic argon2id hash, of a random password
// nobody knows, so seeding costs one hash in all; they are filler beside the
// users a load run registers itself.
func seed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatehouse-load seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("database-url", "", "the portal's database: sqlite:PATH or postgres://… (stop the portal or expect it to wait)")
	n := fs.Int("n", 1000, "accounts to create")
	workers := fs.Int("workers", 4, "inserts in flight")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" || *n < 1 || *n > maxSeed || *workers < 1 || *workers > 64 {
		return fmt.Errorf("seed: need -database-url, 1 <= -n <= %d and 1 <= -workers <= 64", maxSeed)
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer db.Close()
	h, err := password.NewHasher(password.DefaultParams, 1, nil)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	hash, err := h.Hash(ctx, randomHex(16))
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	run := randomHex(4)
	start := time.Now()
	var done atomic.Int64
	err = parallel(ctx, *n, *workers, func(ctx context.Context, i int) error {
		now := time.Now()
		id := randomHex(16)
		u := store.User{
			ID: id, Email: fmt.Sprintf("seed-%s-%d@example.com", run, i), FirstName: "Seed", LastName: fmt.Sprint("User ", i),
			PasswordHash: hash, Phone: fmt.Sprintf("+1201555%04d", i%10000), MFAEnabled: true,
			VerifyIdentity: uuidOf(randomHex(16)), CreatedAt: now, UpdatedAt: now,
		}
		if err := db.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("seed: user %d: %w", i, err)
		}
		if d := done.Add(1); d%100_000 == 0 {
			fmt.Fprintf(stderr, "seeded %d accounts…\n", d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "seeded %d accounts in %s (%.0f/s)\n", *n, el.Round(time.Millisecond), float64(*n)/el.Seconds())
	return nil
}

// uuidOf shapes 32 hex digits as a version-4 UUID, as the portal's verify
// identities are.
func uuidOf(h string) string {
	b := []byte(h)
	b[12] = '4'
	b[16] = "89ab"[b[16]%4]
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[0:8], b[8:12], b[12:16], b[16:20], b[20:32])
}
