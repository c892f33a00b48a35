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
	vw, ok := s.accountView(w, r, v, "Account settings")
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "account", vw)
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
// a code was sent, the new one.
func (s *server) phoneView(w http.ResponseWriter, r *http.Request, v visitor, title string) (*view, bool) {
	vw, ok := s.memberView(w, r, v, title)
	if !ok {
		return nil, false
	}
	vw.OldMasked, vw.Masked = vw.Masked, ""
	if pc, ok := s.phoneChange(r.Context()); ok {
		vw.Masked = s.auth.MaskPhone(pc.Phone)
	}
	return vw, true
}

// phoneFailed answers an error of the phone change: an expired change
// starts over; anything else re-renders page.
func (s *server) phoneFailed(w http.ResponseWriter, r *http.Request, v visitor, page, title string, err error) {
	if errors.Is(err, auth.ErrStepExpired) {
		s.sessions.Remove(r.Context(), keyPhoneChange)
		s.restart(w, r, "/account/phone", auth.Message(err))
		return
	}
	vw, ok := s.phoneView(w, r, v, title)
	if !ok {
		return
	}
	s.fail(w, r, page, vw, err)
}

// phonePage serves GET /account/phone: the form for the new number.
func (s *server) phonePage(w http.ResponseWriter, r *http.Request, v visitor) {
	vw, ok := s.phoneView(w, r, v, "Change phone number")
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "account_phone", vw)
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
		vw, ok := s.phoneView(w, r, v, "Change phone number")
		if !ok {
			return
		}
		vw.Form["phone"] = f.get("phone")
		s.fail(w, r, "account_phone", vw, err)
		return
	}
	s.sessions.Put(ctx, keyPhoneChange, pc)
	http.Redirect(w, r, "/account/phone/verify", http.StatusSeeOther)
}

// phoneVerifyPage serves GET /account/phone/verify.
func (s *server) phoneVerifyPage(w http.ResponseWriter, r *http.Request, v visitor, _ auth.PhoneChange) {
	vw, ok := s.phoneView(w, r, v, "Verify your new number")
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "account_phone_verify", vw)
}

// phoneVerify serves POST /account/phone/verify.
func (s *server) phoneVerify(w http.ResponseWriter, r *http.Request, v visitor, pc auth.PhoneChange) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "code")
	if !ok {
		return
	}
	pc, err := s.auth.VerifyPhoneChange(ctx, pc, f.get("code"))
	if err != nil {
		s.phoneFailed(w, r, v, "account_phone_verify", "Verify your new number", err)
		return
	}
	s.sessions.Put(ctx, keyPhoneChange, pc)
	http.Redirect(w, r, "/account/phone/confirm", http.StatusSeeOther)
}

// phoneResend serves POST /account/phone/resend.
func (s *server) phoneResend(w http.ResponseWriter, r *http.Request, v visitor, pc auth.PhoneChange) {
	ctx := r.Context()
	if err := s.auth.ResendPhoneChange(ctx, pc, ipOf(ctx)); err != nil {
		s.phoneFailed(w, r, v, "account_phone_verify", "Verify your new number", err)
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
	vw, ok := s.phoneView(w, r, v, "Confirm your new number")
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "account_phone_confirm", vw)
}

// phoneConfirm serves POST /account/phone/confirm: the verified number
// replaces the old one.
func (s *server) phoneConfirm(w http.ResponseWriter, r *http.Request, v visitor, pc auth.PhoneChange) {
	ctx := r.Context()
	err := s.auth.ConfirmPhoneChange(ctx, v.userID, pc)
	switch {
	case err == nil:
		s.sessions.Remove(ctx, keyPhoneChange)
		s.sessions.Put(ctx, keyFlash, "Your phone number has been updated.")
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case errors.Is(err, auth.ErrNotVerified):
		s.restart(w, r, "/account/phone/verify", auth.Message(err))
	default:
		s.phoneFailed(w, r, v, "account_phone_confirm", "Confirm your new number", err)
	}
}

// phoneCancel serves POST /account/phone/cancel: the change in progress is
// dropped and the number in force stays.
func (s *server) phoneCancel(w http.ResponseWriter, r *http.Request, _ visitor) {
	s.sessions.Remove(r.Context(), keyPhoneChange)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
