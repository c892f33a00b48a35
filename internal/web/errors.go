package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/store"
)

// UnavailableMessage is the sentence shown when the database cannot be
// reached: the request changed nothing and may simply be sent again.
const UnavailableMessage = "The service is temporarily unavailable. Please try again in a minute."

// unavailableRetry is the Retry-After of a 503 for a database fault.
const unavailableRetry = 30 * time.Second

// fail re-renders a form page after the domain refused a step: the status
// and messages follow from err (see explain); anything unexpected is logged
// and answered with the 500 page. A database fault re-renders the page with
// UnavailableMessage and 503, keeping what the visitor typed.
func (s *server) fail(w http.ResponseWriter, r *http.Request, page string, v *view, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		s.log.Warn("step failed: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		v.Error = UnavailableMessage
		w.Header().Set("Retry-After", strconv.Itoa(int(unavailableRetry/time.Second)))
		s.render(w, r, http.StatusServiceUnavailable, page, v)
		return
	}
	status, retry, ok := explain(v, err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	if status == http.StatusServiceUnavailable {
		s.log.Warn("step failed: provider unavailable", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, status, page, v)
}

// explain puts the message of err next to its field, or at the top of the
// page, and returns the status to answer with and, for a rate limit, when
// to retry. ok is false for errors no user input should cause.
func explain(v *view, err error) (status int, retry time.Duration, ok bool) {
	msg := auth.Message(err)
	var ve *auth.ValidationError
	var le *auth.LimitError
	switch {
	case errors.As(err, &ve):
		for k, m := range ve.Fields {
			v.Fields[k] = m
		}
		if len(ve.Fields) > 1 {
			v.Error = msg
		}
		return http.StatusUnprocessableEntity, 0, true
	case errors.As(err, &le):
		v.Error = le.Reason
		return http.StatusTooManyRequests, le.RetryAfter, true
	case errors.Is(err, auth.ErrInvalidCredentials):
		v.Error = msg
		return http.StatusUnauthorized, 0, true
	case errors.Is(err, auth.ErrCaptcha):
		v.Fields["captcha"] = msg
		return http.StatusUnprocessableEntity, 0, true
	case errors.Is(err, auth.ErrEmailTaken):
		v.Fields["email"] = msg
		v.FieldLinks["email"] = "/login"
		return http.StatusUnprocessableEntity, 0, true
	case errors.Is(err, auth.ErrWrongCode), errors.Is(err, auth.ErrCodeExpired):
		v.Fields["code"] = msg
		return http.StatusUnprocessableEntity, 0, true
	case errors.Is(err, auth.ErrTooManyChecks):
		v.Fields["code"] = msg
		return http.StatusTooManyRequests, 0, true
	case errors.Is(err, auth.ErrNumberRefused):
		v.Fields["phone"] = msg
		return http.StatusUnprocessableEntity, 0, true
	case errors.Is(err, auth.ErrUnavailable):
		v.Error = msg
		return http.StatusServiceUnavailable, 0, true
	case errors.Is(err, auth.ErrNoCodeSent), errors.Is(err, auth.ErrNotVerified),
		errors.Is(err, auth.ErrStepExpired), errors.Is(err, auth.ErrTooManyCodes):
		v.Error = msg
		return http.StatusUnprocessableEntity, 0, true
	}
	return 0, 0, false
}

// restarts reports whether err ends the flow it happened in, so the visitor
// must start again from its first page.
func restarts(err error) bool {
	return errors.Is(err, auth.ErrStepExpired) || errors.Is(err, auth.ErrTooManyCodes)
}

// jsonRoutes answer JSON unless a page is asked for (Accept: text/html).
var jsonRoutes = map[string]bool{
	"/generate-totp-factor/":    true,
	"/confirm-totp-enrollment/": true,
	"/validate-totp-code/":      true,
	"/remove-totp-device/":      true,
	"/generate-backup-codes/":   true,
	"/captcha/challenge":        true,
}

// answersJSON decides how to answer an error the handler did not answer
// itself: JSON when the handler had started a JSON response, when the request
// is JSON or asks only for JSON, or when it went to a JSON route without
// asking for a page; a page otherwise.
func answersJSON(r *http.Request, h http.Header) bool {
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt == "application/json" {
		return true
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		return true
	}
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "text/html") {
		return false
	}
	return jsonRoutes[r.URL.Path] || strings.Contains(accept, "application/json")
}

// unavailable answers 503 for a database fault: the error page with
// UnavailableMessage, or {"error": UnavailableMessage} for JSON requests.
// Headers meant for the answer that was replaced (a redirect's Location, a
// length) are dropped; a session cookie already set stays.
func (s *server) unavailable(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for _, k := range []string{"Location", "Content-Length", "Content-Encoding", "Content-Disposition"} {
		h.Del(k)
	}
	h.Set("Retry-After", strconv.Itoa(int(unavailableRetry/time.Second)))
	if answersJSON(r, h) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": UnavailableMessage})
		return
	}
	v := newView("Temporarily unavailable")
	v.Error = UnavailableMessage
	s.render(w, r, http.StatusServiceUnavailable, "error", v)
}
