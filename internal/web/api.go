package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/store"
)

// The JSON endpoints of the authenticator and backup-code flows. They read
// application/x-www-form-urlencoded or application/json bodies and answer
// JSON, unless the request is a plain HTML form post (a hidden field
// format=html, or an Accept header asking for text/html): then they answer
// with redirects and pages like every other form of the portal, so the
// flows that must work without JavaScript do.

// fields is the parsed body of a request: each field at most once.
type fields map[string]string

func (f fields) get(name string) string { return f[name] }

// apiInput is a request to a JSON endpoint: its fields, and how to answer.
type apiInput struct {
	fields
	html bool // answer with pages and redirects instead of JSON
}

// apiHandler is a handler of a JSON endpoint.
type apiHandler func(w http.ResponseWriter, r *http.Request, v visitor, in apiInput)

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

// api serves h to visitors at stage need. htmlByDefault says whether the
// endpoint answers pages unless asked for JSON (POST /login/mfa/backup) or
// JSON unless asked for a page (the seed's four endpoints and backup code
// generation).
func (s *server) api(need stage, htmlByDefault bool, h apiHandler) http.Handler {
	return s.withSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, html, ok := s.readFields(w, r, htmlByDefault)
		if !ok {
			return
		}
		v := s.who(r.Context())
		if v.stage != need {
			s.apiRefuse(w, r, v.stage, html)
			return
		}
		h(w, r, v, apiInput{fields: in, html: html})
	}))
}

// wantsHTML decides how to answer a request to a JSON endpoint.
func wantsHTML(r *http.Request, in fields, htmlByDefault bool) bool {
	switch in.get("format") {
	case "html":
		return true
	case "json":
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if htmlByDefault {
		return mt != "application/json" && !acceptsJSON(r)
	}
	return acceptsHTML(r)
}

// readFields parses a form or JSON body (an empty body is no fields). On a
// bad body it answers itself, as a page or JSON, and returns ok=false.
func (s *server) readFields(w http.ResponseWriter, r *http.Request, htmlByDefault bool) (in fields, html, ok bool) {
	html = wantsHTML(r, nil, htmlByDefault)
	refuse := func(status int, msg string) (fields, bool, bool) {
		if status == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close")
		}
		if html {
			s.renderError(w, r, status, msg)
		} else {
			writeJSON(w, status, map[string]any{"error": msg})
		}
		return nil, html, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return refuse(http.StatusRequestEntityTooLarge, "This request is too large.")
		}
		return refuse(http.StatusBadRequest, "The request could not be read. Please try again.")
	}
	in = fields{}
	if len(strings.TrimSpace(string(body))) == 0 {
		return in, wantsHTML(r, in, htmlByDefault), true
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err == nil && mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return refuse(http.StatusBadRequest, "The form could not be read. Go back and submit it again.")
		}
		for k, vs := range vals {
			if len(vs) > 1 {
				return refuse(http.StatusBadRequest, "The field “"+k+"” was sent more than once.")
			}
			in[k] = vs[0]
		}
	case err == nil && mt == "application/json":
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			return refuse(http.StatusBadRequest, "The request body is not a JSON object.")
		}
		for k, v := range raw {
			str, ok := v.(string)
			if !ok {
				return refuse(http.StatusBadRequest, "The field “"+k+"” must be a string.")
			}
			in[k] = str
		}
	default:
		return refuse(http.StatusUnsupportedMediaType,
			"Send the fields as application/x-www-form-urlencoded or application/json.")
	}
	return in, wantsHTML(r, in, htmlByDefault), true
}

// apiRefuse answers a request whose session is at the wrong stage: a page
// request goes where the visitor stands, as the page gates do; a JSON one
// gets 401 (not signed in) or 403 with the page to go to.
func (s *server) apiRefuse(w http.ResponseWriter, r *http.Request, st stage, html bool) {
	to, status, msg := "/login", http.StatusUnauthorized, "Please sign in first."
	switch st {
	case signedIn:
		to, status, msg = "/dashboard", http.StatusForbidden, "You are already signed in."
	case pending:
		to, status, msg = "/login/mfa", http.StatusForbidden, "Finish signing in first."
	}
	if html {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	writeJSON(w, status, map[string]any{"error": msg, "redirect_url": to})
}

// writeJSON writes v as the JSON response. Cache-Control: no-store is set
// for every response by the headers middleware.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"Something went wrong on our side. Please try again in a moment."}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// classify maps a domain error of the authenticator and backup-code flows
// to a status, the sentence to show and, for limits, when to retry. ok is
// false for errors no user input should cause.
func classify(err error) (status int, msg string, retry time.Duration, ok bool) {
	msg = auth.Message(err)
	var ve *auth.ValidationError
	var le *auth.LimitError
	switch {
	case errors.As(err, &le):
		return http.StatusTooManyRequests, le.Reason, le.RetryAfter, true
	case errors.As(err, &ve):
		for _, m := range ve.Fields {
			msg = m
		}
		return http.StatusBadRequest, msg, 0, true
	case errors.Is(err, auth.ErrTooManyChecks):
		return http.StatusTooManyRequests, msg, 0, true
	case errors.Is(err, auth.ErrWrongCode), errors.Is(err, auth.ErrInvalidTOTP), errors.Is(err, auth.ErrCodeExpired),
		errors.Is(err, auth.ErrTooManyCodes), errors.Is(err, auth.ErrEnrollmentLocked), errors.Is(err, auth.ErrStepExpired):
		return http.StatusBadRequest, msg, 0, true
	case errors.Is(err, auth.ErrMFANotActive), errors.Is(err, auth.ErrNoDevice):
		return http.StatusForbidden, msg, 0, true
	case errors.Is(err, auth.ErrDeviceExists):
		return http.StatusConflict, msg, 0, true
	case errors.Is(err, auth.ErrUnavailable):
		return http.StatusServiceUnavailable, msg, 0, true
	}
	return 0, "", 0, false
}

// apiFail answers a refused JSON request with {"error": …} and any extra
// members; errors no input should cause are logged and answered 500.
func (s *server) apiFail(w http.ResponseWriter, r *http.Request, err error, extra map[string]any) {
	if errors.Is(err, store.ErrUnavailable) {
		s.log.Warn("step failed: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		s.unavailable(w, r)
		return
	}
	status, msg, retry, ok := classify(err)
	if !ok {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError,
			map[string]any{"error": "Something went wrong on our side. Please try again in a moment."})
		return
	}
	if status == http.StatusServiceUnavailable {
		s.log.Warn("step failed: provider unavailable", "path", r.URL.Path, "err", err)
	}
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	body := map[string]any{"error": msg}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}
