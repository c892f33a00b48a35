package web

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
)

// logout serves POST /logout: the session is destroyed on the server and
// the browser gets a new token carrying only the goodbye message. With
// reauth=1 (the "sign in again" of an action that needs a recent second
// factor) the next sign-in asks for the second factor even on a remembered
// device, and returns to next.
func (s *server) logout(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	var reauth bool
	var next string
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		f, ok := s.parseForm(w, r, "reauth", "next")
		if !ok {
			return
		}
		reauth, next = f.get("reauth") == "1", safeNext(f.get("next"))
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
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
