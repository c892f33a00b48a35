package mail_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/mail"
)

// t0 is the tests' clock.
var t0 = time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)

var msg = mail.Message{
	To:      "alice@example.com",
	Subject: "Reset your Gatehouse password",
	Body:    "Open https://portal.example.com/reset?t=abc.\nOr (http://portal.example.com/help), then https://x.example/a#b!\nNot ftp://x.example.",
	Kind:    "reset_link",
}

var msgLinks = []string{"https://portal.example.com/reset?t=abc", "http://portal.example.com/help", "https://x.example/a#b"}

func TestLinks(t *testing.T) {
	if got := mail.Links(msg.Body); !reflect.DeepEqual(got, msgLinks) {
		t.Fatalf("Links = %q, want %q", got, msgLinks)
	}
	if got := mail.Links("no links"); got == nil || len(got) != 0 {
		t.Fatalf("Links without links = %#v, want empty and not nil", got)
	}
}

func TestConsoleSender(t *testing.T) {
	var buf bytes.Buffer
	m := mail.Message{To: "bob@example.com", Subject: "Hi", Body: "line one\nline two\n"}
	if err := mail.NewConsoleSender(&buf).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if want := "Mail to bob@example.com: Hi\n    line one\n    line two\n"; buf.String() != want {
		t.Fatalf("console = %q, want %q", buf.String(), want)
	}
}

func TestOutboxSender(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "mail-outbox.jsonl")
	s, err := mail.NewOutboxSender(path, func() time.Time { return t0.In(time.FixedZone("X", 3600)) })
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			m := msg
			m.To = fmt.Sprintf("user%02d@example.com", i)
			if err := s.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("outbox stat = %v, %v; want mode 0600", st, err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var to []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if raw["sent_at"] != "2026-03-02T14:05:00Z" {
			t.Errorf("sent_at = %v, want RFC 3339 in UTC", raw["sent_at"])
		}
		var e mail.OutboxEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Subject != msg.Subject || e.Body != msg.Body || e.Kind != msg.Kind || !reflect.DeepEqual(e.Links, msgLinks) {
			t.Errorf("entry = %+v", e)
		}
		to = append(to, e.To)
	}
	slices.Sort(to)
	if len(to) != 20 || to[0] != "user00@example.com" || to[19] != "user19@example.com" {
		t.Fatalf("recipients = %v, want 20 distinct lines", to)
	}
}

func TestOutboxSenderNoLinksAndExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := mail.NewOutboxSender(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", st.Mode().Perm())
	}
	if err := s.Send(context.Background(), mail.Message{To: "a@example.com", Subject: "s", Body: "no link"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte(`"links":[]`)) {
		t.Fatalf("outbox = %s, want an empty links array", b)
	}
}

func TestSendersRefuseInvalidMessages(t *testing.T) {
	ob, err := mail.NewOutboxSender(filepath.Join(t.TempDir(), "o.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := []mail.Message{
		{To: "", Subject: "s", Body: "b"},
		{To: "Alice <alice@example.com>", Subject: "s", Body: "b"},
		{To: "alice@example.com\r\nBcc: eve@example.com", Subject: "s", Body: "b"},
		{To: "alice@example.com", Subject: "s\r\nBcc: eve@example.com", Body: "b"},
		{To: "alice@example.com", Subject: " ", Body: "b"},
		{To: "alice@example.com", Subject: "s", Body: "\n"},
	}
	for _, s := range []mail.Sender{ob, mail.NewConsoleSender(&bytes.Buffer{}), &mail.MemorySender{}} {
		for _, m := range bad {
			if err := s.Send(context.Background(), m); !errors.Is(err, mail.ErrInvalidMessage) {
				t.Errorf("%T.Send(%q) = %v, want ErrInvalidMessage", s, m.To+"|"+m.Subject, err)
			}
		}
	}
}

func TestMultiAndMemorySender(t *testing.T) {
	var a, b mail.MemorySender
	failing := mail.NewConsoleSender(errWriter{})
	err := mail.MultiSender(failing, &a, &b).Send(context.Background(), msg)
	if !errors.Is(err, mail.ErrSend) {
		t.Fatalf("MultiSender with a failing sender = %v, want ErrSend", err)
	}
	if _, ok := a.Last(msg.To); !ok {
		t.Fatal("the senders after a failing one were skipped")
	}
	if got := b.Messages(); len(got) != 1 || got[0] != msg {
		t.Fatalf("messages = %+v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Send(ctx, msg); !errors.Is(err, context.Canceled) || !errors.Is(err, mail.ErrSend) {
		t.Fatalf("send with cancelled context = %v", err)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
