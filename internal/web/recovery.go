package web

import (
	"errors"
	"fmt"
	"net/http"

	"gatehouse/internal/auth"
)

// Password recovery: a link mailed to the address (forgot), then a second
// factor independent of the mailbox, then the new password. The reset lives
// in the session under keyReset, bound to its account and link; it never
// signs anyone in.

// forgotView is the page that asks for the address.
func (s *server) forgotView() *view {
	v := newView("Forgot your password?")
	v.Captcha = s.captchaWidget()
	return v
}

// forgotPage serves GET /password/forgot.
func (s *server) forgotPage(w http.ResponseWriter, r *http.Request, _ visitor) {
	s.render(w, r, http.StatusOK, "password_forgot", s.forgotView())
}

// forgot serves POST /password/forgot. Whatever the address, a solved
// CAPTCHA answers 303 /password/forgot/sent, the same bytes after the same
// work: whether a mail goes out is decided after the answer.
func (s *server) forgot(w http.ResponseWriter, r *http.Request, _ visitor) {
	f, ok := s.parseForm(w, r, append([]string{"email"}, s.captchaFields()...)...)
	if !ok {
		return
	}
	ctx := r.Context()
	err := s.auth.ForgotPassword(ctx, auth.ForgotInput{
		Email: f.get("email"), Captcha: s.captchaToken(f), IP: ipOf(ctx), UserAgent: r.UserAgent(),
	})
	if err != nil {
		s.fail(w, r, err, step{page: "password_forgot", view: func() (*view, error) {
			v := s.forgotView()
			v.Form["email"] = f.get("email")
			return v, nil
		}})
		return
	}
	http.Redirect(w, r, "/password/forgot/sent", http.StatusSeeOther)
}

// forgotSentPage serves GET /password/forgot/sent.
func (s *server) forgotSentPage(w http.ResponseWriter, r *http.Request, _ visitor) {
	s.render(w, r, http.StatusOK, "password_forgot_sent", newView("Check your email"))
}

// withReset serves h the reset in progress; without one, the visitor
// starts at /password/forgot.
func (s *server) withReset(h func(http.ResponseWriter, *http.Request, auth.Reset)) visitorHandler {
	return func(w http.ResponseWriter, r *http.Request, _ visitor) {
		rs, ok := s.sessions.Get(r.Context(), keyReset).(auth.Reset)
		if !ok || rs.UserID == "" {
			http.Redirect(w, r, "/password/forgot", http.StatusSeeOther)
			return
		}
		h(w, r, rs)
	}
}

// resetStep is a page of the reset drawn from the reset as it stands.
func (s *server) resetStep(r *http.Request, rs auth.Reset, page string) step {
	return step{page: page, flow: s.flows.reset, view: func() (*view, error) { return s.resetView(r, rs) }}
}

// resetView shows the second factors the reset may use and, once a code
// was sent, the wait before a resend.
func (s *server) resetView(r *http.Request, rs auth.Reset) (*view, error) {
	o, err := s.auth.ResetFactors(r.Context(), rs)
	if err != nil {
		return nil, err
	}
	wait, err := s.auth.ResetResendWait(r.Context(), rs)
	if err != nil {
		return nil, err
	}
	v := newView("Reset your password")
	v.Reset = o
	v.Masked = o.MaskedPhone
	v.ResendIn = seconds(wait)
	return v, nil
}

// resetFail answers a refused reset step. A link that no longer works, and
// the last wrong code, end the reset with a page saying so (410 and 422);
// the rest is answered as any refusal.
func (s *server) resetFail(w http.ResponseWriter, r *http.Request, err error, at step) {
	switch {
	case errors.Is(err, auth.ErrLinkInvalid):
		s.sessions.Remove(r.Context(), keyReset)
		at = s.linkInvalidStep("/password/forgot", "Ask for a new link")
	case errors.Is(err, auth.ErrResetLocked):
		s.sessions.Remove(r.Context(), keyReset)
		at = s.linkInvalidStep("/password/forgot", "Ask for a new link")
		at.view = func() (*view, error) {
			v := newView("This reset has ended")
			v.Back, v.BackLabel = "/password/forgot", "Ask for a new link"
			return v, nil
		}
	}
	s.fail(w, r, err, at)
}

// resetPage serves GET /password/reset?token=T, the link of the reset
// mail: it opens the reset and asks for the second factor. Without a token
// it shows the reset in progress.
func (s *server) resetPage(w http.ResponseWriter, r *http.Request, _ visitor) {
	ctx := r.Context()
	rs, ok := s.sessions.Get(ctx, keyReset).(auth.Reset)
	if tok := r.URL.Query().Get("token"); tok != "" || !ok {
		var err error
		if rs, err = s.auth.OpenReset(ctx, tok); err != nil {
			s.resetFail(w, r, err, step{})
			return
		}
		// A new token for the new state: a session planted beforehand
		// (fixation) cannot ride this reset.
		if err := s.sessions.RenewToken(ctx); err != nil {
			s.serverError(w, r, fmt.Errorf("web: renew token at reset: %w", err))
			return
		}
		s.sessions.Put(ctx, keyReset, rs)
	}
	v, err := s.resetView(r, rs)
	if err == nil && v.Reset.None() {
		err = auth.ErrNoFactor
	}
	if err != nil {
		s.resetFail(w, r, err, step{flow: s.flows.reset})
		return
	}
	s.render(w, r, http.StatusOK, "password_reset", v)
}

// resetSMS serves POST /password/reset/sms: the SMS code goes to the
// account's number (a resend once one was sent).
func (s *server) resetSMS(w http.ResponseWriter, r *http.Request, rs auth.Reset) {
	ctx := r.Context()
	resend := rs.CodeSent
	next, err := s.auth.SendResetCode(ctx, rs, ipOf(ctx))
	if err != nil {
		if resend {
			s.resetFail(w, r, err, resendRefused(s.resetStep(r, rs, "password_reset_code"), err))
			return
		}
		s.resetFail(w, r, err, s.resetStep(r, rs, "password_reset"))
		return
	}
	s.sessions.Put(ctx, keyReset, next)
	if resend {
		s.sessions.Put(ctx, keyFlash, "We sent you a new code.")
	}
	http.Redirect(w, r, "/password/reset/code", http.StatusSeeOther)
}

// resetCodePage serves GET /password/reset/code, where the SMS code is
// typed.
func (s *server) resetCodePage(w http.ResponseWriter, r *http.Request, rs auth.Reset) {
	if !rs.CodeSent {
		http.Redirect(w, r, "/password/reset", http.StatusSeeOther)
		return
	}
	v, err := s.resetView(r, rs)
	if err != nil {
		s.resetFail(w, r, err, step{flow: s.flows.reset})
		return
	}
	s.render(w, r, http.StatusOK, "password_reset_code", v)
}

// resetCode serves POST /password/reset/code: code (the SMS code, or the
// authenticator code when one is set up) or backup_code. A right one lets
// the visitor choose the new password.
func (s *server) resetCode(w http.ResponseWriter, r *http.Request, rs auth.Reset) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "code", "backup_code")
	if !ok {
		return
	}
	next, err := s.auth.CheckResetCode(ctx, rs, f.get("code"), f.get("backup_code"), ipOf(ctx))
	if err != nil {
		at := s.resetStep(r, rs, "password_reset")
		switch {
		case f.get("backup_code") != "":
			at.field = "backup_code"
		case rs.CodeSent:
			at.page = "password_reset_code"
		}
		s.resetFail(w, r, err, at)
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: renew token after reset factor: %w", err))
		return
	}
	s.sessions.Put(ctx, keyReset, next)
	http.Redirect(w, r, "/password/reset/new", http.StatusSeeOther)
}

// resetNewPage serves GET /password/reset/new.
func (s *server) resetNewPage(w http.ResponseWriter, r *http.Request, rs auth.Reset) {
	if !rs.Passed {
		http.Redirect(w, r, "/password/reset", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "password_reset_new", newView("Choose a new password"))
}

// resetNew serves POST /password/reset/new: the new password is saved and
// the link used up in one transaction, every sign-in of the account ends,
// and the visitor signs in anew: a reset signs nobody in.
func (s *server) resetNew(w http.ResponseWriter, r *http.Request, rs auth.Reset) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "password")
	if !ok {
		return
	}
	if err := s.auth.FinishReset(ctx, rs, f.get("password"), ipOf(ctx), r.UserAgent()); err != nil {
		s.resetFail(w, r, err, step{page: "password_reset_new", flow: s.flows.reset, view: func() (*view, error) {
			return newView("Choose a new password"), nil
		}})
		return
	}
	s.sessions.Remove(ctx, keyReset)
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: renew token after reset: %w", err))
		return
	}
	s.sessions.Put(ctx, keyFlash, "Your password has been reset. Sign in with your new password.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
