package web

import (
	"context"
	"fmt"
	"net/http"

	"gatehouse/internal/auth"
)

// mfaView is the method chooser (MFA flag 1) or the phone set-up (flag 0),
// drawn as a dialog over the dimmed login page.
func mfaView(st auth.LoginState) *view {
	v := newView("Choose verification method")
	if !st.Account.MFAEnabled {
		v.Title = "Set up two-factor authentication"
	}
	v.BodyClass = "has-dialog"
	v.Setup = !st.Account.MFAEnabled
	v.Masked = st.MaskedPhone
	v.HasTOTP = st.HasTOTP
	v.BackupCodes = st.BackupCodes
	return v
}

// loginStep is a step of the second factor whose page is drawn from the
// pre-auth login as it stands.
func (s *server) loginStep(ctx context.Context, v visitor, page string, build func(auth.LoginState) *view) step {
	return step{page: page, flow: s.flows.login, view: func() (*view, error) {
		st, err := s.auth.Pending(ctx, v.pre)
		if err != nil {
			return nil, err
		}
		return build(st), nil
	}}
}

// mfaPage serves GET /login/mfa.
func (s *server) mfaPage(w http.ResponseWriter, r *http.Request, v visitor) {
	st, err := s.auth.Pending(r.Context(), v.pre)
	if err != nil {
		s.fail(w, r, err, step{flow: s.flows.login})
		return
	}
	s.render(w, r, http.StatusOK, "login_mfa", mfaView(st))
}

// mfaSetup serves POST /login/mfa/setup (MFA flag 0): the code goes to the
// number the visitor confirmed or typed.
func (s *server) mfaSetup(w http.ResponseWriter, r *http.Request, v visitor) {
	s.sendLoginCode(w, r, v, true)
}

// mfaSMS serves POST /login/mfa/sms (MFA flag 1): the code goes to the
// registered number.
func (s *server) mfaSMS(w http.ResponseWriter, r *http.Request, v visitor) {
	s.sendLoginCode(w, r, v, false)
}

func (s *server) sendLoginCode(w http.ResponseWriter, r *http.Request, v visitor, setup bool) {
	ctx := r.Context()
	var phone string
	if setup {
		f, ok := s.parseForm(w, r, "phone")
		if !ok {
			return
		}
		phone = f.get("phone")
	}
	st, err := s.auth.Pending(ctx, v.pre)
	if err != nil {
		s.fail(w, r, err, step{flow: s.flows.login})
		return
	}
	if setup == st.Account.MFAEnabled {
		// The other popup's form: show the one that applies.
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return
	}
	pa, err := s.auth.SendLoginCode(ctx, v.pre, phone, ipOf(ctx))
	if err != nil {
		s.fail(w, r, err, s.loginStep(ctx, v, "login_mfa", func(st auth.LoginState) *view {
			mv := mfaView(st)
			mv.Form["phone"] = phone
			return mv
		}))
		return
	}
	s.sessions.Put(ctx, keyPreAuth, pa)
	http.Redirect(w, r, "/login/mfa/code", http.StatusSeeOther)
}

// codeView is the page where the SMS code is entered, with the wait before
// a resend. An account whose SMS verification is being set up has no
// other method: the way back is to another number.
func (s *server) codeView(ctx context.Context, pa auth.PreAuth) (*view, error) {
	st, err := s.auth.Pending(ctx, pa)
	if err != nil {
		return nil, err
	}
	wait, err := s.auth.LoginResendWait(ctx, pa)
	if err != nil {
		return nil, err
	}
	v := newView("Enter your code")
	v.Masked = st.SentTo
	v.Setup = !st.Account.MFAEnabled
	v.BackupCodes = st.BackupCodes
	v.ResendIn = seconds(wait)
	return v, nil
}

// codeStep is the code page as a step of the sign-in.
func (s *server) codeStep(ctx context.Context, v visitor) step {
	return step{page: "login_mfa_code", flow: s.flows.login, view: func() (*view, error) { return s.codeView(ctx, v.pre) }}
}

// mfaCodePage serves GET /login/mfa/code.
func (s *server) mfaCodePage(w http.ResponseWriter, r *http.Request, v visitor) {
	if !v.pre.CodeSent {
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return
	}
	cv, err := s.codeView(r.Context(), v.pre)
	if err != nil {
		s.fail(w, r, err, step{flow: s.flows.login})
		return
	}
	s.render(w, r, http.StatusOK, "login_mfa_code", cv)
}

// mfaCode serves POST /login/mfa/code. A right code signs the visitor in
// under a new session token and sends them to next or the dashboard.
func (s *server) mfaCode(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "code", "remember_device")
	if !ok {
		return
	}
	s.passInOne(w, r, v, apiInput{html: true}, auth.MethodSMS, func(then func(context.Context) error) error {
		_, err := s.auth.CheckLoginCodeThen(ctx, v.pre, f.get("code"), then)
		return err
	}, func() step { return s.codeStep(ctx, v) })
}

// completeLogin ends a pre-auth login whose second factor passed: the
// session is signed in under a new token, stamped with method, and the
// place to go next (the page asked for, or the dashboard) is returned.
func (s *server) completeLogin(ctx context.Context, userID, method string) (string, error) {
	to := safeNext(s.sessions.GetString(ctx, keyNext))
	if to == "" {
		to = "/dashboard"
	}
	if rd := s.returnURL(s.sessions.GetString(ctx, keyRd)); rd != "" {
		to = rd
	}
	s.sessions.Remove(ctx, keyNext)
	s.sessions.Remove(ctx, keyRd)
	if err := s.signIn(ctx, userID, method); err != nil {
		return "", fmt.Errorf("web: renew token after second factor: %w", err)
	}
	return to, nil
}

// secondFactorPassed signs the visitor in (see passSecondFactor) and sends
// them on.
func (s *server) secondFactorPassed(w http.ResponseWriter, r *http.Request, in apiInput, userID, method string) {
	to, err := s.passSecondFactor(r.Context(), w, r, in, userID, method)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sendOn(w, r, in, to)
}

// passSecondFactor signs the visitor in (see completeLogin) and returns
// where they go next. The old session's end, the sign-in's record, the
// remembered device and the new session are one commit, part of the
// caller's transaction when ctx has one.
func (s *server) passSecondFactor(ctx context.Context, w http.ResponseWriter, r *http.Request, in apiInput,
	userID, method string) (to string, err error) {
	err = s.saveWith(ctx, func(ctx context.Context) (err error) {
		if to, err = s.completeLogin(ctx, userID, method); err != nil {
			return err
		}
		s.auth.SignedIn(ctx, userID, method)
		if method != auth.MethodDevice && (in.get("remember_device") == "1" || r.PostForm.Get("remember_device") == "1") {
			s.rememberDevice(ctx, w, userID)
		}
		return nil
	})
	return to, err
}

// passInOne runs check, a second factor of the pre-auth login v that runs
// the then it is given in the transaction that spends the code; then signs
// the visitor in (passSecondFactor), so the new session is saved in that
// transaction too. A refused code answers as at the step at.
func (s *server) passInOne(w http.ResponseWriter, r *http.Request, v visitor, in apiInput, method string,
	check func(then func(context.Context) error) error, at func() step) {
	var (
		to      string
		saveErr error
	)
	err := check(func(ctx context.Context) error {
		to, saveErr = s.passSecondFactor(ctx, w, r, in, v.pre.UserID, method)
		return saveErr
	})
	switch {
	case saveErr != nil:
		s.serverError(w, r, saveErr)
	case err != nil:
		s.unsave(r.Context()) // a session saved in a transaction that did not commit
		s.fail(w, r, err, at())
	default:
		sendOn(w, r, in, to)
	}
}

// sendOn answers a passed second factor: a redirect to to for a form post,
// the URL in JSON for the script.
func sendOn(w http.ResponseWriter, r *http.Request, in apiInput, to string) {
	if in.html {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "redirect_url": to})
}

// mfaResend serves POST /login/mfa/resend.
func (s *server) mfaResend(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	if err := s.auth.ResendLoginCode(ctx, v.pre, ipOf(ctx)); err != nil {
		s.fail(w, r, err, resendRefused(s.codeStep(ctx, v), err))
		return
	}
	s.sessions.Put(ctx, keyFlash, "We sent you a new code.")
	http.Redirect(w, r, "/login/mfa/code", http.StatusSeeOther)
}
