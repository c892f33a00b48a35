package web

import (
	"fmt"
	"net/http"
	"strings"

	"gatehouse/internal/auth"
)

func (s *server) loginView() *view {
	v := newView("Sign in")
	v.Captcha = s.captchaWidget()
	return v
}

// loginPage serves GET /login; a safe ?next= is carried in the form.
func (s *server) loginPage(w http.ResponseWriter, r *http.Request, _ visitor) {
	v := s.loginView()
	v.Next = safeNext(r.URL.Query().Get("next"))
	// Sent back to sign in (a sign-in that ended, a new account): the email
	// is filled in and the password field focused.
	if e := s.sessions.GetString(r.Context(), keyLoginEmail); e != "" {
		v.Form["email"], v.Focus = e, "password"
	}
	if rd := s.returnURL(r.URL.Query().Get("rd")); rd != "" {
		v.Form["rd"] = rd
	}
	s.render(w, r, http.StatusOK, "login", v)
}

// login serves POST /login, the password step. A right password starts the
// pre-auth state under a new session token; it reaches nothing but the
// second-factor steps.
func (s *server) login(w http.ResponseWriter, r *http.Request, _ visitor) {
	f, ok := s.parseForm(w, r, append([]string{"email", "password", "next", "rd"}, s.captchaFields()...)...)
	if !ok {
		return
	}
	ctx := r.Context()
	next := safeNext(f.get("next"))
	rd := s.returnURL(f.get("rd"))
	pa, err := s.auth.Login(ctx, auth.LoginInput{
		Email: f.get("email"), Password: f.get("password"), Captcha: s.captchaToken(f), IP: ipOf(ctx),
	})
	if err != nil {
		s.fail(w, r, err, step{page: "login", view: func() (*view, error) {
			v := s.loginView()
			v.Form["email"] = f.get("email")
			v.Next = next
			if rd != "" {
				v.Form["rd"] = rd
			}
			return v, nil
		}})
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: renew token after password: %w", err))
		return
	}
	// Messages left for the login page are stale once the password is in.
	s.sessions.Remove(ctx, keyFlash)
	s.sessions.Remove(ctx, keyFlashError)
	s.sessions.Put(ctx, keyPreAuth, pa)
	s.sessions.Put(ctx, keyLoginEmail, strings.TrimSpace(f.get("email")))
	if next != "" {
		s.sessions.Put(ctx, keyNext, next)
	} else {
		s.sessions.Remove(ctx, keyNext)
	}
	if rd != "" {
		s.sessions.Put(ctx, keyRd, rd)
	} else {
		s.sessions.Remove(ctx, keyRd)
	}
	if s.deviceLogin(w, r, pa) {
		return
	}
	http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
}
