package mail

import (
	"context"
	"errors"
	"fmt"
	"gatehouse/internal/outbox"
	"io"
	"strings"
	"sync"
	"time"
)

// Sender is a mail transport. Send returns once the message is handed over
// (to the server, the file, the writer), or with an error wrapping ErrSend,
// and ErrRejected as well when trying again cannot help. Send respects ctx.
// A Sender is safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// NewConsoleSender returns a Sender that writes each message to w, the
// subject on one line and the body indented below it, for development.
func NewConsoleSender(w io.Writer) Sender {
	return &consoleSender{w: w}
}

type consoleSender struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *consoleSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: console: %w", ErrSend, err)
	}
	if err := m.validate(); err != nil {
		return err
	}
	body := "    " + strings.ReplaceAll(strings.TrimRight(m.Body, "\n"), "\n", "\n    ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintf(s.w, "Mail to %s: %s\n%s\n", m.To, m.Subject, body); err != nil {
		return fmt.Errorf("%w: console: %w", ErrSend, err)
	}
	return nil
}

// OutboxEntry is one line of the outbox file.
type OutboxEntry struct {
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Kind    string    `json:"kind,omitempty"`
	Links   []string  `json:"links"`   // Links(Body), never null
	SentAt  time.Time `json:"sent_at"` // RFC 3339, UTC
}

// NewOutboxSender returns a Sender that appends each message as one
// OutboxEntry per line (JSON Lines) to the file at path, created with mode
// 0600 (an existing file is narrowed to 0600, as it holds sign-in links).
// Each line is written and synced before Send returns, so another process
// (a test, an operator) can follow a link at once. now stamps sent_at; nil
// means time.Now. It is safe for concurrent use, also by several processes.
func NewOutboxSender(path string, now func() time.Time) (Sender, error) {
	if now == nil {
		now = time.Now
	}
	f, err := outbox.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return &outboxSender{f: f, now: now}, nil
}

type outboxSender struct {
	f   *outbox.File
	now func() time.Time
}

func (s *outboxSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: outbox: %w", ErrSend, err)
	}
	if err := m.validate(); err != nil {
		return err
	}
	err := s.f.Append(OutboxEntry{
		To: m.To, Subject: m.Subject, Body: m.Body, Kind: m.Kind,
		Links: Links(m.Body), SentAt: s.now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSend, err)
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
		return fmt.Errorf("%w: memory: %w", ErrSend, err)
	}
	if err := m.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

// Last returns the latest message sent to the address to.
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
