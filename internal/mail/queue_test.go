package mail_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/fakeclock"
	"gatehouse/internal/mail"
)

// newQueue returns a queue on s with a fake clock and a captured log;
// edit changes the options first. The queue is closed at the end.
func newQueue(t *testing.T, s mail.Sender, edit func(*mail.QueueOptions)) (*mail.Queue, *fakeTimer, *syncBuffer) {
	t.Helper()
	clock := fakeclock.New(t0)
	ft := &fakeTimer{clock: clock}
	logs := &syncBuffer{}
	o := mail.QueueOptions{
		Sender: s, Now: clock.Now, After: ft.After,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&o)
	}
	q, err := mail.NewQueue(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Close(ctx)
	})
	return q, ft, logs
}

func flush(t *testing.T, q *mail.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestQueueRetriesWithCappedBackoff(t *testing.T) {
	s := &flakySender{fails: 4}
	q, ft, logs := newQueue(t, s, func(o *mail.QueueOptions) {
		o.Backoff, o.MaxBackoff, o.MaxAttempts = time.Second, 3*time.Second, 5
	})
	if err := q.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	flush(t, q)
	if got := s.Sent(); len(got) != 1 || got[0] != msg {
		t.Fatalf("sent = %+v, want the message once", got)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}; !reflect.DeepEqual(ft.waits, want) {
		t.Fatalf("waits = %v, want %v", ft.waits, want)
	}
	if st := q.Stats(); st != (mail.Stats{Sent: 1, Retried: 4}) {
		t.Fatalf("stats = %+v", st)
	}
	assertPrivateLog(t, logs.String(), msg)
}

func TestQueueDropsAfterMaxAttempts(t *testing.T) {
	s := &flakySender{fails: 100}
	q, _, logs := newQueue(t, s, func(o *mail.QueueOptions) { o.MaxAttempts = 3 })
	if err := q.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	flush(t, q)
	if st := q.Stats(); st != (mail.Stats{Retried: 2, Dropped: 1}) || s.Attempts(msg.To) != 3 {
		t.Fatalf("stats = %+v after %d attempts", st, s.Attempts(msg.To))
	}
	log := logs.String()
	if !strings.Contains(log, `msg="mail dropped" mail_id=1 kind=reset_link attempts=3`) || !strings.Contains(log, "<recipient>") {
		t.Fatalf("log does not name the dropped message:\n%s", log)
	}
	assertPrivateLog(t, log, msg)
}

func TestQueueDoesNotRetryRejected(t *testing.T) {
	s := &flakySender{fails: 100, err: fmt.Errorf("%w: %w: 550 no such user", mail.ErrSend, mail.ErrRejected)}
	q, _, _ := newQueue(t, s, nil)
	if err := q.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	flush(t, q)
	if st := q.Stats(); st != (mail.Stats{Dropped: 1}) || s.Attempts(msg.To) != 1 {
		t.Fatalf("stats = %+v after %d attempts, want one attempt and a drop", st, s.Attempts(msg.To))
	}
}

func TestQueueRefusesInvalidMessage(t *testing.T) {
	q, _, _ := newQueue(t, &flakySender{}, nil)
	if err := q.Send(context.Background(), mail.Message{To: "not an address", Subject: "s", Body: "b"}); !errors.Is(err, mail.ErrInvalidMessage) {
		t.Fatalf("Send = %v, want ErrInvalidMessage", err)
	}
}

func TestQueueFull(t *testing.T) {
	s := hangingSender{started: make(chan struct{}, 1)}
	q, _, logs := newQueue(t, s, func(o *mail.QueueOptions) { o.Size = 2 })
	for i, want := range []error{nil, nil, mail.ErrQueueFull, mail.ErrQueueFull} {
		m := msg
		m.To = fmt.Sprintf("user%d@example.com", i)
		if err := q.Send(context.Background(), m); !errors.Is(err, want) {
			t.Fatalf("Send %d = %v, want %v", i, err, want)
		}
	}
	if st := q.Stats(); st.Queued != 2 || st.Overflow != 2 {
		t.Fatalf("stats = %+v", st)
	}
	if log := logs.String(); !strings.Contains(log, `msg="mail dropped: queue full" mail_id=3 kind=reset_link`) {
		t.Fatalf("log:\n%s", log)
	}
	assertPrivateLog(t, logs.String(), msg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, mail.ErrUndelivered) {
		t.Fatalf("Close = %v, want ErrUndelivered", err)
	}
}

func TestQueueSendNeverBlocksAndCloseHonoursDeadline(t *testing.T) {
	s := hangingSender{started: make(chan struct{}, 1)}
	q, _, logs := newQueue(t, s, func(o *mail.QueueOptions) { o.Size = 1000 })
	sent := make(chan error, 1)
	go func() {
		var err error
		for i := range 100 {
			m := msg
			m.To = fmt.Sprintf("user%d@example.com", i)
			err = errors.Join(err, q.Send(context.Background(), m))
		}
		sent <- err
	}()
	<-s.started
	select {
	case err := <-sent:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send blocked behind a hanging sender")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := q.Close(ctx)
	if !errors.Is(err, mail.ErrUndelivered) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want ErrUndelivered at the deadline", err)
	}
	if st := q.Stats(); st.Dropped != 100 || st.Queued != 0 {
		t.Fatalf("stats = %+v", st)
	}
	if n := strings.Count(logs.String(), "undelivered at shutdown"); n != 100 {
		t.Fatalf("%d shutdown drops logged, want 100", n)
	}
	if err := q.Send(context.Background(), msg); !errors.Is(err, mail.ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestQueueCloseDrainsWithoutWaitingOutBackoff(t *testing.T) {
	s := &flakySender{fails: 1}
	q, err := mail.NewQueue(mail.QueueOptions{Sender: s, Backoff: time.Hour}) // real timers
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		m := msg
		m.To = fmt.Sprintf("user%d@example.com", i)
		if err := q.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return q.Stats().Retried == 5 }) // each failed once and waits an hour
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := q.Stats(); st != (mail.Stats{Sent: 5, Retried: 5}) || len(s.Sent()) != 5 {
		t.Fatalf("stats = %+v, sent %d", st, len(s.Sent()))
	}
	if err := q.Close(ctx); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// assertPrivateLog fails when the log shows m's recipient, subject or body.
func assertPrivateLog(t *testing.T, log string, m mail.Message) {
	t.Helper()
	low := strings.ToLower(log)
	for _, secret := range append([]string{strings.ToLower(m.To), strings.ToLower(m.Subject), "example.com"}, mail.Links(m.Body)...) {
		if strings.Contains(low, strings.ToLower(secret)) {
			t.Fatalf("log shows %q:\n%s", secret, log)
		}
	}
}
