package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/store"
)

// This file is the one place that turns a refused step into an HTTP
// answer: the table below says, for each domain error, its status and the
// field its sentence belongs to; fail writes the answer as a page or as
// JSON, as the route declared in routes.go; unavailable is the one answer
// to a database outage.

// UnavailableMessage is the sentence shown when the database cannot be
// reached: the request changed nothing and may simply be sent again.
const UnavailableMessage = "The service is temporarily unavailable. Please try again in a minute."

// internalMessage is the sentence of an error no input should cause.
const internalMessage = "Something went wrong on our side. Please try again in a moment."

// unavailableRetry is the Retry-After of a 503 for a database fault.
const unavailableRetry = 30 * time.Second

// reply is how one domain error is answered.
type reply struct {
	err    error
	status int    // on a page, and in JSON on routes that answer pages first
	api    int    // in JSON on the JSON endpoints of the seeds; 0 means status
	field  string // the form field its sentence belongs to; "" is the top of the page
	focus  string // the field to focus when the page is drawn again; "" is the first in error
}

// replies is the table from domain error to answer, matched in order.
// Validation errors (422, 400 in JSON) and limits (429 with Retry-After)
// are answered by their types before the table is read.
var replies = []reply{
	{auth.ErrInvalidCredentials, http.StatusUnauthorized, 0, "", "password"},
	{auth.ErrNoAccount, http.StatusUnauthorized, 0, "", ""},
	{auth.ErrCaptcha, http.StatusUnprocessableEntity, http.StatusBadRequest, "captcha", ""},
	{auth.ErrEmailTaken, http.StatusUnprocessableEntity, http.StatusBadRequest, "email", ""},
	{auth.ErrWrongCode, http.StatusUnprocessableEntity, http.StatusBadRequest, "code", ""},
	{auth.ErrInvalidTOTP, http.StatusUnprocessableEntity, http.StatusBadRequest, "code", ""},
	{auth.ErrCodeExpired, http.StatusUnprocessableEntity, http.StatusBadRequest, "code", ""},
	{auth.ErrTooManyChecks, http.StatusTooManyRequests, 0, "code", ""},
	{auth.ErrNumberRefused, http.StatusUnprocessableEntity, http.StatusBadRequest, "phone", ""},
	{auth.ErrNotSendable, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, "phone", ""},
	{auth.ErrStepUpRequired, http.StatusForbidden, 0, "", ""},
	{auth.ErrUnavailable, http.StatusServiceUnavailable, 0, "", ""},
	{auth.ErrTooManyCodes, http.StatusUnprocessableEntity, http.StatusBadRequest, "", ""},
	{auth.ErrStepExpired, http.StatusUnprocessableEntity, http.StatusBadRequest, "", ""},
	{auth.ErrEnrollmentLocked, http.StatusUnprocessableEntity, http.StatusBadRequest, "", ""},
	{auth.ErrNoCodeSent, http.StatusUnprocessableEntity, http.StatusBadRequest, "", ""},
	{auth.ErrNotVerified, http.StatusUnprocessableEntity, http.StatusBadRequest, "", ""},
	{auth.ErrMFANotActive, http.StatusForbidden, 0, "", ""},
	{auth.ErrNoDevice, http.StatusForbidden, 0, "", ""},
	{auth.ErrDeviceExists, http.StatusConflict, 0, "", ""},
	{auth.ErrNoSession, http.StatusNotFound, 0, "", ""},
	{auth.ErrNoRememberedDevice, http.StatusNotFound, 0, "", ""},
	{auth.ErrLinkInvalid, http.StatusGone, 0, "", ""},
	{auth.ErrWrongPassword, http.StatusUnprocessableEntity, http.StatusBadRequest, "current_password", ""},
	{auth.ErrResetLocked, http.StatusUnprocessableEntity, http.StatusBadRequest, "", ""},
	{auth.ErrFactorDue, http.StatusUnprocessableEntity, http.StatusBadRequest, "", ""},
	{auth.ErrFactorNotOffered, http.StatusForbidden, 0, "", ""},
	{auth.ErrNoFactor, http.StatusForbidden, 0, "", ""},
}

// answerFor looks err up; ok is false for errors no input should cause.
func answerFor(err error) (reply, bool) {
	var ve *auth.ValidationError
	if errors.As(err, &ve) {
		return reply{status: http.StatusUnprocessableEntity, api: http.StatusBadRequest}, true
	}
	var le *auth.LimitError
	if errors.As(err, &le) {
		return reply{status: http.StatusTooManyRequests}, true
	}
	for _, rp := range replies {
		if errors.Is(err, rp.err) {
			return rp, true
		}
	}
	return reply{}, false
}

// flow is a multi-step flow a step belongs to: where it starts, how its
// state is dropped, and which refusals send the visitor a step back.
type flow struct {
	start string
	// ends tells the errors that end the flow; nil means auth.Ends.
	ends func(error) bool
	// drop forgets the flow's state in the session.
	drop func(context.Context)
	// back sends the visitor to an earlier page, without a message, for
	// the errors it names (a code checked before one was sent).
	back map[error]string
	// endJSON is the extra member of a JSON answer that ends the flow:
	// "redirect_url" (the visitor must sign in again) or "restart".
	endJSON string
	// expired names what ran out of time, said when the flow ends on
	// auth.ErrStepExpired.
	expired string
}

// endMessage is the sentence said when err ends f.
func (f *flow) endMessage(err error) string {
	if f.expired != "" && errors.Is(err, auth.ErrStepExpired) {
		return f.expired
	}
	return auth.Message(err)
}

// step is where a refusal happened: the page to draw again and the flow.
type step struct {
	page  string                // the page to draw again with the message
	view  func() (*view, error) // its view, built only when needed
	field string                // where a code's sentence goes when not "code"
	// redirect, when set, answers every refusal but an outage by going
	// there with the message (actions posted from the account page).
	redirect string
	// stepUp is where a step-up goes back to when the step needs a fresh
	// second factor (auth.ErrStepUpRequired).
	stepUp string
	flow   *flow
}

// fail answers a refused step. Every error-to-answer decision of the web
// layer is here.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error, at step) {
	ctx := r.Context()
	asJSON := answersJSON(r)
	if errors.Is(err, store.ErrUnavailable) {
		s.log.WarnContext(ctx, "step failed: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		if asJSON || at.page == "" {
			s.unavailable(w, r)
			return
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(unavailableRetry/time.Second)))
		s.drawAgain(w, r, at, http.StatusServiceUnavailable, func(v *view) { v.Error = UnavailableMessage }, err)
		return
	}
	if errors.Is(err, auth.ErrNoAccount) {
		s.endFlow(w, r, s.flows.member, err, asJSON)
		return
	}
	if errors.Is(err, auth.ErrStepUpRequired) {
		if asJSON {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": auth.Message(err), "step_up": true,
				"redirect_url": stepUpURL(at.stepUp)})
			return
		}
		http.Redirect(w, r, stepUpURL(at.stepUp), http.StatusSeeOther)
		return
	}
	if f := at.flow; f != nil {
		ends := f.ends
		if ends == nil {
			ends = auth.Ends
		}
		if ends(err) {
			s.endFlow(w, r, f, err, asJSON)
			return
		}
		for e, to := range f.back {
			if !errors.Is(err, e) {
				continue
			}
			if asJSON {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": auth.Message(err), "redirect_url": to})
				return
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
	}
	rp, ok := answerFor(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	if rp.status == http.StatusServiceUnavailable {
		s.log.WarnContext(ctx, "step failed: provider unavailable", "path", r.URL.Path, "err", err)
	}
	var le *auth.LimitError
	if errors.As(err, &le) && le.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((le.RetryAfter+time.Second-1)/time.Second)))
	}
	if asJSON {
		status := rp.status
		if routeMode(ctx) == modeJSON && rp.api != 0 {
			status = rp.api
		}
		writeJSON(w, status, map[string]any{"error": jsonMessage(err)})
		return
	}
	if at.redirect != "" && rp.status != http.StatusServiceUnavailable {
		s.restart(w, r, at.redirect, auth.Message(err))
		return
	}
	s.drawAgain(w, r, at, rp.status, func(v *view) { place(v, err, rp, at.field) }, err)
}

// endFlow drops a flow that cannot go on and sends the visitor to its
// start with the reason.
func (s *server) endFlow(w http.ResponseWriter, r *http.Request, f *flow, err error, asJSON bool) {
	ctx := r.Context()
	if f.drop != nil {
		f.drop(ctx)
	}
	msg := f.endMessage(err)
	if !asJSON {
		s.restart(w, r, f.start, msg)
		return
	}
	body := map[string]any{"error": msg}
	rp, _ := answerFor(err)
	status := cmp.Or(rp.api, rp.status, http.StatusBadRequest)
	switch f.endJSON {
	case "redirect_url":
		// The visitor is signed out of the flow: the next page is the start.
		s.sessions.Put(ctx, keyFlashError, msg)
		body["redirect_url"] = f.start
		if errors.Is(err, auth.ErrStepExpired) {
			status = http.StatusUnauthorized
		}
	case "restart":
		body["restart"] = true
	}
	writeJSON(w, status, body)
}

// drawAgain renders the step's page with the message placed by put.
func (s *server) drawAgain(w http.ResponseWriter, r *http.Request, at step, status int, put func(*view), cause error) {
	if at.page == "" || at.view == nil {
		v := newView(http.StatusText(status))
		put(v)
		if v.Error == "" {
			v.Error = auth.Message(cause)
		}
		s.render(w, r, status, "error", v)
		return
	}
	v, err := at.view()
	if err != nil {
		// The page itself cannot be drawn (the flow ended meanwhile, the
		// database went away): answer that instead.
		s.fail(w, r, err, step{flow: at.flow})
		return
	}
	put(v)
	s.render(w, r, status, at.page, v)
}

// place puts the sentence of err next to its field, or at the top.
func place(v *view, err error, rp reply, codeField string) {
	var ve *auth.ValidationError
	if errors.As(err, &ve) {
		for k, m := range ve.Fields {
			if k == "code" && codeField != "" {
				k = codeField
			}
			v.Fields[k] = m
		}
		if len(ve.Fields) > 1 {
			v.Error = auth.Message(err)
		}
		return
	}
	field := rp.field
	if field == "code" && codeField != "" {
		field = codeField
	}
	msg := auth.Message(err)
	v.Focus = rp.focus
	switch {
	case field == "":
		v.Error = msg
	default:
		v.Fields[field] = msg
		if errors.Is(err, auth.ErrEmailTaken) {
			v.FieldLinks[field] = "/login"
		}
	}
}

// jsonMessage is the "error" of a JSON refusal: for invalid input, the
// message of its (single) field.
func jsonMessage(err error) string {
	var ve *auth.ValidationError
	if errors.As(err, &ve) {
		for _, m := range ve.Fields {
			return m
		}
	}
	return auth.Message(err)
}

// serverError answers an error no input should cause: 503 for a database
// fault, otherwise a log line and 500 with a generic sentence.
func (s *server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		s.log.WarnContext(r.Context(), "request failed: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		s.unavailable(w, r)
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	if answersJSON(r) {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": internalMessage})
		return
	}
	s.renderError(w, r, http.StatusInternalServerError, internalMessage)
}

// unavailable answers 503 for a database fault: the error page with
// UnavailableMessage, or {"error": UnavailableMessage} on a JSON answer.
func (s *server) unavailable(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", strconv.Itoa(int(unavailableRetry/time.Second)))
	if answersJSON(r) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": UnavailableMessage})
		return
	}
	v := newView("Temporarily unavailable")
	v.Error = UnavailableMessage
	s.render(w, r.WithContext(withoutSession(r.Context())), http.StatusServiceUnavailable, "error", v)
}
