package web

import (
	"context"
	"time"

	"github.com/alexedwards/scs/v2"

	"gatehouse/internal/auth"
)

// keyRd is the session key of where to send a person after signing in when
// an application sent them (rd), vetted by access.ReturnURL.
const keyRd = "rd"

// sessionUpdater saves a session only while it exists; store.Sessions
// implements it (UpdateCtx).
type sessionUpdater interface {
	UpdateCtx(ctx context.Context, token string, b []byte, expiry time.Time) error
}

// refreshStore is the session store as the authorisation endpoints see it:
// reads go to the store, a commit only updates a session that still
// exists, so a check running while the person signs out never brings the
// session back. Without an updater nothing is written.
type refreshStore struct {
	st  scs.Store
	upd sessionUpdater // nil: refreshes are skipped
}

// Find implements scs.Store.
func (r refreshStore) Find(token string) ([]byte, bool, error) {
	return r.FindCtx(context.Background(), token)
}

// FindCtx implements scs.CtxStore.
func (r refreshStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if cs, ok := r.st.(scs.CtxStore); ok {
		return cs.FindCtx(ctx, token)
	}
	return r.st.Find(token)
}

// Commit implements scs.Store.
func (r refreshStore) Commit(token string, b []byte, expiry time.Time) error {
	return r.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx implements scs.CtxStore as an update of an existing session.
func (r refreshStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if r.upd == nil {
		return nil
	}
	return r.upd.UpdateCtx(ctx, token, b, expiry)
}

// Delete implements scs.Store; the authorisation endpoints never delete.
func (r refreshStore) Delete(string) error { return nil }

// DeleteCtx implements scs.CtxStore.
func (r refreshStore) DeleteCtx(context.Context, string) error { return nil }

// newChecker returns the session manager of the authorisation endpoints:
// the portal's sessions, read through refreshStore.
func newChecker(st scs.Store, lifetime time.Duration) *scs.SessionManager {
	upd, _ := st.(sessionUpdater)
	m := scs.New()
	m.Store = refreshStore{st: st, upd: upd}
	m.Lifetime = lifetime
	m.Cookie.Name = SessionCookie
	return m
}

// peek reads the sign-in state of a session loaded by the checker without
// changing it, by the rules of who(): a signed-in session past its idle
// timeout or lifetime, or without a second-factor method, is signed out; a
// pending (password-only) login is never signed in. due reports that the
// last-seen stamp is a minute old, when who() would refresh it.
func (s *server) peek(ctx context.Context) (st stage, userID string, due bool) {
	m, now := s.checker, s.now()
	uid := m.GetString(ctx, keyUserID)
	if uid == "" {
		if _, ok := m.Get(ctx, keyPreAuth).(auth.PreAuth); ok {
			return preAuth, "", false
		}
		return anonymous, "", false
	}
	authAt := time.Unix(m.GetInt64(ctx, keyAuthAt), 0)
	seen := time.Unix(m.GetInt64(ctx, keySeen), 0)
	if m.GetString(ctx, keyMethod) == "" || now.Sub(authAt) > s.lifetime || now.Sub(seen) > s.idle {
		return anonymous, "", false
	}
	return signedIn, uid, now.Sub(seen) >= time.Minute
}

// refresh stamps the session as seen now: the one write of an
// authorisation check, at most once a minute per session, so that using an
// application counts as activity for the idle timeout. A failure is logged
// and the check answered anyway: the stamp is only a minute late.
func (s *server) refresh(ctx context.Context) {
	s.checker.Put(ctx, keySeen, s.now().Unix())
	if _, _, err := s.checker.Commit(ctx); err != nil {
		s.log.Warn("authz: refresh session", "err", err)
	}
}
