package web_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/web"
)

// startFrom posts registration step 1 with an X-Forwarded-For header.
func (c *client) startFrom(xff, email string) resp {
	c.t.Helper()
	body := url.Values{"first_name": {"Ada"}, "last_name": {"L"}, "email": {email}, "captcha": {c.captcha()}}
	req, err := http.NewRequest(http.MethodPost, c.h.srv.URL+"/register", strings.NewReader(body.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", xff)
	return c.do(req)
}

func TestForwardedForFromUntrustedPeerIsIgnored(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	n := h.auth.Limits().RegistrationsPerIP
	for i := range n {
		// Each request claims another client address; all come from one peer.
		r := c.startFrom("198.51.100."+strconv.Itoa(i+1), "u"+strconv.Itoa(i)+"@example.com")
		expect(t, r, http.StatusSeeOther, "/register/credentials")
	}
	r := c.startFrom("203.0.113.99", "last@example.com")
	expect(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestForwardedForFromTrustedProxy(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.web = func(o *web.Options) { o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} }
	})
	c := h.client()
	n := h.auth.Limits().RegistrationsPerIP
	for i := range n {
		expect(t, c.startFrom("198.51.100.1", "u"+strconv.Itoa(i)+"@example.com"), http.StatusSeeOther, "/register/credentials")
	}
	expect(t, c.startFrom("198.51.100.1", "last@example.com"), http.StatusTooManyRequests, "")
	// Another client behind the same proxy has its own count; an address
	// it prepends itself does not help the first one.
	expect(t, c.startFrom("198.51.100.2", "other@example.com"), http.StatusSeeOther, "/register/credentials")
	expect(t, c.startFrom("203.0.113.5, 198.51.100.1", "forged@example.com"), http.StatusTooManyRequests, "")
}
