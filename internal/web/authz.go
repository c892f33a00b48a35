package web

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

	"gatehouse/internal/access"
	"gatehouse/internal/auth"
)

// The authorisation endpoints answer a reverse proxy that asks, for every
// request to an application it guards, whether the request may pass. They
// are their own handlers, not pages: no buffered response, no session
// save. A check costs one read of the session by its token and, for a
// signed-in person, one read of the account joined to its groups; the only
// write is the last-seen stamp, at most once a minute per session (see
// refresh).

// proxyKind says which proxy protocol an endpoint speaks.
type proxyKind int

const (
	// forwardAuth: Caddy forward_auth, Traefik ForwardAuth. The original
	// request is in X-Forwarded-*; signing in is a 302 to the portal.
	forwardAuth proxyKind = iota
	// authRequest: nginx auth_request. The original request is in
	// X-Original-URL and X-Original-Method; signing in is a 401.
	authRequest
)

// identityHeaders are the headers of every 200, present even when empty:
// a proxy that copies them must never pass on a client's own.
var identityHeaders = []string{"Remote-User", "Remote-Email", "Remote-Name", "Remote-Groups"}

// original is the request a proxy asks about.
type original struct {
	req access.Request
	url string // absolute, for rd
	// trusted is false when the asking peer is not a trusted proxy: its
	// forwarded headers were ignored and the request is about the portal.
	trusted bool
}

// errForwarded means a trusted proxy described the request incompletely.
var errForwarded = errors.New("forwarded request unreadable")

// authzForward serves GET /api/authz/forward-auth.
func (s *server) authzForward(w http.ResponseWriter, r *http.Request) { s.authz(w, r, forwardAuth) }

// authzRequest serves GET /api/authz/auth-request.
func (s *server) authzRequest(w http.ResponseWriter, r *http.Request) { s.authz(w, r, authRequest) }

// authz answers one check: 200 with the identity headers, a request to sign
// in, 403, or 400 for forwarded headers it must not believe.
func (s *server) authz(w http.ResponseWriter, r *http.Request, kind proxyKind) {
	w.Header().Add("Vary", "Cookie")
	o, err := s.original(r, kind)
	if err != nil {
		s.log.Info("authz: bad forwarded headers", "ip", ipOf(r.Context()), "err", err)
		http.Error(w, "The forwarded request headers could not be read.", http.StatusBadRequest)
		return
	}
	sub, err := s.subject(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	switch s.decide(o, sub.Subject) {
	case access.Allow:
		h := w.Header()
		for _, k := range identityHeaders {
			h[k] = []string{sub.headers[k]}
		}
		w.WriteHeader(http.StatusOK)
	case access.SignIn:
		if kind == authRequest {
			http.Error(w, "Please sign in.", http.StatusUnauthorized)
			return
		}
		to := s.portal() + "/login"
		if o.trusted {
			to += "?rd=" + url.QueryEscape(o.url)
		}
		http.Redirect(w, r, to, http.StatusFound)
	default:
		s.denied(w)
	}
}

// denied answers 403 with a page that stands alone: the proxy shows it on
// the application's host, where the portal's stylesheets and images are
// not found.
func (s *server) denied(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access refused</title></head>
<body><main><h1>Access refused</h1>
<p>You do not have access to this page (403). If you think you should, ask the administrator of this application.</p>
<p><a href="%s/">Go to Gatehouse</a></p></main></body></html>
`, html.EscapeString(s.portal()))
}

// decide applies the rules in force. A request whose forwarded headers
// were ignored is about the portal's own endpoint, which is no
// application: it is never allowed.
func (s *server) decide(o original, sub access.Subject) access.Decision {
	if !o.trusted {
		if sub.SignedIn {
			return access.Deny
		}
		return access.SignIn
	}
	if s.rules == nil {
		return (*access.Rules)(nil).Decide(o.req, sub)
	}
	return s.rules.Decide(o.req, sub)
}

// portal is the portal's public origin, "" (this host) when unknown.
func (s *server) portal() string {
	if s.base == nil {
		return ""
	}
	return s.base.Scheme + "://" + s.base.Host
}

// original reads the request a proxy asks about. A NUL or control byte in
// any X-Forwarded-* or X-Original-* header is an error, from any peer.
// Only a trusted proxy's headers are believed; from any other peer the
// request is taken as what it is, a request for the endpoint itself.
func (s *server) original(r *http.Request, kind proxyKind) (original, error) {
	for name, values := range r.Header {
		if !strings.HasPrefix(name, "X-Forwarded-") && !strings.HasPrefix(name, "X-Original-") {
			continue
		}
		for _, v := range values {
			if err := access.CleanHeader(v); err != nil {
				return original{}, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok || !isTrusted(peer, s.trusted) {
		return original{req: access.Request{Host: r.Host, Path: r.URL.Path, Method: r.Method}}, nil
	}
	if kind == authRequest {
		return fromOriginalURL(r.Header.Get("X-Original-URL"), r.Header.Get("X-Original-Method"))
	}
	h := r.Header
	return fromForwarded(h.Get("X-Forwarded-Proto"), h.Get("X-Forwarded-Host"), h.Get("X-Forwarded-Uri"), h.Get("X-Forwarded-Method"))
}

// fromForwarded reads the X-Forwarded-* description of a request.
func fromForwarded(proto, host, uri, method string) (original, error) {
	proto = strings.ToLower(proto)
	switch {
	case proto != "http" && proto != "https":
		return original{}, fmt.Errorf("%w: X-Forwarded-Proto %q", errForwarded, proto)
	case host == "" || strings.ContainsAny(host, "/?#@\\ "):
		return original{}, fmt.Errorf("%w: X-Forwarded-Host %q", errForwarded, host)
	case !strings.HasPrefix(uri, "/"):
		return original{}, fmt.Errorf("%w: X-Forwarded-Uri must start with /", errForwarded)
	case method == "":
		return original{}, fmt.Errorf("%w: X-Forwarded-Method missing", errForwarded)
	}
	return original{
		req: access.Request{Host: host, Path: uri, Method: method},
		url: proto + "://" + host + uri, trusted: true,
	}, nil
}

// fromOriginalURL reads nginx's X-Original-URL and X-Original-Method.
func fromOriginalURL(raw, method string) (original, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return original{}, fmt.Errorf("%w: X-Original-URL is not absolute", errForwarded)
	}
	host, uri := rest, "/"
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, uri = rest[:i], rest[i:]
		if uri[0] != '/' {
			uri = "/" + uri
		}
	}
	return fromForwarded(scheme, host, uri, method)
}

// checkSubject is who asks, with the identity headers of a 200.
type checkSubject struct {
	access.Subject
	headers map[string]string
}

// subject reads the session of the request and, when it is signed in, the
// person's identity. A missing, unknown, expired, malformed or forged
// session token is anonymous, as is a session whose account is gone.
func (s *server) subject(r *http.Request) (checkSubject, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return checkSubject{}, nil
	}
	ctx, err := s.checker.Load(r.Context(), c.Value)
	if err != nil {
		return checkSubject{}, fmt.Errorf("web: authz: load session: %w", err)
	}
	st, uid, due := s.peek(ctx)
	if st != signedIn {
		return checkSubject{}, nil
	}
	id, err := s.auth.Identity(ctx, uid)
	if errors.Is(err, auth.ErrNoAccount) {
		return checkSubject{}, nil
	}
	if err != nil {
		return checkSubject{}, err
	}
	if due {
		s.refresh(ctx)
	}
	return checkSubject{
		Subject: access.Subject{Email: id.Email, Groups: id.Groups, SignedIn: true},
		headers: map[string]string{
			"Remote-User": id.Email, "Remote-Email": id.Email, "Remote-Name": id.Name,
			"Remote-Groups": strings.Join(id.Groups, ","),
		},
	}, nil
}

// returnURL vets rd, where an application asked to send the person back
// to; "" when it may not be used.
func (s *server) returnURL(rd string) string {
	u, ok := access.ReturnURL(rd, s.cookieDomain, s.secure)
	if !ok {
		return ""
	}
	return u
}

// withReturnOrigins widens the policy's form-action to the names under the
// cookie domain: browsers hold a redirect that follows a form post (the
// second factor, the sign-out confirmation) to form-action, and those
// redirects go to rd. A source without a scheme keeps an https portal to
// https, as access.ReturnURL does.
func withReturnOrigins(csp, cookieDomain string) string {
	if cookieDomain == "" {
		return csp
	}
	return strings.Replace(csp, "form-action 'self'",
		"form-action 'self' "+cookieDomain+":* *."+cookieDomain+":*", 1)
}
