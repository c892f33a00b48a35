package web

import (
	"fmt"
	"net/http"
)

// logoutPage serves GET /logout: a page asking to confirm, so that a link
// (an application's "sign out" pointing here with ?rd=) cannot sign anyone
// out by itself. The form posts to /logout with a usable rd kept.
func (s *server) logoutPage(w http.ResponseWriter, r *http.Request, _ visitor) {
	v := newView("Sign out")
	if rd := s.returnURL(r.URL.Query().Get("rd")); rd != "" {
		v.Form["rd"] = rd
	}
	s.render(w, r, http.StatusOK, "logout", v)
}

// logout serves POST /logout: the session is destroyed on the server and
// the browser gets a new token carrying only the goodbye message. A usable
// rd (access.ReturnURL) is where the person goes next, else /login; an
// application there finds the session gone and asks to sign in again.
func (s *server) logout(w http.ResponseWriter, r *http.Request, _ visitor) {
	ctx := r.Context()
	// The sign-out buttons send no fields; only a form body is read.
	_ = r.ParseForm()
	to := s.returnURL(r.PostForm.Get("rd"))
	if err := s.sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: destroy session: %w", err))
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: renew token at logout: %w", err))
		return
	}
	s.sessions.Put(ctx, keyFlash, "You have been signed out.")
	if to == "" {
		to = "/login"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
