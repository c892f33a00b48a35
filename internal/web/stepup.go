package web

import (
	"context"
	"time"
)

// stepUpWindow is how recent the session's second factor must be for a
// change of how the account is protected.
const stepUpWindow = 10 * time.Minute

// stepUpFresh reports whether the session's second factor was verified
// within the step-up window. It is the one step-up check of this package's
// recovery routes; it reads keyAuthAt, the time of the sign-in's second
// factor, until a dedicated step-up replaces it.
func (s *server) stepUpFresh(ctx context.Context) bool {
	at := s.sessions.GetInt64(ctx, keyAuthAt)
	return at != 0 && s.now().Sub(time.Unix(at, 0)) <= stepUpWindow
}
