package web

import (
	"errors"
	"net/http"

	"gatehouse/internal/auth"
	"gatehouse/internal/store"
)

// methodName names a second factor as people read it.
func methodName(m string) string {
	switch m {
	case auth.MethodSMS:
		return "SMS code"
	case auth.MethodTOTP:
		return "Authenticator app"
	case auth.MethodBackup:
		return "Backup code"
	}
	return m
}

// memberView loads the signed-in account into a view. When the account is
// gone it ends the session, answers the request and returns false.
func (s *server) memberView(w http.ResponseWriter, r *http.Request, v visitor, title string) (*view, bool) {
	u, err := s.auth.User(r.Context(), v.userID)
	if errors.Is(err, store.ErrNotFound) {
		s.endSignIn(r.Context())
		s.restart(w, r, "/login", "Your session has ended. Please sign in again.")
		return nil, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	vw := newView(title)
	vw.FirstName, vw.LastName, vw.Email = u.FirstName, u.LastName, u.Email
	vw.Masked = s.auth.MaskPhone(u.Phone)
	vw.MFAEnabled = u.MFAEnabled
	vw.Method = methodName(v.method)
	return vw, true
}

// dashboard serves GET /dashboard.
func (s *server) dashboard(w http.ResponseWriter, r *http.Request, v visitor) {
	vw, ok := s.memberView(w, r, v, "Dashboard")
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "dashboard", vw)
}
