package mail

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// QueueOptions configures NewQueue. Zero values mean the documented
// defaults.
type QueueOptions struct {
	Sender      Sender        // required: the transport
	Log         *slog.Logger  // default: discard
	Size        int           // default 256 messages waiting or retrying; more are dropped
	MaxAttempts int           // default 8 attempts per message, then it is dropped
	Backoff     time.Duration // default 2s before the first retry, doubling each time
	MaxBackoff  time.Duration // default 5m, the cap on the wait between attempts
	Timeout     time.Duration // default 45s per attempt
	Now         func() time.Time
	// After waits like time.After; tests inject one that returns at once
	// (and moves their clock), so no test sleeps.
	After func(time.Duration) <-chan time.Time
}

// Defaults applied by NewQueue to zero QueueOptions fields.
const (
	DefaultQueueSize   = 256
	DefaultMaxAttempts = 8
	DefaultBackoff     = 2 * time.Second
	DefaultMaxBackoff  = 5 * time.Minute
	DefaultTimeout     = 45 * time.Second
)

// Stats counts what a Queue did with the messages it was given.
type Stats struct {
	Queued   int // waiting or retrying now
	Sent     int
	Retried  int // failed attempts followed by another
	Dropped  int // gave up: attempts spent, rejected, or undelivered at Close
	Overflow int // refused by Send because the queue was full or closed
}

// Queue delivers messages in the background through a Sender, one at a
// time, oldest due first. Send never blocks: a failed attempt is retried
// after Backoff, doubling up to MaxBackoff, at most MaxAttempts times; a
// message the server rejects for good is not retried. It is safe for
// concurrent use.
type Queue struct {
	sender      Sender
	log         *slog.Logger
	size        int
	maxAttempts int
	backoff     time.Duration
	maxBackoff  time.Duration
	timeout     time.Duration
	now         func() time.Time
	after       func(time.Duration) <-chan time.Time

	ctx    context.Context // cancelled when Close gives up: ends an attempt in flight
	cancel context.CancelFunc
	wake   chan struct{} // cap 1: a message arrived, or Close was called
	done   chan struct{} // closed when the worker has stopped
	once   sync.Once

	mu      sync.Mutex
	items   []*item
	idle    chan struct{} // closed when items becomes empty; replaced on the next Send
	nextID  uint64
	closing bool // no more Sends; each message gets one last attempt
	stopped bool // Close gave up; the worker must not touch items
	stats   Stats
}

type item struct {
	id       uint64
	m        Message
	attempts int
	due      time.Time
}

// NewQueue starts a Queue's worker. Stop it with Close.
func NewQueue(o QueueOptions) (*Queue, error) {
	if o.Sender == nil {
		return nil, errors.New("mail: queue: Sender is required")
	}
	if o.Size < 0 || o.MaxAttempts < 0 || o.Backoff < 0 || o.MaxBackoff < 0 || o.Timeout < 0 {
		return nil, errors.New("mail: queue: sizes and durations must not be negative")
	}
	q := &Queue{
		sender:      o.Sender,
		log:         o.Log,
		size:        cmp.Or(o.Size, DefaultQueueSize),
		maxAttempts: cmp.Or(o.MaxAttempts, DefaultMaxAttempts),
		backoff:     cmp.Or(o.Backoff, DefaultBackoff),
		maxBackoff:  cmp.Or(o.MaxBackoff, DefaultMaxBackoff),
		timeout:     cmp.Or(o.Timeout, DefaultTimeout),
		now:         o.Now,
		after:       o.After,
		wake:        make(chan struct{}, 1),
		done:        make(chan struct{}),
		idle:        make(chan struct{}),
	}
	close(q.idle)
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	if q.now == nil {
		q.now = time.Now
	}
	if q.after == nil {
		q.after = time.After
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	go q.run()
	return q, nil
}

// Send queues m and returns at once; ctx is not used for delivery, which
// outlives the request. An invalid message is refused with
// ErrInvalidMessage. When the queue is full or closed, m is dropped, logged
// and counted, and Send returns ErrQueueFull or ErrClosed: a request must
// not fail because of either.
func (q *Queue) Send(_ context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.nextID++
	id := q.nextID
	if q.closing {
		q.stats.Overflow++
		q.log.Warn("mail dropped: queue closed", "mail_id", id, "kind", m.Kind)
		return ErrClosed
	}
	if len(q.items) >= q.size {
		q.stats.Overflow++
		q.log.Error("mail dropped: queue full", "mail_id", id, "kind", m.Kind, "size", q.size)
		return ErrQueueFull
	}
	if len(q.items) == 0 {
		q.idle = make(chan struct{})
	}
	q.items = append(q.items, &item{id: id, m: m, due: q.now()})
	q.signal()
	return nil
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Queued = len(q.items)
	return s
}

// Flush waits until every queued message is sent or dropped, or until ctx
// ends, then returns an error wrapping ErrUndelivered and ctx's error. It
// does not hurry retries.
func (q *Queue) Flush(ctx context.Context) error {
	q.mu.Lock()
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %d queued: %w", ErrUndelivered, q.Stats().Queued, ctx.Err())
	}
}

// Close stops accepting messages, gives each queued message one last
// attempt at once (without waiting out its backoff) and stops the worker.
// When ctx ends first, it abandons the attempt in flight, drops and logs
// what is left, and returns an error wrapping ErrUndelivered. Calling it
// again is safe.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	q.closing = true
	q.mu.Unlock()
	q.signal()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
	}
	q.once.Do(q.cancel)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped || len(q.items) == 0 {
		return nil
	}
	n := len(q.items)
	q.stopped = true
	for _, it := range q.items {
		q.drop(it, "undelivered at shutdown")
	}
	q.items = nil
	close(q.idle)
	return fmt.Errorf("%w: %d dropped at close: %w", ErrUndelivered, n, ctx.Err())
}

// signal wakes the worker without blocking.
func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
