package web

import (
	"context"
	"net/http"

	"gatehouse/internal/auth"
)

// methodName names a second factor as people read it.
func methodName(m string) string {
	switch m {
	case auth.MethodSMS:
		return "SMS code"
	case auth.MethodTOTP:
		return "Authenticator app"
	case auth.MethodBackup:
		return "backup code"
	case auth.MethodDevice:
		return "remembered device"
	}
	return m
}

// memberView loads the signed-in account into a view. An account gone
// meanwhile is auth.ErrNoAccount, which ends the sign-in (flows.member).
func (s *server) memberView(ctx context.Context, v visitor, title string) (*view, error) {
	u, err := s.auth.User(ctx, v.userID)
	if err != nil {
		return nil, err
	}
	vw := newView(title)
	vw.FirstName, vw.LastName, vw.Email = u.FirstName, u.LastName, u.Email
	vw.Masked = s.auth.MaskPhone(u.Phone)
	vw.MFAEnabled = u.MFAEnabled
	vw.Method = methodName(v.method)
	return vw, nil
}

// dashboard serves GET /dashboard.
func (s *server) dashboard(w http.ResponseWriter, r *http.Request, v visitor) {
	s.show(w, r, "dashboard", func() (*view, error) { return s.accountView(r.Context(), v, "Dashboard") })
}
