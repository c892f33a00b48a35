package web

import (
	"context"
	"net/http"
)

// emailUnverified reports whether the account page offers a new
// verification link.
func (s *server) emailUnverified(ctx context.Context, userID string) (bool, error) {
	ok, err := s.auth.EmailVerified(ctx, userID)
	return !ok, err
}

// verifyEmail serves GET /verify-email?token=T, the link of the
// verification mail, in any session: the address counts as proven.
func (s *server) verifyEmail(w http.ResponseWriter, r *http.Request, _ visitor) {
	ctx := r.Context()
	if err := s.auth.VerifyEmail(ctx, r.URL.Query().Get("token"), ipOf(ctx), r.UserAgent()); err != nil {
		s.fail(w, r, err, s.linkInvalidStep("/account", "Go to your account"))
		return
	}
	s.render(w, r, http.StatusOK, "email_verified", newView("Email address verified"))
}

// emailResend serves POST /account/email/resend: a new verification link.
func (s *server) emailResend(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	if err := s.auth.ResendVerification(ctx, v.userID, ipOf(ctx), r.UserAgent()); err != nil {
		s.fail(w, r, err, step{page: "account", view: func() (*view, error) {
			return s.accountView(ctx, v, "Account settings")
		}})
		return
	}
	s.sessions.Put(ctx, keyFlash, "We sent a new link to your email address. It works for 24 hours.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// linkInvalidStep answers an emailed link that cannot be used: the page
// saying so, with a way on.
func (s *server) linkInvalidStep(back, label string) step {
	return step{page: "link_invalid", view: func() (*view, error) {
		v := newView("This link no longer works")
		v.Back, v.BackLabel = back, label
		return v, nil
	}}
}
