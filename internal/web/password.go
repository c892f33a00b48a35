package web

import (
	"net/http"

	"gatehouse/internal/auth"
)

// passwordView is the change-password page.
func (s *server) passwordView(r *http.Request, v visitor) (*view, error) {
	vw, err := s.memberView(r.Context(), v, "Change password")
	if err != nil {
		return nil, err
	}
	return vw, nil
}

// passwordPage serves GET /account/password.
func (s *server) passwordPage(w http.ResponseWriter, r *http.Request, v visitor) {
	s.show(w, r, "account_password", func() (*view, error) { return s.passwordView(r, v) })
}

// changePassword serves POST /account/password (behind freshPage, so the
// session verified a second factor within the step-up window): with the
// right current password, the new one replaces it and every other session
// and remembered device ends; this one stays signed in.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "current_password", "new_password")
	if !ok {
		return
	}
	at := step{page: "account_password", view: func() (*view, error) { return s.passwordView(r, v) }}
	err := s.auth.ChangePassword(ctx, auth.ChangePasswordInput{
		UserID: v.userID, Current: f.get("current_password"), New: f.get("new_password"),
		KeepToken: s.sessions.Token(ctx), IP: ipOf(ctx), UserAgent: r.UserAgent(),
	})
	if err != nil {
		s.fail(w, r, err, at)
		return
	}
	s.sessions.Put(ctx, keyFlash, "Your password has been changed. Your other sessions were signed out.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
