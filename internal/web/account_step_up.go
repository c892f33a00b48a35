package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"gatehouse/internal/auth"
)

// Step-up: the routes that change how an account is protected are wrapped
// in routes.go by freshPage or freshAPI. Outside the step-up window the
// page asks for a fresh code (GET /account/step-up?next=…) and then goes
// back to the action; the JSON endpoints answer 403 with "step_up": true.

// stepUpAt is the time of the session's last second factor: its sign-in
// or its latest step-up.
func (s *server) stepUpAt(ctx context.Context) time.Time {
	at := s.sessions.GetInt64(ctx, keyStepUpAt)
	// A sign-in on a remembered device verified no second factor: only a
	// step-up since counts.
	if s.sessions.GetString(ctx, keyMethod) != auth.MethodDevice {
		at = max(at, s.sessions.GetInt64(ctx, keyAuthAt))
	}
	if at == 0 {
		return time.Time{}
	}
	return time.Unix(at, 0)
}

// freshPage serves h only within the step-up window; next is the page the
// step-up returns to.
func (s *server) freshPage(next string, h visitorHandler) visitorHandler {
	return func(w http.ResponseWriter, r *http.Request, v visitor) {
		if err := s.auth.StepUpFresh(s.stepUpAt(r.Context())); err != nil {
			s.fail(w, r, err, step{stepUp: next})
			return
		}
		h(w, r, v)
	}
}

// freshAPI is freshPage for the JSON endpoints.
func (s *server) freshAPI(next string, h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
		if err := s.auth.StepUpFresh(s.stepUpAt(r.Context())); err != nil {
			s.fail(w, r, err, step{stepUp: next})
			return
		}
		h(w, r, v, in)
	}
}

// stepUpURL is the step-up page that returns to next.
func stepUpURL(next string) string {
	return "/account/step-up?next=" + url.QueryEscape(safeNext(next))
}

// stepUpView is the step-up page: the second factors the account has.
func (s *server) stepUpView(ctx context.Context, v visitor, next string) (*view, error) {
	st, err := s.auth.StepUpOptions(ctx, v.userID)
	if err != nil {
		return nil, err
	}
	vw, err := s.memberView(ctx, v, "Confirm it's you")
	if err != nil {
		return nil, err
	}
	vw.Masked, vw.HasTOTP, vw.BackupCodes = st.MaskedPhone, st.HasTOTP, st.BackupCodes
	if !st.Account.MFAEnabled {
		vw.Masked = ""
	}
	vw.Next = safeNext(next)
	return vw, nil
}

// stepUpStep is the step-up page as the step a refusal draws again.
func (s *server) stepUpStep(r *http.Request, v visitor, next string) step {
	return step{page: "account_step_up", view: func() (*view, error) { return s.stepUpView(r.Context(), v, next) }}
}

// stepUpPage serves GET /account/step-up.
func (s *server) stepUpPage(w http.ResponseWriter, r *http.Request, v visitor) {
	next := r.URL.Query().Get("next")
	s.show(w, r, "account_step_up", func() (*view, error) { return s.stepUpView(r.Context(), v, next) })
}

// stepUpSMS serves POST /account/step-up/sms: a code to the current number.
func (s *server) stepUpSMS(w http.ResponseWriter, r *http.Request, v visitor) {
	f, ok := s.parseForm(w, r, "next")
	if !ok {
		return
	}
	ctx := r.Context()
	if err := s.auth.SendStepUpCode(ctx, v.userID, ipOf(ctx)); err != nil {
		s.fail(w, r, err, s.stepUpStep(r, v, f.get("next")))
		return
	}
	s.sessions.Put(ctx, keyFlash, "We sent you a code.")
	http.Redirect(w, r, stepUpURL(f.get("next")), http.StatusSeeOther)
}

// stepUp serves POST /account/step-up: a right code stamps the session
// and goes back to next. Five wrong codes end the session.
func (s *server) stepUp(w http.ResponseWriter, r *http.Request, v visitor) {
	f, ok := s.parseForm(w, r, "method", "code", "next")
	if !ok {
		return
	}
	ctx := r.Context()
	next := safeNext(f.get("next"))
	err := s.auth.StepUp(ctx, v.userID, f.get("method"), f.get("code"), ipOf(ctx))
	if errors.Is(err, auth.ErrTooManyCodes) {
		s.endSignIn(ctx)
		s.restart(w, r, "/login", auth.Message(err))
		return
	}
	if err != nil {
		at := s.stepUpStep(r, v, next)
		at.field = "code"
		s.fail(w, r, err, at)
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Put(ctx, keyStepUpAt, s.now().Unix())
	if next == "" {
		next = "/account"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
