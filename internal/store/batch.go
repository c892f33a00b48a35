package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Group commit on SQLite.
//
// Every transaction on SQLite runs on the one writer connection, one after
// the other, and each commit costs the writer its WAL writes. So the
// transactions that wait for the writer run together: the first in line
// (the leader) begins one SQLite transaction, runs its own work and then
// the work of those queued behind it, each in a savepoint of its own, and
// commits them all at once. A work that fails is rolled back to its
// savepoint, as if it had never run, and the others go on; none of the
// callers learns its outcome before the commit, so a nil error still means
// committed, and a failed commit fails them all (so does a statement
// interrupted inside a work, which makes SQLite roll back the whole
// transaction: works must not give their statements deadlines of their
// own, nor end the transaction or change the connection's settings).
// After its batch the leader names the next in line to lead the next
// batch, so no caller works for others longer than one batch. A work that
// ends its goroutine (runtime.Goexit) ends the leader's with it: its batch
// commits nothing, its callers hear so, and the next in line leads on.
//
// The work runs in the leader's goroutine, while its caller waits, with
// the caller's context values but not its cancellation: an interrupted
// statement would roll back the whole batch. A caller whose context ends
// before its work began withdraws it and gets the context's error.

// maxBatch bounds the transactions committed at once, and so how long the
// first of them waits for the last.
const maxBatch = 32

// batch is the queue of transactions waiting for the writer.
type batch struct {
	mu      sync.Mutex
	queue   []*job
	leading bool // a leader is named or running its batch
}

// job is one transaction in the queue. Its fields after fn are guarded by
// batch.mu.
type job struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	wake chan struct{} // cap 1: finished, or named to lead

	taken    bool // in a batch: it can no longer withdraw
	started  bool // its work ran (set and read by the leader only)
	lead     bool // named to run the next batch
	finished bool
	err      error
	panicked any // what fn panicked with, panicked again in the caller
}

// inBatch runs fn as one transaction of a batch (see above) and returns
// its outcome once the batch is committed or rolled back.
func (d *DB) inBatch(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	b := &d.batch
	j := &job{ctx: ctx, fn: fn, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, j)
	if !b.leading {
		b.leading, j.lead = true, true
	}
	b.mu.Unlock()
	done := ctx.Done()
	for {
		b.mu.Lock()
		finished, lead := j.finished, j.lead
		b.mu.Unlock()
		if finished {
			if j.panicked != nil {
				panic(j.panicked)
			}
			return j.err
		}
		if lead {
			d.runBatch() // j is first in line, so this finishes it
			continue
		}
		select {
		case <-j.wake:
		case <-done:
			if b.withdraw(j) {
				return fmt.Errorf("store: begin: %w", noteFault(ctx, ctx.Err()))
			}
			done = nil // too late: wait for the outcome
		}
	}
}

// withdraw takes j out of the queue unless it is in a batch or named to
// lead one, and reports whether it did.
func (b *batch) withdraw(j *job) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if j.taken || j.lead {
		return false
	}
	if i := slices.Index(b.queue, j); i >= 0 {
		b.queue = slices.Delete(b.queue, i, i+1)
	}
	return true
}

// next takes the first job of the queue, or returns nil when it is empty.
func (b *batch) next() *job {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		return nil
	}
	j := b.queue[0]
	b.queue[0] = nil
	b.queue = b.queue[1:]
	j.taken = true
	return j
}

// finish hands the outcomes to the jobs of a batch and names the next
// leader, if anyone waits.
func (b *batch) finish(ran []*job) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, j := range ran {
		j.finished = true
		j.lead = false
		signal(j)
	}
	if len(b.queue) == 0 {
		b.leading = false
		return
	}
	b.queue[0].lead = true
	signal(b.queue[0])
}

func signal(j *job) {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// errAbandoned answers the jobs of a batch that a work ended by ending
// its goroutine (runtime.Goexit) instead of returning.
var errAbandoned = errors.New("a transaction of the batch ended its goroutine")

// runBatch runs the jobs of the queue, from its first, as one transaction.
func (d *DB) runBatch() {
	ctx := context.Background()
	release, _ := d.turn(ctx) // cannot fail without a deadline
	var (
		ran      []*job
		tx       *sql.Tx
		returned bool
	)
	// Whatever happens in a job, the turn goes back and every caller of the
	// batch hears an outcome; a job that ended the goroutine leaves nothing
	// of the batch committed.
	defer func() {
		if !returned {
			if tx != nil {
				_ = tx.Rollback()
			}
			for _, j := range ran {
				j.err, j.panicked = fmt.Errorf("store: commit: %w", errAbandoned), nil
			}
		}
		release()
		d.batch.finish(ran)
	}()
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		j := d.batch.next() // the leader's own; the others wait for the next
		j.err = fmt.Errorf("store: begin: %w", noteFault(j.ctx, err))
		ran = append(ran, j)
		returned = true
		return
	}
	var broken error
	for broken == nil && len(ran) < maxBatch {
		j := d.batch.next()
		if j == nil {
			break
		}
		ran = append(ran, j)
		broken = d.runJob(tx, j)
	}
	if broken == nil {
		broken = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if broken != nil {
		// Nothing of the batch happened, so neither did what a job
		// answered from the writes of those before it: each job that ran
		// hears the batch's failure, whatever it returned.
		for _, j := range ran {
			if j.started && j.panicked == nil {
				j.err = fmt.Errorf("store: commit: %w", noteFault(j.ctx, broken))
			}
		}
	}
	d.stmts.fill(ctx) // the statements first met in this batch
	returned = true
}

// jobSavepoint names each job's savepoint: a name no statement of the
// store uses, so a job's own savepoint cannot stand in for it.
const jobSavepoint = "gatehouse_batch_job"

// runJob runs j in its own savepoint of tx. It returns an error when the
// transaction itself can no longer be trusted (a savepoint failed): the
// batch is then rolled back.
func (d *DB) runJob(tx *sql.Tx, j *job) error {
	if err := j.ctx.Err(); err != nil {
		j.err = fmt.Errorf("store: begin: %w", noteFault(j.ctx, err))
		return nil
	}
	if _, err := tx.Exec("SAVEPOINT " + jobSavepoint); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	j.started = true
	j.err, j.panicked = call(j, tx)
	if j.err != nil || j.panicked != nil {
		if _, err := tx.Exec("ROLLBACK TO " + jobSavepoint); err != nil {
			return fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	if _, err := tx.Exec("RELEASE " + jobSavepoint); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// call runs j's work and recovers its panic.
func call(j *job, tx *sql.Tx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			err, panicked = errors.New("store: panic in a transaction"), p
		}
	}()
	return noteFault(j.ctx, j.fn(context.WithoutCancel(j.ctx), tx)), nil
}
