package web

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"gatehouse/internal/captcha"
)

// ctxKey keys the request context values of this package.
type ctxKey int

const (
	ctxClientIP  ctxKey = iota
	ctxSession          // set once the session of the request is loaded
	ctxEarlySave        // the *earlySave of the request (saveWith)
)

// headers sets the security headers of every response and, unless a
// handler marked its response as publicly cacheable (static assets),
// Cache-Control: no-store.
func (s *server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(&cacheWriter{ResponseWriter: w}, r)
	})
}

// cacheWriter settles Cache-Control when the header is written: responses
// are no-store unless the handler declared them "public". It also replaces
// the no-cache="Set-Cookie" that the session manager adds, so exactly one
// Cache-Control header goes out.
type cacheWriter struct {
	http.ResponseWriter
	done bool
}

func (c *cacheWriter) settle() {
	if c.done {
		return
	}
	c.done = true
	h := c.ResponseWriter.Header()
	if v := h.Values("Cache-Control"); len(v) == 0 || !strings.HasPrefix(v[0], "public") {
		h.Set("Cache-Control", "no-store")
	}
}

// WriteHeader implements http.ResponseWriter.
func (c *cacheWriter) WriteHeader(code int) {
	c.settle()
	c.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (c *cacheWriter) Write(b []byte) (int, error) {
	c.settle()
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *cacheWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// contentSecurityPolicy returns the policy for the configured CAPTCHA: the
// strict default, plus the origins of a third-party widget.
func contentSecurityPolicy(p captcha.Provider) string {
	script := append([]string{"'self'"}, p.ScriptSrc...)
	style := append([]string{"'self'"}, p.StyleSrc...)
	connect := append([]string{"'self'"}, p.ConnectSrc...)
	frame := p.FrameSrc
	parts := []string{
		"default-src 'self'",
		"script-src " + strings.Join(script, " "),
		"style-src " + strings.Join(style, " "),
		"img-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
	}
	if len(frame) > 0 {
		parts = append(parts, "frame-src "+strings.Join(frame, " "))
	}
	parts = append(parts,
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"object-src 'none'",
	)
	return strings.Join(parts, "; ")
}

// limitBody refuses bodies over MaxBodyBytes with 413 before anything reads
// them: up front when Content-Length says so, and while reading otherwise
// (parseForm turns the resulting *http.MaxBytesError into 413).
func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			w.Header().Set("Connection", "close")
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "This request is too large.")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP stores the client address in the request context: the TCP peer,
// unless the peer is a trusted proxy, in which case the right-most
// X-Forwarded-For entry that is not itself a trusted proxy.
func (s *server) clientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := resolveClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.trusted)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxClientIP, ip)))
	})
}

// resolveClientIP implements clientIP; see there.
func resolveClientIP(remoteAddr string, xff []string, trusted []netip.Prefix) string {
	peer, ok := parseAddr(remoteAddr)
	if !ok {
		return remoteAddr
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	var entries []string
	for _, line := range xff {
		entries = append(entries, strings.Split(line, ",")...)
	}
	client := peer
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(entries[i]))
		if !ok {
			// Anything left of an unreadable entry may be forged too.
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client.String()
}

// parseAddr reads "ip", "ip:port" or "[ip]:port", dropping an IPv6 zone and
// unmapping IPv4-mapped IPv6 addresses.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ipOf returns the client address stored by clientIP.
func ipOf(ctx context.Context) string {
	ip, _ := ctx.Value(ctxClientIP).(string)
	return ip
}

// recoverPanic turns a panicking handler into a logged 500 page.
func (s *server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.serverError(w, r, fmt.Errorf("web: panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// crossOrigin answers a state-changing request that came from another site.
func (s *server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.log.InfoContext(r.Context(), "cross-origin request refused", "method", r.Method, "path", r.URL.Path, "ip", ipOf(r.Context()))
	s.renderError(w, r, http.StatusForbidden,
		"This request came from another site and was refused. Go back, reload the page and try again.")
}

// dispatch routes through the mux and answers unknown paths and methods
// with a page instead of plain text.
func (s *server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		setRoute(r.Context(), r.Pattern)
		return
	}
	// Without a pattern the mux answers 404, 405 or a path-cleaning
	// redirect, none of which has side effects: probe which one it is.
	probe := &statusProbe{header: http.Header{}}
	s.mux.ServeHTTP(probe, r)
	switch probe.code {
	case http.StatusNotFound:
		s.renderError(w, r, http.StatusNotFound, "We couldn't find that page.")
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.renderError(w, r, http.StatusMethodNotAllowed, "This address does not accept that kind of request.")
	default:
		s.mux.ServeHTTP(w, r)
	}
}

// statusProbe records what the mux would answer, discarding the body.
type statusProbe struct {
	header http.Header
	code   int
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) Write(b []byte) (int, error) {
	if p.code == 0 {
		p.code = http.StatusOK
	}
	return len(b), nil
}

func (p *statusProbe) WriteHeader(code int) {
	if p.code == 0 {
		p.code = code
	}
}
