package local_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/verify"
	"gatehouse/internal/verify/local"
)

var msg = local.Message{
	To:     "+15551234567",
	Code:   "123456",
	SentAt: t0,
	Body:   "Your Gatehouse verification code is 123456",
}

func TestConsoleSender(t *testing.T) {
	var buf bytes.Buffer
	if err := local.NewConsoleSender(&buf).Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if want := "SMS to +15551234567: Your Gatehouse verification code is 123456\n"; buf.String() != want {
		t.Fatalf("console = %q, want %q", buf.String(), want)
	}
}

func TestOutboxSender(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "outbox.jsonl")
	s, err := local.NewOutboxSender(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			m := msg
			m.Code = fmt.Sprintf("%06d", i)
			if err := s.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("outbox mode = %v, want 0600", st.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var codes []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var obj map[string]string
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if len(obj) != 4 || obj["to"] != msg.To || obj["body"] != msg.Body {
			t.Errorf("line = %v", obj)
		}
		if at, err := time.Parse(time.RFC3339, obj["sent_at"]); err != nil || !at.Equal(t0) {
			t.Errorf("sent_at %q: %v", obj["sent_at"], err)
		}
		codes = append(codes, obj["code"])
	}
	sort.Strings(codes)
	if len(codes) != 20 || codes[0] != "000000" || codes[19] != "000019" {
		t.Fatalf("codes = %v, want 20 distinct lines", codes)
	}
}

func TestOutboxSenderNarrowsExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := local.NewOutboxSender(path); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", st.Mode().Perm())
	}
}

func TestOutboxSenderFromEngine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	out, err := local.NewOutboxSender(path)
	if err != nil {
		t.Fatal(err)
	}
	var console bytes.Buffer
	f := newFixture(t, func(o *local.Options) {
		o.Sender = local.MultiSender(out, local.NewConsoleSender(&console))
	})
	if _, err := f.e.StartSMS(context.Background(), tgt(phone)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m local.Message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if ok, err := check(t, f, phone, m.Code); !ok || err != nil {
		t.Fatalf("outbox code = %v, %v", ok, err)
	}
	if want := "SMS to " + phone + ": Your Gatehouse verification code is " + m.Code + "\n"; console.String() != want {
		t.Fatalf("console = %q, want %q", console.String(), want)
	}
}

func TestMultiSenderTriesAll(t *testing.T) {
	var mem local.MemorySender
	err := local.MultiSender(failSender{}, &mem).Send(context.Background(), msg)
	if err == nil {
		t.Fatal("a failing sender was ignored")
	}
	if _, ok := mem.Last(msg.To); !ok {
		t.Fatal("the second sender was skipped after the first failed")
	}
	f := newFixture(t, func(o *local.Options) { o.Sender = local.MultiSender(&local.MemorySender{}, failSender{}) })
	_, err = f.e.StartSMS(context.Background(), tgt(phone))
	wantErr(t, err, verify.ErrUnavailable)
}

func TestMemorySender(t *testing.T) {
	var s local.MemorySender
	if _, ok := s.Last(msg.To); ok {
		t.Fatal("empty sender has a message")
	}
	for _, to := range []string{"+15550000001", "+15550000002", "+15550000001"} {
		m := msg
		m.To, m.Code = to, strings.Repeat(to[len(to)-1:], 6)+fmt.Sprint(len(s.Messages()))
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Messages(); len(got) != 3 || got[0].Code != "1111110" {
		t.Fatalf("messages = %+v", got)
	}
	if m, ok := s.Last("+15550000001"); !ok || m.Code != "1111112" {
		t.Fatalf("last = %+v, %v", m, ok)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, msg); !errors.Is(err, context.Canceled) {
		t.Fatalf("send with cancelled context = %v", err)
	}
}
