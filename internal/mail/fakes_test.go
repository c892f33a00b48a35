package mail_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/fakeclock"
	"gatehouse/internal/mail"
)

// flakySender fails its first fails attempts at each message, then
// delivers.
type flakySender struct {
	mu       sync.Mutex
	fails    int
	err      error // the failure, default an error echoing the recipient
	attempts map[string]int
	sent     []mail.Message
}

func (s *flakySender) Send(ctx context.Context, m mail.Message) error {
	s.mu.Lock()
	if s.attempts == nil {
		s.attempts = map[string]int{}
	}
	s.attempts[m.To]++
	n := s.attempts[m.To]
	if n > s.fails {
		s.sent = append(s.sent, m)
	}
	s.mu.Unlock()
	if n <= s.fails {
		if s.err != nil {
			return s.err
		}
		return fmt.Errorf("%w: 451 try later for <%s>", mail.ErrSend, strings.ToUpper(m.To))
	}
	return nil
}

// Attempts returns how often the message to to was tried.
func (s *flakySender) Attempts(to string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[to]
}

// Sent returns the delivered messages, oldest first.
func (s *flakySender) Sent() []mail.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mail.Message(nil), s.sent...)
}

// hangingSender blocks every attempt until its context ends.
type hangingSender struct{ started chan struct{} }

func (s hangingSender) Send(ctx context.Context, _ mail.Message) error {
	select {
	case s.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return fmt.Errorf("%w: %w", mail.ErrSend, ctx.Err())
}

// fakeTimer is QueueOptions.After on a fake clock: it records each wait and
// moves the clock past it instead of sleeping.
type fakeTimer struct {
	clock *fakeclock.Clock
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeTimer) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	f.clock.Advance(d)
	ch := make(chan time.Time, 1)
	ch <- f.clock.Now()
	return ch
}

// syncBuffer is a log destination safe to read while the worker writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
