package web

import (
	"context"
	"net/http"

	"gatehouse/internal/auth"
)

// registration returns the sign-up in progress, if any.
func (s *server) registration(ctx context.Context) (auth.Registration, bool) {
	reg, ok := s.sessions.Get(ctx, keyReg).(auth.Registration)
	return reg, ok && reg.Email != ""
}

// withRegistration serves h the registration in progress; without one,
// the visitor starts at /register.
func (s *server) withRegistration(h func(http.ResponseWriter, *http.Request, auth.Registration)) visitorHandler {
	return func(w http.ResponseWriter, r *http.Request, _ visitor) {
		reg, ok := s.registration(r.Context())
		if !ok {
			http.Redirect(w, r, "/register", http.StatusSeeOther)
			return
		}
		h(w, r, reg)
	}
}

// registerView is the view of registration step n.
func (s *server) registerView(n int) *view {
	titles := [...]string{1: "Create your account", 2: "Set your password", 3: "Verify your phone"}
	v := newView(titles[n])
	v.Step = n
	return v
}

// registerPage serves GET /register, step 1: name, email and CAPTCHA.
func (s *server) registerPage(w http.ResponseWriter, r *http.Request, _ visitor) {
	v := s.registerView(1)
	if reg, ok := s.registration(r.Context()); ok {
		v.Form["first_name"], v.Form["last_name"], v.Form["email"] = reg.FirstName, reg.LastName, reg.Email
	}
	v.Captcha = s.captchaWidget()
	s.render(w, r, http.StatusOK, "register", v)
}

// registerStart serves POST /register.
func (s *server) registerStart(w http.ResponseWriter, r *http.Request, _ visitor) {
	f, ok := s.parseForm(w, r, append([]string{"first_name", "last_name", "email"}, s.captchaFields()...)...)
	if !ok {
		return
	}
	in := auth.RegisterInput{
		FirstName: f.get("first_name"), LastName: f.get("last_name"), Email: f.get("email"),
		Captcha: s.captchaToken(f), IP: ipOf(r.Context()), UserAgent: r.UserAgent(),
	}
	reg, err := s.auth.RegisterStart(r.Context(), in)
	if err != nil {
		s.fail(w, r, err, step{page: "register", view: func() (*view, error) {
			v := s.registerView(1)
			v.Form["first_name"], v.Form["last_name"], v.Form["email"] = in.FirstName, in.LastName, in.Email
			v.Captcha = s.captchaWidget()
			return v, nil
		}})
		return
	}
	s.sessions.Put(r.Context(), keyReg, reg)
	http.Redirect(w, r, "/register/credentials", http.StatusSeeOther)
}

// credentialsPage serves GET /register/credentials, step 2: password and
// phone number.
func (s *server) credentialsPage(w http.ResponseWriter, r *http.Request, reg auth.Registration) {
	v := s.registerView(2)
	v.Email = reg.Email
	v.Form["phone"] = reg.Phone // back from step 3: the number given before
	s.render(w, r, http.StatusOK, "register_credentials", v)
}

// registerCredentials serves POST /register/credentials: it sets the
// password and phone and sends the first code.
func (s *server) registerCredentials(w http.ResponseWriter, r *http.Request, reg auth.Registration) {
	f, ok := s.parseForm(w, r, "password", "phone")
	if !ok {
		return
	}
	next, err := s.auth.RegisterCredentials(r.Context(), reg, f.get("password"), f.get("phone"), ipOf(r.Context()))
	if err != nil {
		s.fail(w, r, err, step{page: "register_credentials", flow: s.flows.registration, view: func() (*view, error) {
			v := s.registerView(2)
			v.Email = reg.Email
			v.Form["phone"] = f.get("phone")
			return v, nil
		}})
		return
	}
	s.sessions.Put(r.Context(), keyReg, next)
	http.Redirect(w, r, "/register/verify", http.StatusSeeOther)
}

// registerVerifyPage serves GET /register/verify, step 3: the code.
func (s *server) registerVerifyPage(w http.ResponseWriter, r *http.Request, reg auth.Registration) {
	if !reg.CodeSent {
		http.Redirect(w, r, "/register/credentials", http.StatusSeeOther)
		return
	}
	v, err := s.registerVerifyView(r.Context(), reg)
	if err != nil {
		s.fail(w, r, err, step{flow: s.flows.registration})
		return
	}
	s.render(w, r, http.StatusOK, "register_verify", v)
}

// registerVerifyView is step 3, with the wait before a resend.
func (s *server) registerVerifyView(ctx context.Context, reg auth.Registration) (*view, error) {
	wait, err := s.auth.RegisterResendWait(ctx, reg)
	if err != nil {
		return nil, err
	}
	v := s.registerView(3)
	v.Masked = s.auth.MaskPhone(reg.Phone)
	v.ResendIn = seconds(wait)
	return v, nil
}

// registerVerify serves POST /register/verify: a right code creates the
// account and sends the visitor to sign in.
func (s *server) registerVerify(w http.ResponseWriter, r *http.Request, reg auth.Registration) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "code")
	if !ok {
		return
	}
	if _, err := s.auth.RegisterVerify(ctx, reg, f.get("code")); err != nil {
		s.fail(w, r, err, s.registerVerifyStep(ctx, reg, s.flows.registrationEnd))
		return
	}
	s.sessions.Remove(ctx, keyReg)
	s.sessions.Put(ctx, keyLoginEmail, reg.Email)
	s.sessions.Put(ctx, keyFlash, "Your account has been created. Sign in to continue.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// registerVerifyStep is the code page of registration as a step of flow f.
func (s *server) registerVerifyStep(ctx context.Context, reg auth.Registration, f *flow) step {
	return step{page: "register_verify", flow: f, view: func() (*view, error) { return s.registerVerifyView(ctx, reg) }}
}

// registerResend serves POST /register/resend.
func (s *server) registerResend(w http.ResponseWriter, r *http.Request, reg auth.Registration) {
	ctx := r.Context()
	if err := s.auth.RegisterResend(ctx, reg, ipOf(ctx)); err != nil {
		s.fail(w, r, err, resendRefused(s.registerVerifyStep(ctx, reg, s.flows.registration), err))
		return
	}
	s.sessions.Put(ctx, keyFlash, "We sent you a new code.")
	http.Redirect(w, r, "/register/verify", http.StatusSeeOther)
}
