package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestAtomicallyCommitsTogether: the statements of one Atomically take
// effect together or not at all, see their own writes, and a nested call
// joins the open transaction.
func TestAtomicallyCommitsTogether(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := d.Atomically(ctx, func(ctx context.Context) error {
			if _, err := d.Hit(ctx, "a", 1, time.Minute, t0); err != nil {
				return err
			}
			if err := d.SpendToken(ctx, "tok", t0.Add(time.Hour), t0); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Atomically: %v, want boom", err)
		}
		if w, _ := d.Peek(ctx, "a", t0); w.Count != 0 {
			t.Errorf("rolled-back counter is %d", w.Count)
		}
		if spent, _ := d.TokenSpent(ctx, "tok", t0); spent {
			t.Error("rolled-back token is spent")
		}
		err = d.Atomically(ctx, func(ctx context.Context) error {
			if _, err := d.Hit(ctx, "a", 1, time.Minute, t0); err != nil {
				return err
			}
			// Own writes are visible inside, and a nested call joins.
			return d.Atomically(ctx, func(ctx context.Context) error {
				w, err := d.Hit(ctx, "a", 1, time.Minute, t0)
				if err == nil && w.Count != 2 {
					t.Errorf("second hit inside: count %d, want 2", w.Count)
				}
				if err == nil {
					err = d.SpendToken(ctx, "tok", t0.Add(time.Hour), t0)
				}
				return err
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if w, _ := d.Peek(ctx, "a", t0); w.Count != 2 {
			t.Errorf("committed counter is %d, want 2", w.Count)
		}
		if err := d.SpendToken(ctx, "tok", t0.Add(time.Hour), t0); !errors.Is(err, ErrConflict) {
			t.Errorf("token spent inside Atomically spent again: %v", err)
		}
	})
}

// TestAtomicallyInParallel: parallel transactions each count once (no
// lost update, no deadlock on SQLite's one writer), also when their
// statements were never prepared before.
func TestAtomicallyInParallel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for range 40 {
			wg.Go(func() {
				errs <- d.Atomically(ctx, func(ctx context.Context) error {
					if _, err := d.Hit(ctx, "p", 1, time.Minute, t0); err != nil {
						return err
					}
					_, err := d.Hit(ctx, "q", 2, time.Minute, t0)
					return err
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if p, _ := d.Peek(ctx, "p", t0); p.Count != 40 {
			t.Errorf("p = %d, want 40", p.Count)
		}
		if q, _ := d.Peek(ctx, "q", t0); q.Count != 80 {
			t.Errorf("q = %d, want 80", q.Count)
		}
	})
}
