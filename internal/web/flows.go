package web

import (
	"context"
	"errors"

	"gatehouse/internal/auth"
)

// Sentences for flows that ran out of time, naming what expired.
const (
	signInExpired       = "Your sign-in took too long. Sign in again."
	registrationExpired = "Your registration took too long. Start again."
)

// flows are the multi-step flows of the portal, as the error writer needs
// them (see flow in answer.go).
type flows struct {
	login, registration, registrationEnd, phone, enrollment *flow
	// reset is a password reset by emailed link (recovery.go).
	reset *flow
	// member is the signed-in state itself: it ends when the account is
	// gone (deleted while signed in).
	member *flow
}

func (s *server) newFlows() flows {
	regBack := map[error]string{auth.ErrNoCodeSent: "/register/credentials"}
	dropReg := func(ctx context.Context) { s.sessions.Remove(ctx, keyReg) }
	return flows{
		login: &flow{
			start: "/login", drop: s.dropPreAuth, endJSON: "redirect_url", expired: signInExpired,
			back: map[error]string{auth.ErrNoCodeSent: "/login/mfa", auth.ErrNoDevice: "/login/mfa"},
		},
		registration: &flow{start: "/register", drop: dropReg, back: regBack, expired: registrationExpired},
		// The last step also ends on a taken email: someone registered the
		// address meanwhile.
		registrationEnd: &flow{start: "/register", drop: dropReg, back: regBack, expired: registrationExpired, ends: func(err error) bool {
			return auth.Ends(err) || errors.Is(err, auth.ErrEmailTaken)
		}},
		phone: &flow{
			start: "/account/phone", drop: func(ctx context.Context) { s.sessions.Remove(ctx, keyPhoneChange) },
			expired: "Your phone number change took too long. Enter the new number again.",
			ends:    func(err error) bool { return errors.Is(err, auth.ErrStepExpired) },
		},
		member: &flow{
			start: "/login", drop: s.endSignIn, endJSON: "redirect_url",
			ends: func(err error) bool { return errors.Is(err, auth.ErrNoAccount) },
		},
		reset: &flow{
			start: "/password/forgot", drop: func(ctx context.Context) { s.sessions.Remove(ctx, keyReset) },
			ends: func(error) bool { return false }, // resetFail ends it, with a page
			back: map[error]string{auth.ErrNoCodeSent: "/password/reset", auth.ErrFactorDue: "/password/reset",
				auth.ErrFactorNotOffered: "/password/reset"},
		},
		enrollment: &flow{
			start: "/account", drop: func(ctx context.Context) { s.sessions.Remove(ctx, keyTOTPFactor) },
			ends: auth.EndsEnrollment, endJSON: "restart",
			expired: "The set-up expired after 10 minutes. Click Enable to start again; delete the old entry from your app.",
		},
	}
}
