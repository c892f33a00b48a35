package web

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
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
// application there finds the session gone and asks to sign in again. With
// reauth=1 (the "sign in again" of an action that needs a recent second
// factor) the next sign-in asks for the second factor even on a remembered
// device, and returns to next.
func (s *server) logout(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	var reauth bool
	var next, to string
	// The sign-out buttons send no fields; only a form body is read.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		f, ok := s.parseForm(w, r, "reauth", "next", "rd")
		if !ok {
			return
		}
		reauth, next, to = f.get("reauth") == "1", safeNext(f.get("next")), s.returnURL(f.get("rd"))
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: destroy session: %w", err))
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: renew token at logout: %w", err))
		return
	}
	if reauth {
		s.sessions.Put(ctx, keyNoDevice, true)
		s.sessions.Put(ctx, keyFlash, "Sign in again to confirm it's you.")
		to := "/login"
		if next != "" {
			to += "?next=" + url.QueryEscape(next)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	switch v.stage {
	case signedIn:
		s.sessions.Put(ctx, keyFlash, "You have been signed out.")
	case preAuth:
		// "Cancel and sign in again": nobody was signed in.
		s.sessions.Put(ctx, keyFlash, "Sign-in cancelled. Sign in again when you're ready.")
	}
	if to == "" {
		to = "/login"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
