package mail

import (
	"context"
	"errors"
	"time"
)

// run is the worker: it sends the message due first, waits when none is
// due, and returns once the queue is closed and empty, or abandoned.
func (q *Queue) run() {
	defer close(q.done)
	for {
		it, wait, ok := q.next()
		if !ok {
			return
		}
		if it == nil || wait > 0 {
			var timer <-chan time.Time
			if it != nil {
				timer = q.after(wait)
			}
			select {
			case <-q.wake:
				continue // a new message or Close: choose again
			case <-q.ctx.Done():
				return
			case <-timer:
			}
		}
		q.attempt(it)
	}
}

// next returns the message due first and how long until it is due (zero
// when closing), nil when there is none, and false when the worker should
// stop.
func (q *Queue) next() (*item, time.Duration, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped || (q.closing && len(q.items) == 0) {
		return nil, 0, false
	}
	var first *item
	for _, it := range q.items {
		if first == nil || it.due.Before(first.due) {
			first = it
		}
	}
	if first == nil || q.closing {
		return first, 0, true
	}
	return first, first.due.Sub(q.now()), true
}

// attempt sends it once and then removes it, or schedules its retry.
func (q *Queue) attempt(it *item) {
	ctx, cancel := context.WithTimeout(q.ctx, q.timeout)
	err := q.sender.Send(ctx, it.m)
	cancel()

	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return // Close gave up and has logged it
	}
	it.attempts++
	if err == nil {
		q.stats.Sent++
		q.log.Debug("mail sent", "mail_id", it.id, "kind", it.m.Kind, "attempts", it.attempts)
		q.remove(it)
		return
	}
	reason := redact(err.Error(), it.m.To)
	switch {
	case errors.Is(err, ErrRejected) || errors.Is(err, ErrInvalidMessage):
		q.drop(it, "rejected: "+reason)
	case q.closing:
		q.drop(it, "failed at shutdown: "+reason)
	case it.attempts >= q.maxAttempts:
		q.drop(it, "attempts spent: "+reason)
	default:
		wait := q.delay(it.attempts)
		it.due = q.now().Add(wait)
		q.stats.Retried++
		q.log.Warn("mail send failed, will retry", "mail_id", it.id, "kind", it.m.Kind,
			"attempts", it.attempts, "retry_in", wait, "err", reason)
		return
	}
	q.remove(it)
}

// delay returns the wait after the given number of failed attempts:
// Backoff, doubling each time, capped at MaxBackoff.
func (q *Queue) delay(attempts int) time.Duration {
	d := q.backoff
	for i := 1; i < attempts && d < q.maxBackoff; i++ {
		d *= 2
	}
	return min(d, q.maxBackoff)
}

// drop logs that it is given up on and counts it; the caller removes it.
// The log names the message by ID and kind, never by its content or
// recipient.
func (q *Queue) drop(it *item, reason string) {
	q.stats.Dropped++
	q.log.Error("mail dropped", "mail_id", it.id, "kind", it.m.Kind,
		"attempts", it.attempts, "reason", reason)
}

// remove takes it off the queue, marking the queue idle when it empties.
func (q *Queue) remove(it *item) {
	for i, x := range q.items {
		if x == it {
			q.items = append(q.items[:i], q.items[i+1:]...)
			break
		}
	}
	if len(q.items) == 0 {
		close(q.idle)
	}
}
