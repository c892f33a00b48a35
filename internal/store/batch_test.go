package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// holdBatch starts a transaction on SQLite that leads a batch and stays
// inside its work until release is called, so that the transactions
// started meanwhile queue behind it and run in its batch. It returns
// release and the leader's outcome.
func holdBatch(t *testing.T, d *DB) (release func(), outcome <-chan error) {
	t.Helper()
	entered, hold, out := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		out <- d.Atomically(context.Background(), func(ctx context.Context) error {
			close(entered)
			<-hold
			_, err := d.Hit(ctx, "leader", 1, time.Minute, t0)
			return err
		})
	}()
	<-entered
	return sync.OnceFunc(func() { close(hold) }), out
}

// waitQueued waits until n transactions wait behind the batch that runs.
func waitQueued(t *testing.T, d *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.batch.mu.Lock()
		q := len(d.batch.queue)
		d.batch.mu.Unlock()
		if q == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d transactions queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// within waits for an outcome on out, failing the test after a bound.
func within[T any](t *testing.T, what string, out <-chan T) T {
	t.Helper()
	select {
	case v := <-out:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no outcome after 10s (stuck)", what)
		panic("unreachable")
	}
}

// waitAll waits for the callers of wg, failing the test after a bound.
func waitAll(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	within(t, "callers", done)
}

// hitTx counts one hit on key in a transaction of its own.
func hitTx(d *DB, key string) error {
	return d.Atomically(context.Background(), func(ctx context.Context) error {
		_, err := d.Hit(ctx, key, 1, time.Minute, t0)
		return err
	})
}

// failAtCommit runs a transaction whose commit fails: a foreign key
// checked only at commit, to a user that does not exist.
func failAtCommit(d *DB) error {
	return d.Atomically(context.Background(), func(ctx context.Context) error {
		if _, err := d.exec(ctx, d.db, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
		_, err := d.exec(ctx, d.db, `INSERT INTO user_groups (user_id, name) VALUES ('no-such-user', 'g')`)
		return err
	})
}

// count returns the counter's value.
func count(t *testing.T, d *DB, key string) int {
	t.Helper()
	w, err := d.Peek(context.Background(), key, t0)
	if err != nil {
		t.Fatal(err)
	}
	return w.Count
}

// TestBatchFailuresStayAlone: in one batch, a transaction that fails and
// one that panics leave nothing behind, while the others commit; the panic
// reaches its own caller, and the writer goes on afterwards.
func TestBatchFailuresStayAlone(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	boom := errors.New("boom")
	var wg sync.WaitGroup
	var failed, ok error
	var panicked any
	wg.Go(func() {
		failed = d.Atomically(context.Background(), func(ctx context.Context) error {
			if _, err := d.Hit(ctx, "failed", 1, time.Minute, t0); err != nil {
				return err
			}
			return boom
		})
	})
	waitQueued(t, d, 1)
	wg.Go(func() {
		defer func() { panicked = recover() }()
		_ = d.Atomically(context.Background(), func(ctx context.Context) error {
			if _, err := d.Hit(ctx, "panicked", 1, time.Minute, t0); err != nil {
				return err
			}
			panic("kaboom")
		})
	})
	waitQueued(t, d, 2)
	wg.Go(func() {
		ok = hitTx(d, "ok")
	})
	waitQueued(t, d, 3)
	release()
	wg.Wait()
	if err := <-leader; err != nil {
		t.Fatalf("leader: %v", err)
	}
	if !errors.Is(failed, boom) {
		t.Errorf("failed transaction: %v, want boom", failed)
	}
	if panicked != "kaboom" {
		t.Errorf("panic in the caller: %v, want kaboom", panicked)
	}
	if ok != nil {
		t.Errorf("good transaction beside them: %v", ok)
	}
	for key, want := range map[string]int{"leader": 1, "ok": 1, "failed": 0, "panicked": 0} {
		if got := count(t, d, key); got != want {
			t.Errorf("counter %s = %d, want %d", key, got, want)
		}
	}
	if _, err := d.Hit(context.Background(), "after", 1, time.Minute, t0); err != nil {
		t.Fatalf("a write after the batch: %v", err)
	}
}

// TestBatchFailedCommitFailsAll: when the batch's commit fails (here a
// foreign key checked only at commit), every transaction of the batch is
// told so and none of them took effect.
func TestBatchFailedCommitFailsAll(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	var wg sync.WaitGroup
	var bad, good error
	wg.Go(func() {
		bad = failAtCommit(d)
	})
	waitQueued(t, d, 1)
	wg.Go(func() {
		good = hitTx(d, "good")
	})
	waitQueued(t, d, 2)
	release()
	wg.Wait()
	for name, err := range map[string]error{"leader": <-leader, "bad": bad, "good": good} {
		if err == nil || !strings.Contains(err.Error(), "store: commit") {
			t.Errorf("%s: %v, want the failed commit", name, err)
		}
	}
	if n := count(t, d, "leader") + count(t, d, "good"); n != 0 {
		t.Errorf("a transaction of the failed batch took effect (%d)", n)
	}
	var groups int
	if err := d.db.QueryRow(`SELECT COUNT(*) FROM user_groups`).Scan(&groups); err != nil || groups != 0 {
		t.Errorf("groups after the failed commit: %d, %v", groups, err)
	}
	if _, err := d.Hit(context.Background(), "after", 1, time.Minute, t0); err != nil {
		t.Fatalf("a write after the failed batch: %v", err)
	}
}

// TestBatchCancelWhileQueued: a caller whose context ends while its
// transaction waits in the queue gets the context's error at once, and its
// work never runs.
func TestBatchCancelWhileQueued(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	out := make(chan error, 1)
	go func() {
		out <- d.Atomically(ctx, func(ctx context.Context) error {
			ran <- struct{}{}
			_, err := d.Hit(ctx, "cancelled", 1, time.Minute, t0)
			return err
		})
	}()
	waitQueued(t, d, 1)
	cancel()
	select {
	case err := <-out:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled while queued: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled caller waited for the batch ahead of it")
	}
	waitQueued(t, d, 0)
	release()
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Error("the withdrawn transaction ran")
	default:
	}
	if n := count(t, d, "cancelled"); n != 0 {
		t.Errorf("withdrawn transaction counted %d", n)
	}
}

// TestBatchCancelWhileRunning: once a transaction runs, its caller's
// cancellation interrupts none of its statements (an interrupted statement
// would roll back the whole batch): it commits and says so.
func TestBatchCancelWhileRunning(t *testing.T) {
	d := openSQLiteTest(t)
	release, leader := holdBatch(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan error, 1)
	go func() {
		out <- d.Atomically(ctx, func(ctx context.Context) error {
			cancel() // the caller gives up halfway
			_, err := d.Hit(ctx, "late", 1, time.Minute, t0)
			return err
		})
	}()
	waitQueued(t, d, 1)
	release()
	if err := <-out; err != nil {
		t.Fatalf("cancelled while running: %v", err)
	}
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, "late"); n != 1 {
		t.Errorf("counter = %d, want 1", n)
	}
}

// TestBatchManyCallers: under many parallel callers, with a quarter of
// them failing, every caller returns, the failed leave nothing and the
// others count exactly once.
func TestBatchManyCallers(t *testing.T) {
	d := openSQLiteTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Go(func() {
			errs[i] = d.Atomically(ctx, func(ctx context.Context) error {
				if _, err := d.Hit(ctx, "n", 1, time.Minute, t0); err != nil {
					return err
				}
				if i%4 == 0 {
					return boom
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i%4 == 0) != errors.Is(err, boom) || (i%4 != 0 && err != nil) {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if n := count(t, d, "n"); n != 150 {
		t.Errorf("n = %d, want 150", n)
	}
}
