package web

import (
	"errors"
	"net/http"

	"gatehouse/internal/auth"
)

// reauthMessage asks for a fresh sign-in before an action that changes how
// the account is protected.
const reauthMessage = "Confirm it's you: sign in again to do this."

// sessionsPage serves GET /account/sessions: the account's signed-in
// sessions, this one marked.
func (s *server) sessionsPage(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	s.show(w, r, "account_sessions", func() (*view, error) {
		vw, err := s.memberView(ctx, v, "Signed-in sessions")
		if err != nil {
			return nil, err
		}
		list, err := s.auth.Sessions(ctx, v.userID, s.sessions.Token(ctx))
		if err != nil {
			return nil, err
		}
		vw.Sessions = sessionRows(list)
		vw.Reauth = s.sessions.PopBool(ctx, keyReauthAsk)
		return vw, nil
	})
}

// revokeSessions serves POST /account/sessions/revoke: id ends one session,
// all=others every session but this one. Both need a second factor
// verified recently in this session. A revoked session is deleted, so it is
// dead on every instance at once.
func (s *server) revokeSessions(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "id", "all")
	if !ok {
		return
	}
	at := step{redirect: "/account/sessions"}
	if !s.recentlyVerified(ctx) {
		s.sessions.Put(ctx, keyReauthAsk, true)
		http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
		return
	}
	switch {
	case f.get("all") == "others":
		n, err := s.auth.RevokeOtherSessions(ctx, v.userID, s.sessions.Token(ctx))
		if err != nil {
			s.fail(w, r, err, at)
			return
		}
		msg := "You have been signed out everywhere else."
		if n == 0 {
			msg = "There were no other sessions to sign out."
		}
		s.sessions.Put(ctx, keyFlash, msg)
	case f.get("id") != "":
		err := s.auth.RevokeSession(ctx, v.userID, f.get("id"))
		if err != nil && !errors.Is(err, auth.ErrNoSession) {
			s.fail(w, r, err, at)
			return
		}
		s.sessions.Put(ctx, keyFlash, "That session has been signed out.")
	default:
		s.restart(w, r, "/account/sessions", "Choose a session to sign out.")
		return
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
}
