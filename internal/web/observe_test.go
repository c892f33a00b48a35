package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/web"
)

// requests is a web.Observer that records each request as one line.
type requests struct {
	mu     sync.Mutex
	lines  []string
	faults int
}

func (o *requests) Request(method, route string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines = append(o.lines, fmt.Sprintf("%s %q %d", method, route, status))
}

func (o *requests) DatabaseUnavailable() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults++
}

// take waits until n requests are observed (each is observed just after
// its answer went out), then returns them and the faults, and forgets them.
func (o *requests) take(n int) ([]string, int) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		o.mu.Lock()
		got := len(o.lines)
		o.mu.Unlock()
		if got >= n {
			break
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	l, f := o.lines, o.faults
	o.lines, o.faults = nil, 0
	return l, f
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// send sends a request with extra headers through c.
func (c *client) send(method, path string, header http.Header) resp {
	c.t.Helper()
	req, err := http.NewRequest(method, c.h.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return c.do(req)
}

// accessLines returns the access log lines naming id. The line is written
// once the handler returns, which may be just after the client has read
// the whole answer: it waits up to a few seconds for one to appear.
func (h *harness) accessLines(id string) []string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []string
		for _, l := range strings.Split(h.logs.String(), "\n") {
			if strings.Contains(l, "msg=request ") && strings.Contains(l, "request_id="+id) {
				out = append(out, l)
			}
		}
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEveryResponseCarriesARequestID(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	seen := map[string]bool{}
	for _, tc := range []struct {
		method, path string
		header       http.Header
		status       int
	}{
		{"GET", "/login", nil, http.StatusOK},
		{"GET", "/no-such-page", nil, http.StatusNotFound},
		{"DELETE", "/login", nil, http.StatusMethodNotAllowed},
		{"GET", "/dashboard", nil, http.StatusSeeOther},
		{"GET", "/static/css/app.css", nil, http.StatusOK},
		{"GET", "/healthz", nil, http.StatusOK},
		{"GET", "/readyz", nil, http.StatusOK},
		{"POST", "/login", http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
	} {
		r := c.send(tc.method, tc.path, tc.header)
		id := r.header.Get(web.RequestIDHeader)
		if r.status != tc.status || !generatedID.MatchString(id) || seen[id] {
			t.Errorf("%s %s: %d, %s %q; want %d and a fresh 128-bit hex ID", tc.method, tc.path, r.status, web.RequestIDHeader, id, tc.status)
		}
		seen[id] = true
		if n := len(h.accessLines(id)); n != 1 {
			t.Errorf("%s %s: %d access log lines, want 1\n%s", tc.method, tc.path, n, h.logs.String())
		}
	}
}

func TestClientRequestID(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	kept := "req-2026_11.23-" + strings.Repeat("a", 64-15)
	r := c.send("GET", "/login", http.Header{web.RequestIDHeader: {kept}})
	if got := r.header.Get(web.RequestIDHeader); got != kept {
		t.Errorf("a safe client ID was replaced by %q", got)
	}
	if len(h.accessLines(kept)) != 1 {
		t.Errorf("no access log line with the client's ID\n%s", h.logs.String())
	}
	for _, bad := range []string{kept + "a", "has space", "quote\"d", "ümlaut", "a=b", "<script>"} {
		r := c.send("GET", "/login", http.Header{web.RequestIDHeader: {bad}})
		if got := r.header.Get(web.RequestIDHeader); !generatedID.MatchString(got) {
			t.Errorf("client ID %q: answered %q, want a generated ID", bad, got)
		}
		if strings.Contains(h.logs.String(), bad) {
			t.Errorf("client ID %q reached the log", bad)
		}
	}
}

func TestAccessLogLeavesOutQueryAndCookie(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	tok := c.token()
	r := c.send("GET", "/login?next=/secret-token-here", nil)
	lines := h.accessLines(r.header.Get(web.RequestIDHeader))
	if len(lines) != 1 {
		t.Fatalf("%d access log lines, want 1\n%s", len(lines), h.logs.String())
	}
	for _, want := range []string{`method=GET`, `route="GET /login"`, `status=303`, `duration=`, `bytes=`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("access log line %q lacks %s", lines[0], want)
		}
	}
	logs := h.logs.String()
	if strings.Contains(logs, "secret-token-here") || strings.Contains(logs, "next=") {
		t.Errorf("the query string reached the log:\n%s", logs)
	}
	if tok == "" || strings.Contains(logs, tok) {
		t.Errorf("the session cookie reached the log (or the test has none)")
	}
}

// TestLogLinesOfARequestCarryItsID checks that a line a handler logs names
// the same request ID as the access log line.
func TestLogLinesOfARequestCarryItsID(t *testing.T) {
	h := newHarness(t)
	r := h.client().send("POST", "/login", http.Header{"Sec-Fetch-Site": {"cross-site"}})
	id := r.header.Get(web.RequestIDHeader)
	var refused bool
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, "cross-origin request refused") {
			refused = strings.Contains(l, "request_id="+id)
		}
	}
	if !refused {
		t.Errorf("the refusal's log line does not name request %s:\n%s", id, h.logs.String())
	}
}

func TestObserverSeesRoutesNotPaths(t *testing.T) {
	obs := &requests{}
	h := newHarness(t, func(s *setup) { s.web = func(o *web.Options) { o.Observer = obs } })
	c := h.client()
	c.get("/login?next=/secret")
	c.get("/static/css/app.css")
	c.get("/no-such-page/12345")
	c.send("BREW", "/login", nil)
	c.send("POST", "/login", http.Header{"Sec-Fetch-Site": {"cross-site"}})
	got, faults := obs.take(5)
	want := []string{`GET "GET /login" 200`, `GET "GET /static/" 200`, `GET "none" 404`, `OTHER "none" 405`, `POST "none" 403`}
	if !slices.Equal(got, want) || faults != 0 {
		t.Errorf("observed %q (%d faults), want %q", got, faults, want)
	}
}

func TestReadiness(t *testing.T) {
	var notReady error
	var mu sync.Mutex
	obs := &requests{}
	h := newHarness(t, func(s *setup) {
		s.web = func(o *web.Options) {
			o.Observer = obs
			o.Ready = func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				return notReady
			}
		}
	})
	c := h.client()
	if r := c.get("/readyz"); r.status != http.StatusOK || r.body != "ready" {
		t.Fatalf("ready: %d %q", r.status, r.body)
	}
	mu.Lock()
	notReady = errors.New("shutting down")
	mu.Unlock()
	if r := c.get("/readyz"); r.status != http.StatusServiceUnavailable || r.body != "not ready" {
		t.Errorf("not ready: %d %q", r.status, r.body)
	}
	if r := c.get("/healthz"); r.status != http.StatusOK || r.body != "ok" {
		t.Errorf("liveness followed readiness: %d %q", r.status, r.body)
	}
	if _, faults := obs.take(3); faults != 0 {
		t.Errorf("%d database faults counted with the database up", faults)
	}
}

// TestDatabaseFaultIsCounted pings a database that times out: both checks
// answer 503, and each such request counts once as a database fault.
func TestDatabaseFaultIsCounted(t *testing.T) {
	obs := &requests{}
	var h *harness
	h = newHarness(t, func(s *setup) {
		s.web = func(o *web.Options) {
			o.Observer = obs
			o.Ping = func(ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, 0)
				defer cancel()
				return h.db.Ping(ctx)
			}
		}
	})
	c := h.client()
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := c.get(path); r.status != http.StatusServiceUnavailable {
			t.Errorf("%s with the database down: %d", path, r.status)
		}
	}
	c.get("/login")
	if _, faults := obs.take(3); faults != 2 {
		t.Errorf("%d database faults counted, want 2", faults)
	}
}
