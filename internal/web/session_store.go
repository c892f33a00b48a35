package web

import (
	"context"
	"net/http"
	"strings"

	"gatehouse/internal/auth"
	"gatehouse/internal/store"
)

// maxUserAgent bounds the User-Agent kept with a session, device or event.
const maxUserAgent = 256

// clientOf is the client of r for the activity log: its address (as the
// clientIP middleware decided) and a bounded user agent.
func clientOf(r *http.Request) auth.Client {
	ua := strings.ToValidUTF8(r.UserAgent(), "")
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	return auth.Client{IP: ipOf(r.Context()), UserAgent: ua}
}

// commitContext tells the session store about the commit ending this
// request: the token is new (may be inserted) only when it is not the one
// loaded, so a session deleted meanwhile (logout, revocation) stays dead;
// and the session is tagged with its account and client for the list.
func (s *server) commitContext(ctx context.Context, loaded string) context.Context {
	tok := s.sessions.Token(ctx)
	c := auth.ClientOf(ctx)
	return store.WithCommit(ctx, store.CommitInfo{
		New:    tok == "" || tok != loaded,
		UserID: s.sessions.GetString(ctx, keyUserID), IP: c.IP, UserAgent: c.UserAgent,
	})
}

// recentlyVerified reports whether this session verified a second factor
// within the step-up window (stepUpAt): changing how the account is
// protected (ending other sessions) needs it. A sign-in on a remembered
// device verified no second factor, so it alone never counts.
func (s *server) recentlyVerified(ctx context.Context) bool {
	return s.auth.StepUpFresh(s.stepUpAt(ctx)) == nil
}
