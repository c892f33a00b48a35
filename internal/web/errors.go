package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"gatehouse/internal/auth"
)

// fail re-renders a form page after the domain refused a step: the status
// and messages follow from err (see explain); anything unexpected is logged
// and answered with the 500 page.
func (s *server) fail(w http.ResponseWriter, r *http.Request, page string, v *view, err error) {
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
