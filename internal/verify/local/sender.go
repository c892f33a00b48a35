package local

import (
	"context"
	"errors"
	"fmt"
	"gatehouse/internal/outbox"
	"io"
	"sync"
	"time"
)

// Message is one SMS the engine sends.
type Message struct {
	To     string    `json:"to"`      // E.164
	Code   string    `json:"code"`    // the code, also inside Body
	SentAt time.Time `json:"sent_at"` // RFC 3339 in JSON
	Body   string    `json:"body"`
}

// Sender delivers SMS messages. Send returns only once the message is
// handed over; an error makes StartSMS report verify.ErrUnavailable.
// Senders are the one place where a code is written out.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// NewConsoleSender returns a Sender that writes one human-readable line per
// message to w, for development.
func NewConsoleSender(w io.Writer) Sender {
	return &consoleSender{w: w}
}

type consoleSender struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *consoleSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: console sender: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintf(s.w, "SMS to %s: %s\n", m.To, m.Body); err != nil {
		return fmt.Errorf("local: console sender: %w", err)
	}
	return nil
}

// NewOutboxSender appends every message as a JSON line to the file at path
// (package outbox: created mode 0600, synced per line).
func NewOutboxSender(path string) (Sender, error) {
	f, err := outbox.Open(path)
	if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	return &outboxSender{f: f}, nil
}

type outboxSender struct{ f *outbox.File }

func (s *outboxSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: outbox: %w", err)
	}
	if err := s.f.Append(m); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}

// MultiSender returns a Sender that hands each message to every sender in
// turn. It tries all of them and fails when any fails.
func MultiSender(s ...Sender) Sender {
	return multiSender(append([]Sender(nil), s...))
}

type multiSender []Sender

func (ms multiSender) Send(ctx context.Context, m Message) error {
	var errs []error
	for _, s := range ms {
		if err := s.Send(ctx, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// MemorySender records messages instead of sending them, for tests. The zero
// value is ready to use; it is safe for concurrent use.
type MemorySender struct {
	mu   sync.Mutex
	msgs []Message
}

// Send records m.
func (s *MemorySender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: memory sender: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

// Last returns the latest message sent to the number to.
func (s *MemorySender) Last(to string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if s.msgs[i].To == to {
			return s.msgs[i], true
		}
	}
	return Message{}, false
}

// Messages returns every message sent so far, oldest first.
func (s *MemorySender) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}
