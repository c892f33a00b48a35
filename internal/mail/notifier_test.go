package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/mail"
)

func TestNotifier(t *testing.T) {
	snd := &mail.MemorySender{}
	lookup := func(_ context.Context, id string) (string, error) {
		if id == "u1" {
			return "ada@example.com", nil
		}
		return "", errors.New("no such account")
	}
	n, err := mail.NewNotifier(mail.NotifierOptions{Sender: snd, Address: lookup, Issuer: "Acme", Portal: "https://login.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)
	if err := n.Notify(context.Background(), "u1", mail.Notice{Kind: mail.NoticePasswordChanged, When: when, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	m, ok := snd.Last("ada@example.com")
	if !ok || m.Kind != string(mail.NoticePasswordChanged) || !strings.Contains(m.Subject, "Acme") ||
		!strings.Contains(m.Body, "https://login.example.com") || !strings.Contains(m.Body, "192.0.2.1") {
		t.Fatalf("message = %+v", m)
	}
	if err := n.Notify(context.Background(), "u2", mail.Notice{Kind: mail.NoticePasswordChanged, When: when}); err == nil {
		t.Fatal("unknown account notified")
	}
	if err := n.Notify(context.Background(), "u1", mail.Notice{Kind: mail.NoticeResetLink, When: when}); !errors.Is(err, mail.ErrInvalidMessage) {
		t.Fatalf("link notice without a link: %v", err)
	}
	if len(snd.Messages()) != 1 {
		t.Fatalf("%d messages, want 1", len(snd.Messages()))
	}
	if _, err := mail.NewNotifier(mail.NotifierOptions{Sender: snd}); err == nil {
		t.Fatal("notifier without Address accepted")
	}
	if _, err := mail.NewNotifier(mail.NotifierOptions{Sender: snd, Address: lookup, Portal: "ftp://x"}); err == nil {
		t.Fatal("bad Portal accepted")
	}
}
