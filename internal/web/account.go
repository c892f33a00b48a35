package web

import (
	"context"
	"errors"
	"net/http"

	"gatehouse/internal/auth"
)

// accountPage serves GET /account: profile, phone number, authenticator
// app, backup codes and MFA status.
func (s *server) accountPage(w http.ResponseWriter, r *http.Request, v visitor) {
	s.show(w, r, "account", func() (*view, error) { return s.accountPageView(r.Context(), v) })
}

// phoneChange returns the phone number change in progress, if any.
func (s *server) phoneChange(ctx context.Context) (auth.PhoneChange, bool) {
	pc, ok := s.sessions.Get(ctx, keyPhoneChange).(auth.PhoneChange)
	return pc, ok && pc.Phone != ""
}

// withPhoneChange serves h the phone number change in progress; without
// one, the visitor starts it at /account/phone.
func (s *server) withPhoneChange(h func(http.ResponseWriter, *http.Request, visitor, auth.PhoneChange)) visitorHandler {
	return func(w http.ResponseWriter, r *http.Request, v visitor) {
		pc, ok := s.phoneChange(r.Context())
		if !ok {
			http.Redirect(w, r, "/account/phone", http.StatusSeeOther)
			return
		}
		h(w, r, v, pc)
	}
}

// phoneView is a page of the phone change: the number in force and, once
// a code was sent, the new one and the wait before a resend.
func (s *server) phoneView(ctx context.Context, v visitor, title string) (*view, error) {
	vw, err := s.memberView(ctx, v, title)
	if err != nil {
		return nil, err
	}
	vw.OldMasked, vw.Masked = vw.Masked, ""
	if pc, ok := s.phoneChange(ctx); ok {
		vw.Masked = s.auth.MaskPhone(pc.Phone)
		wait, err := s.auth.PhoneResendWait(ctx, v.userID, pc)
		if err != nil {
			return nil, err
		}
		vw.ResendIn = seconds(wait)
	}
	return vw, nil
}

// show renders page with the view build makes, or answers why it cannot.
func (s *server) show(w http.ResponseWriter, r *http.Request, page string, build func() (*view, error)) {
	vw, err := build()
	if err != nil {
		s.fail(w, r, err, step{})
		return
	}
	s.render(w, r, http.StatusOK, page, vw)
}

// phoneStep is a page of the phone change as a step of its flow; form
// keeps what the visitor typed.
func (s *server) phoneStep(r *http.Request, v visitor, page, title string, form map[string]string) step {
	return step{page: page, flow: s.flows.phone, view: func() (*view, error) {
		vw, err := s.phoneView(r.Context(), v, title)
		if err != nil {
			return nil, err
		}
		for k, val := range form {
			vw.Form[k] = val
		}
		return vw, nil
	}}
}

// phonePage serves GET /account/phone: the form for the new number.
func (s *server) phonePage(w http.ResponseWriter, r *http.Request, v visitor) {
	s.show(w, r, "account_phone", func() (*view, error) { return s.phoneView(r.Context(), v, "Change phone number") })
}

// phoneStart serves POST /account/phone: a code goes to the new number.
// The number in force does not change until the change is confirmed.
func (s *server) phoneStart(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "phone")
	if !ok {
		return
	}
	pc, err := s.auth.StartPhoneChange(ctx, v.userID, f.get("phone"), ipOf(ctx))
	if err != nil {
		s.fail(w, r, err, s.phoneStep(r, v, "account_phone", "Change phone number", map[string]string{"phone": f.get("phone")}))
		return
	}
	s.sessions.Put(ctx, keyPhoneChange, pc)
	http.Redirect(w, r, "/account/phone/verify", http.StatusSeeOther)
}

// phoneVerifyPage serves GET /account/phone/verify.
func (s *server) phoneVerifyPage(w http.ResponseWriter, r *http.Request, v visitor, _ auth.PhoneChange) {
	s.show(w, r, "account_phone_verify", func() (*view, error) { return s.phoneView(r.Context(), v, "Verify your new number") })
}

// phoneVerify serves POST /account/phone/verify.
func (s *server) phoneVerify(w http.ResponseWriter, r *http.Request, v visitor, pc auth.PhoneChange) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "code")
	if !ok {
		return
	}
	pc, err := s.auth.VerifyPhoneChange(ctx, v.userID, pc, f.get("code"))
	if err != nil {
		s.fail(w, r, err, s.phoneStep(r, v, "account_phone_verify", "Verify your new number", nil))
		return
	}
	s.sessions.Put(ctx, keyPhoneChange, pc)
	http.Redirect(w, r, "/account/phone/confirm", http.StatusSeeOther)
}

// phoneResend serves POST /account/phone/resend.
func (s *server) phoneResend(w http.ResponseWriter, r *http.Request, v visitor, pc auth.PhoneChange) {
	ctx := r.Context()
	if err := s.auth.ResendPhoneChange(ctx, v.userID, pc, ipOf(ctx)); err != nil {
		s.fail(w, r, err, resendRefused(s.phoneStep(r, v, "account_phone_verify", "Verify your new number", nil), err))
		return
	}
	s.sessions.Put(ctx, keyFlash, "We sent you a new code.")
	http.Redirect(w, r, "/account/phone/verify", http.StatusSeeOther)
}

// phoneConfirmPage serves GET /account/phone/confirm.
func (s *server) phoneConfirmPage(w http.ResponseWriter, r *http.Request, v visitor, pc auth.PhoneChange) {
	if !pc.Verified {
		http.Redirect(w, r, "/account/phone/verify", http.StatusSeeOther)
		return
	}
	s.show(w, r, "account_phone_confirm", func() (*view, error) { return s.phoneView(r.Context(), v, "Confirm your new number") })
}

// phoneConfirm serves POST /account/phone/confirm: the verified number
// replaces the old one.
func (s *server) phoneConfirm(w http.ResponseWriter, r *http.Request, v visitor, pc auth.PhoneChange) {
	ctx := r.Context()
	if err := s.auth.ConfirmPhoneChange(ctx, v.userID, pc); err != nil {
		at := s.phoneStep(r, v, "account_phone_confirm", "Confirm your new number", nil)
		if errors.Is(err, auth.ErrNotVerified) {
			at.redirect = "/account/phone/verify"
		}
		s.fail(w, r, err, at)
		return
	}
	s.sessions.Remove(ctx, keyPhoneChange)
	s.sessions.Put(ctx, keyFlash, "Your phone number has been updated.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// phoneCancel serves POST /account/phone/cancel: the change in progress is
// dropped and the number in force stays.
func (s *server) phoneCancel(w http.ResponseWriter, r *http.Request, _ visitor) {
	s.sessions.Remove(r.Context(), keyPhoneChange)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
