package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/mail"
)

// portalURL is the base of the links the harness's portal mails; tests
// follow a link by its path and query on the test server.
const portalURL = "http://gatehouse.test"

// settle waits until the portal's background steps (mails and the lookups
// behind them) are done.
func (h *harness) settle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.auth.Wait(ctx); err != nil {
		h.t.Fatalf("background steps: %v", err)
	}
}

// mailsTo returns the kinds of the mails sent to the address, oldest first.
func (h *harness) mailsTo(to string) []string {
	h.t.Helper()
	h.settle()
	var out []string
	for _, m := range h.mail.Messages() {
		if m.To == to {
			out = append(out, m.Kind)
		}
	}
	return out
}

// link returns the path and query of the last link of kind mailed to the
// address, and registers its token with the leak check.
func (h *harness) link(to string, kind mail.NoticeKind) string {
	h.t.Helper()
	h.settle()
	msgs := h.mail.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.To != to || m.Kind != string(kind) {
			continue
		}
		links := mail.Links(m.Body)
		if len(links) != 1 || !strings.HasPrefix(links[0], portalURL+"/") {
			h.t.Fatalf("%s mail has links %v", kind, links)
		}
		u, err := url.Parse(links[0])
		if err != nil {
			h.t.Fatal(err)
		}
		h.seen.mu.Lock()
		h.seen.links = append(h.seen.links, u.Query().Get("token"))
		h.seen.mu.Unlock()
		return u.RequestURI()
	}
	h.t.Fatalf("no %s mail to %s", kind, to)
	return ""
}

// forgot asks for a reset link for email and checks the answer.
func (c *client) forgot(email string) resp {
	c.t.Helper()
	r := c.post("/password/forgot", url.Values{"email": {email}, "captcha": {c.captcha()}})
	expect(c.t, r, http.StatusSeeOther, "/password/forgot/sent")
	return r
}

// sessionLog is an auth.SessionEnder that records its calls.
type sessionLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *sessionLog) EndOtherSessions(_ context.Context, userID, keep string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, "others:"+userID+":"+keep)
	return nil
}

func (l *sessionLog) EndAllSessions(_ context.Context, userID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, "all:"+userID)
	return nil
}

func (l *sessionLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

// withSessions runs the portal with the session ender e.
func withSessions(e auth.SessionEnder) func(*setup) {
	return func(s *setup) { s.sessions = e }
}

// recordLog is an auth.Recorder that keeps the events.
type recordLog struct {
	mu     sync.Mutex
	events []string
}

func (l *recordLog) Record(_ context.Context, userID, event, ip, _ string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, event)
}

func (l *recordLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

// withRecorder runs the portal with the activity recorder l.
func withRecorder(l auth.Recorder) func(*setup) {
	return func(s *setup) { s.recorder = l }
}
