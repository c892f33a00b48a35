package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestBatchGoexitInJobKeepsWriter: a work that ends its goroutine with
// runtime.Goexit (t.FailNow inside an Atomically, for one) runs in the
// leader's goroutine and ends it too. The writer and the queue must not
// stay stuck because of it: nothing of that batch is committed, the caller
// queued behind it leads the next batch and commits, and later
// transactions go through.
func TestBatchGoexitInJobKeepsWriter(t *testing.T) {
	d := openSQLiteTest(t)
	release, _ := holdBatch(t, d) // its goroutine ends with the batch
	go func() {
		_ = d.Atomically(context.Background(), func(ctx context.Context) error {
			runtime.Goexit()
			return nil
		})
	}()
	waitQueued(t, d, 1)
	other := make(chan error, 1)
	go func() {
		other <- hitTx(d, "other")
	}()
	waitQueued(t, d, 2)
	release()
	if err := within(t, "the caller behind", other); err != nil {
		t.Errorf("the caller behind the abandoned batch: %v", err)
	}
	if n := count(t, d, "leader"); n != 0 {
		t.Errorf("the abandoned batch's write committed (%d)", n)
	}
	if n := count(t, d, "other"); n != 1 {
		t.Errorf("the caller behind: %d writes committed, want 1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := d.Hit(ctx, "after", 1, time.Minute, t0); err != nil {
		t.Fatalf("a write after the batch: %v (writer turn left held)", err)
	}
	if err := d.Atomically(ctx, func(ctx context.Context) error {
		_, err := d.Hit(ctx, "after", 1, time.Minute, t0)
		return err
	}); err != nil {
		t.Fatalf("a transaction after the batch: %v (queue left stuck)", err)
	}
}

// TestBatchOutcomesMatchEffects: many callers, some with contexts that end
// at about the time their turn comes (withdrawal racing with being taken
// or named to lead), some failing: every caller returns once, and a nil
// error means its write is there exactly once, any error that it is not.
func TestBatchOutcomesMatchEffects(t *testing.T) {
	d := openSQLiteTest(t)
	boom := errors.New("boom")
	const n = 150
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx := context.Background()
			if i%3 == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(i%7)*100*time.Microsecond)
				defer cancel()
			}
			errs[i] = d.Atomically(ctx, func(ctx context.Context) error {
				if _, err := d.Hit(ctx, fmt.Sprintf("k%d", i), 1, time.Minute, t0); err != nil {
					return err
				}
				if i%5 == 0 {
					return boom
				}
				return nil
			})
		})
	}
	waitAll(t, &wg)
	for i, err := range errs {
		got := count(t, d, fmt.Sprintf("k%d", i))
		if (err == nil) != (got == 1) || got > 1 {
			t.Errorf("caller %d: told %v, counter %d", i, err, got)
		}
		if err != nil && !errors.Is(err, boom) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("caller %d: unexpected error %v", i, err)
		}
	}
	d.batch.mu.Lock()
	q, leading := len(d.batch.queue), d.batch.leading
	d.batch.mu.Unlock()
	if q != 0 || leading {
		t.Errorf("after all callers: queue %d, leading %v", q, leading)
	}
}

// TestBatchWithdrawWhenNamedLeader: a caller whose context ends at the
// moment it is named to lead the next batch (here: canceled by a work of
// the batch before) gets its context's error and its work never runs,
// whichever side wins; the caller behind it still commits.
func TestBatchWithdrawWhenNamedLeader(t *testing.T) {
	for range 8 {
		d := openSQLiteTest(t)
		release, leader := holdBatch(t, d)
		xctx, cancelX := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		// Fill the batch of the leader (maxBatch-1 more jobs), the last of
		// which cancels x.
		for i := range maxBatch - 1 {
			wg.Go(func() {
				_ = d.Atomically(context.Background(), func(ctx context.Context) error {
					if i == maxBatch-2 {
						cancelX()
					}
					return nil
				})
			})
			waitQueued(t, d, i+1)
		}
		ran := make(chan struct{}, 1)
		var xerr, yerr error
		wg.Go(func() {
			xerr = d.Atomically(xctx, func(ctx context.Context) error {
				ran <- struct{}{}
				_, err := d.Hit(ctx, "x", 1, time.Minute, t0)
				return err
			})
		})
		waitQueued(t, d, maxBatch)
		wg.Go(func() {
			yerr = hitTx(d, "y")
		})
		waitQueued(t, d, maxBatch+1)
		release()
		waitAll(t, &wg)
		if err := within(t, "leader", leader); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(xerr, context.Canceled) {
			t.Errorf("x: %v, want canceled", xerr)
		}
		select {
		case <-ran:
			t.Error("x's work ran after its context ended")
		default:
		}
		if yerr != nil || count(t, d, "y") != 1 || count(t, d, "x") != 0 {
			t.Errorf("y: %v, y=%d x=%d", yerr, count(t, d, "y"), count(t, d, "x"))
		}
		cancelX()
	}
}

// TestBatchJobWritesOutsideItsTransaction: a work that writes with a
// context other than its own (the caller's outer one, with a deadline), or
// starts a new Atomically with it, waits for the writer its own batch
// holds; the deadline ends that wait, the work fails alone, and the batch
// goes on.
func TestBatchJobWritesOutsideItsTransaction(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	var wg sync.WaitGroup
	var plain, nested error
	wg.Go(func() {
		outer, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		plain = d.Atomically(outer, func(ctx context.Context) error {
			_, err := d.Hit(outer, "plain", 1, time.Minute, t0) // not ctx
			return err
		})
	})
	waitQueued(t, d, 1)
	wg.Go(func() {
		outer, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		nested = d.Atomically(outer, func(ctx context.Context) error {
			return d.Atomically(outer, func(ctx context.Context) error { // not ctx
				_, err := d.Hit(ctx, "nested", 1, time.Minute, t0)
				return err
			})
		})
	})
	waitQueued(t, d, 2)
	release()
	waitAll(t, &wg)
	if err := within(t, "leader", leader); err != nil {
		t.Errorf("leader: %v", err)
	}
	for name, err := range map[string]error{"plain": plain, "nested": nested} {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want the deadline", name, err)
		}
		if n := count(t, d, name); n != 0 {
			t.Errorf("%s counter = %d", name, n)
		}
	}
	if n := count(t, d, "leader"); n != 1 {
		t.Errorf("leader counter = %d", n)
	}
}

// TestBatchCloseWithQueue: closing the DB while a batch runs and others
// wait: every caller returns, each told the truth as far as can be seen,
// and calls after Close fail at once instead of hanging.
func TestBatchCloseWithQueue(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			_ = hitTx(d, "q")
		})
		waitQueued(t, d, i+1)
	}
	if err := d.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	release()
	within(t, "leader", leader)
	waitAll(t, &wg)
	after := make(chan error, 4)
	for range 4 {
		go func() {
			after <- hitTx(d, "late")
		}()
	}
	for range 4 {
		if err := within(t, "call after close", after); err == nil {
			t.Error("a transaction after Close succeeded")
		}
	}
}

// TestBatchJobOwnSavepointNamedJob: a work that uses a savepoint of its
// own that happens to be named like the batch's ("job") and fails must
// still leave nothing behind: its error means none of its writes took
// effect.
func TestBatchJobOwnSavepointNamedJob(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	boom := errors.New("boom")
	out := make(chan error, 1)
	go func() {
		out <- d.Atomically(context.Background(), func(ctx context.Context) error {
			if _, err := d.Hit(ctx, "mine", 1, time.Minute, t0); err != nil {
				return err
			}
			if _, err := d.exec(ctx, d.db, `SAVEPOINT job`); err != nil {
				return err
			}
			if _, err := d.Hit(ctx, "inner", 1, time.Minute, t0); err != nil {
				return err
			}
			return boom
		})
	}()
	waitQueued(t, d, 1)
	release()
	if err := within(t, "job", out); !errors.Is(err, boom) {
		t.Fatalf("job: %v, want boom", err)
	}
	if err := within(t, "leader", leader); err != nil {
		t.Fatalf("leader: %v", err)
	}
	for _, key := range []string{"mine", "inner"} {
		if n := count(t, d, key); n != 0 {
			t.Errorf("failed job's %s counter = %d, want 0", key, n)
		}
	}
}

// TestBatchInterruptedStatementInJob: a work that gives one of its
// statements a deadline of its own, which interrupts it (SQLite then rolls
// back the whole transaction, savepoints and all): every caller of the
// batch is told the truth, an error exactly when its write did not happen.
func TestBatchInterruptedStatementInJob(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	var wg sync.WaitGroup
	var before, slow, after error
	wg.Go(func() {
		before = hitTx(d, "before")
	})
	waitQueued(t, d, 1)
	wg.Go(func() {
		slow = d.Atomically(context.Background(), func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			_, err := d.exec(ctx, d.db, `INSERT INTO counters (key, count, window_start, expires_at)
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100000000)
				SELECT 'slow' || i, 1, 0, 9000000000000 FROM n`)
			return err
		})
	})
	waitQueued(t, d, 2)
	wg.Go(func() {
		after = hitTx(d, "after")
	})
	waitQueued(t, d, 3)
	release()
	waitAll(t, &wg)
	lead := within(t, "leader", leader)
	if slow == nil {
		t.Fatal("the slow statement was not interrupted")
	}
	for key, err := range map[string]error{"leader": lead, "before": before, "after": after} {
		if n := count(t, d, key); (err == nil) != (n == 1) {
			t.Errorf("%s: told %v, counter %d", key, err, n)
		}
	}
	var slowRows int
	if err := d.db.QueryRow(`SELECT COUNT(*) FROM counters WHERE key LIKE 'slow%'`).Scan(&slowRows); err != nil || slowRows != 0 {
		t.Errorf("interrupted job left %d rows (%v)", slowRows, err)
	}
}

// TestBatchPhantomConflict: the works of a batch see the writes of the
// works before them, not yet committed. When the batch then fails to
// commit, a work that answered from those writes (here: "token already
// spent") must not keep that answer: nothing it saw took effect.
func TestBatchPhantomConflict(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	spend := func() error {
		return d.Atomically(context.Background(), func(ctx context.Context) error {
			return d.SpendToken(ctx, "tok", t0.Add(time.Hour), t0)
		})
	}
	var wg sync.WaitGroup
	var first, second, bad error
	wg.Go(func() { first = spend() })
	waitQueued(t, d, 1)
	wg.Go(func() { second = spend() })
	waitQueued(t, d, 2)
	wg.Go(func() {
		bad = failAtCommit(d)
	})
	waitQueued(t, d, 3)
	release()
	wg.Wait()
	within(t, "leader", leader)
	if bad == nil || first == nil {
		t.Fatalf("the batch committed (bad %v, first %v); the test needs a failed commit", bad, first)
	}
	spent, err := d.TokenSpent(context.Background(), "tok", t0)
	if err != nil {
		t.Fatal(err)
	}
	if errors.Is(second, ErrConflict) && !spent {
		t.Errorf("second spender told %v, but the token is not spent (the first spend was rolled back)", second)
	}
}
