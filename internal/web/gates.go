package web

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// mode is how a route answers, declared for each route in routes.go.
type mode int

const (
	// modePage answers pages and redirects.
	modePage mode = iota
	// modeJSON answers JSON unless the request asks for a page (a hidden
	// field format=html, or Accept: text/html): the seed's endpoints.
	modeJSON
	// modePageFirst answers pages unless the request asks for JSON.
	modePageFirst
)

// gate says which visitors a route serves.
type gate int

const (
	guests  gate = iota // not signed in; a pending login goes to its second factor
	pending             // password right, second factor due
	members             // fully signed in
	anyone
)

// answerKey keys whether the request is answered in JSON.
type answerKey struct{}

// modeKey keys the route's declared mode.
type modeKey struct{}

// withAnswer records how r is answered: the route's mode and, for this
// request, JSON or a page.
func withAnswer(r *http.Request, m mode, asJSON bool) *http.Request {
	ctx := context.WithValue(r.Context(), modeKey{}, m)
	return r.WithContext(context.WithValue(ctx, answerKey{}, asJSON))
}

// routeMode returns the mode of the request's route.
func routeMode(ctx context.Context) mode {
	m, _ := ctx.Value(modeKey{}).(mode)
	return m
}

// answersJSON reports whether r is answered in JSON. Outside any route (an
// unknown path, a refusal before routing) a JSON request gets JSON.
func answersJSON(r *http.Request) bool {
	if v, ok := r.Context().Value(answerKey{}).(bool); ok {
		return v
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json" || acceptsJSON(r)
}

// page serves h to the visitors of g; it answers pages.
func (s *server) page(g gate, h visitorHandler) http.Handler {
	return s.gated(modePage, g, func(w http.ResponseWriter, r *http.Request, v visitor, _ apiInput) {
		h(w, r, v)
	})
}

// json serves h to the visitors of g; it answers JSON unless a page is
// asked for.
func (s *server) json(g gate, h apiHandler) http.Handler { return s.gated(modeJSON, g, h) }

// pageFirst serves h to the visitors of g; it answers pages unless JSON is
// asked for.
func (s *server) pageFirst(g gate, h apiHandler) http.Handler { return s.gated(modePageFirst, g, h) }

// gated runs h inside the session for the visitors of g, answering the
// others as the mode says.
func (s *server) gated(m mode, g gate, h apiHandler) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in apiInput
		if m != modePage {
			fields, html, ok := s.readFields(w, r, m == modePageFirst)
			if !ok {
				return
			}
			in = apiInput{fields: fields, html: html}
			r = withAnswer(r, m, !html)
		}
		v := s.who(r.Context())
		if g.admits(v.stage) {
			h(w, r, v, in)
			return
		}
		s.refuse(w, r, g, v.stage)
	})
	session := s.withSession(inner)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asJSON := false
		if m != modePage {
			asJSON = !wantsHTML(r, nil, m == modePageFirst)
		}
		session.ServeHTTP(w, withAnswer(r, m, asJSON))
	})
}

// admits reports whether a visitor at st may use a route behind g.
func (g gate) admits(st stage) bool {
	switch g {
	case guests:
		return st == anonymous
	case pending:
		return st == preAuth
	case members:
		return st == signedIn
	}
	return true
}

// refuse answers a visitor a gate turned away: a page request goes where
// the visitor stands; a JSON one gets 401 (not signed in) or 403 with the
// page to go to.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, g gate, st stage) {
	to, status, msg := "/login", http.StatusUnauthorized, "Please sign in first."
	switch st {
	case signedIn:
		to, status, msg = "/dashboard", http.StatusForbidden, "You are already signed in."
	case preAuth:
		to, status, msg = "/login/mfa", http.StatusForbidden, "Finish signing in first."
	}
	if answersJSON(r) {
		writeJSON(w, status, map[string]any{"error": msg, "redirect_url": to})
		return
	}
	if st == anonymous && g == members && routeMode(r.Context()) == modePage &&
		(r.Method == http.MethodGet || r.Method == http.MethodHead) {
		to += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// acceptsHTML reports whether the client asked for a page: browsers send
// "text/html" first when they submit a form; fetch and API clients don't.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// acceptsJSON reports whether the client asked for JSON and not a page.
func acceptsJSON(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/json") && !strings.Contains(a, "text/html")
}
