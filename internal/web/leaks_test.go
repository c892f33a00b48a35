package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// seenSet collects, across a test, the secrets that crossed the wire
// (session tokens, TOTP secrets, backup codes) and every URL requested or
// redirected to.
type seenSet struct {
	mu      sync.Mutex
	secrets []string
	urls    []string
	// links are the tokens of emailed links: never in a log line, and in
	// no URL but their own link's.
	links []string
}

// record notes the secrets and URLs of one exchange.
func (s *seenSet) record(req *http.Request, res *http.Response, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.urls = append(s.urls, req.URL.String())
	if loc := res.Header.Get("Location"); loc != "" {
		s.urls = append(s.urls, loc)
	}
	for _, c := range res.Cookies() {
		if c.Value != "" {
			s.secrets = append(s.secrets, c.Value)
		}
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		var m struct {
			Secret string   `json:"secret"`
			Codes  []string `json:"codes"`
		}
		if json.Unmarshal(body, &m) == nil {
			if m.Secret != "" {
				s.secrets = append(s.secrets, m.Secret, strings.ReplaceAll(m.Secret, " ", ""))
			}
			s.secrets = append(s.secrets, m.Codes...)
		}
	}
}

// noSecretLeaks fails the test when a code, password, TOTP secret, backup
// code or session token it met appears in a log line or a URL (SECURITY.md:
// "No code, secret, password or session token ever appears in a log line,
// an error message or a URL"). Every harness runs it at cleanup.
func (h *harness) noSecretLeaks() {
	s := h.seen
	s.mu.Lock()
	defer s.mu.Unlock()
	logs := h.logs.String()
	where := append([]string{logs}, s.urls...)
	long := append([]string{testPassword}, s.secrets...)
	for _, secret := range long {
		for _, w := range where {
			if len(secret) >= 8 && strings.Contains(w, secret) {
				h.t.Errorf("a secret (%d characters) leaked into a log line or URL", len(secret))
			}
		}
	}
	for _, tok := range s.links {
		if strings.Contains(logs, tok) {
			h.t.Errorf("a link token leaked into a log line")
		}
		for _, u := range s.urls {
			if strings.Contains(u, tok) && !ownLink(u, tok) {
				h.t.Errorf("a link token leaked into the URL %s", strings.ReplaceAll(u, tok, "<token>"))
			}
		}
	}
	var codes []string
	if h.sms != nil {
		for _, m := range h.sms.Messages() {
			codes = append(codes, m.Code)
		}
	}
	if h.emu != nil {
		for _, r := range h.emu.Requests() {
			codes = append(codes, r.Form.Get("Code"), r.Form.Get("AuthPayload"))
		}
	}
	for _, code := range codes {
		if code == "" {
			continue
		}
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(code) + `\b`)
		for _, w := range where {
			if re.MatchString(w) {
				h.t.Errorf("a one-time code leaked into a log line or URL")
			}
		}
	}
}

// ownLink reports whether u is the emailed link that carries tok: one of
// the link paths with tok as its only query.
func ownLink(u, tok string) bool {
	p, err := url.Parse(u)
	if err != nil || (p.Path != "/password/reset" && p.Path != "/verify-email") {
		return false
	}
	q := p.Query()
	return len(q) == 1 && len(q["token"]) == 1 && q.Get("token") == tok
}
