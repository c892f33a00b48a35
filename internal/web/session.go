package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"gatehouse/internal/auth"
)

// Session keys. The signed-in state is the triple user id, time of the
// second factor and its method; nothing the browser sends can set them.
const (
	keyUserID      = "uid"
	keyMethod      = "mfa_method"
	keyAuthAt      = "auth_at"    // Unix seconds of the second factor
	keyStepUpAt    = "step_up_at" // Unix seconds of the latest step-up
	keySeen        = "seen"       // Unix seconds of the last signed-in request
	keyPreAuth     = "preauth"    // auth.PreAuth
	keyNext        = "next"       // where to go after the second factor
	keyReg         = "registration"
	keyPhoneChange = "phone_change"
	keyTOTPFactor  = "totp_factor"    // SID of the authenticator being enrolled
	keyFlash       = "flash"          // one-shot success message
	keyFlashError  = "flash_error"    // one-shot error message
	keyLoginEmail  = "login_email"    // the email to prefill on the sign-in page
	keyNoDevice    = "no_device"      // the next sign-in asks for the second factor even on a remembered device
	keyReauthAsk   = "reauth_ask"     // one-shot: an action needed a recent second factor
	keyReset       = "password_reset" // auth.Reset
)

// stage is how far the visitor of a request has signed in.
type stage int

const (
	anonymous stage = iota
	preAuth         // password right, second factor due
	signedIn
)

// visitor is the sign-in state of the request's session.
type visitor struct {
	stage  stage
	userID string // signedIn
	method string // signedIn
	pre    auth.PreAuth
}

// withSession loads the request's session, runs h with its response held
// back, then saves the session and only then sends the response. A session
// that cannot be saved (the database is locked or gone) makes the whole
// answer the one 503 of s.unavailable: what h wrote is dropped, so exactly
// one page goes out.
func (s *server) withSession(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Cookie")
		var token string
		if c, err := r.Cookie(SessionCookie); err == nil {
			token = c.Value
		}
		ctx, err := s.sessions.Load(r.Context(), token)
		if err != nil {
			s.serverError(w, r, fmt.Errorf("web: load session: %w", err))
			return
		}
		loaded := s.sessions.Token(ctx) // "" when no live session was found
		ctx = auth.WithClient(ctx, clientOf(r))
		early := &earlySave{}
		ctx = context.WithValue(ctx, ctxEarlySave, early)
		r = r.WithContext(context.WithValue(ctx, ctxSession, true))
		held := newBuffered()
		h.ServeHTTP(held, r)
		if early.done {
			// The handler saved the session itself (saveWith), as its last
			// change of it.
			if early.token != "" {
				s.sessions.WriteSessionCookie(r.Context(), w, early.token, early.expiry)
			}
			held.flush(w)
			return
		}
		if err := s.saveSession(w, s.commitContext(r.Context(), loaded)); err != nil {
			s.serverError(w, r.WithContext(withoutSession(r.Context())), fmt.Errorf("web: save session: %w", err))
			return
		}
		held.flush(w)
	})
}

// earlySave is a session a handler saved itself (saveWith); withSession
// then only sends its cookie.
type earlySave struct {
	done   bool
	token  string // "" when the save failed: no cookie
	expiry time.Time
}

// saveWith runs fn, then saves the session, all in one transaction of the
// store: fn's writes and the session take effect together or not at all.
// It is the last change a handler makes to the session; when it fails,
// nothing of fn or the session was written and the handler answers the
// error.
func (s *server) saveWith(ctx context.Context, fn func(ctx context.Context) error) error {
	early, _ := ctx.Value(ctxEarlySave).(*earlySave)
	err := s.atomic(ctx, func(ctx context.Context) error {
		if err := fn(ctx); err != nil {
			return err
		}
		if early == nil {
			return nil // no session middleware: it cannot be saved here
		}
		token, expiry, err := s.sessions.Commit(s.commitContext(ctx, ""))
		if err != nil {
			return fmt.Errorf("web: save session: %w", err)
		}
		early.token, early.expiry = token, expiry
		return nil
	})
	if early != nil {
		early.done = true
		if err != nil {
			early.token = ""
		}
	}
	return err
}

// unsave forgets a session saveWith saved in a transaction that then did
// not commit: withSession sends no cookie for it, and the session stays as
// it was before the request.
func (s *server) unsave(ctx context.Context) {
	if early, _ := ctx.Value(ctxEarlySave).(*earlySave); early != nil && early.done {
		early.token = ""
	}
}

// saveSession writes a changed session to the store and its cookie to w.
func (s *server) saveSession(w http.ResponseWriter, ctx context.Context) error {
	switch s.sessions.Status(ctx) {
	case scs.Modified:
		token, expiry, err := s.sessions.Commit(ctx)
		if err != nil {
			return err
		}
		s.sessions.WriteSessionCookie(ctx, w, token, expiry)
	case scs.Destroyed:
		s.sessions.WriteSessionCookie(ctx, w, "", time.Time{})
	}
	return nil
}

// withoutSession marks ctx as having no usable session, so the page that
// answers a failed save reads nothing from it.
func withoutSession(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxSession, false)
}

func hasSession(ctx context.Context) bool {
	ok, _ := ctx.Value(ctxSession).(bool)
	return ok
}

// who reads the sign-in state, ending states whose time is up: a signed-in
// session after the idle timeout or lifetime, a pre-auth state after
// its time (auth.PreAuthAlive). Each ending leaves a message for the next page.
func (s *server) who(ctx context.Context) visitor {
	now := s.now()
	if uid := s.sessions.GetString(ctx, keyUserID); uid != "" {
		method := s.sessions.GetString(ctx, keyMethod)
		authAt := time.Unix(s.sessions.GetInt64(ctx, keyAuthAt), 0)
		seen := time.Unix(s.sessions.GetInt64(ctx, keySeen), 0)
		if method == "" || now.Sub(authAt) > s.lifetime || now.Sub(seen) > s.idle {
			s.endSignIn(ctx)
			s.sessions.Put(ctx, keyFlashError, "Your session has expired. Please sign in again.")
			return visitor{stage: anonymous}
		}
		// Refreshing the idle clock is a database write: once a minute is
		// enough, and errs on the strict side (a session may end up to a
		// minute before 30 idle minutes, never after).
		if now.Sub(seen) >= time.Minute {
			s.sessions.Put(ctx, keySeen, now.Unix())
		}
		return visitor{stage: signedIn, userID: uid, method: method}
	}
	if pa, ok := s.sessions.Get(ctx, keyPreAuth).(auth.PreAuth); ok {
		if !s.auth.PreAuthAlive(pa) {
			s.dropPreAuth(ctx)
			s.sessions.Put(ctx, keyFlashError, signInExpired)
			return visitor{stage: anonymous}
		}
		return visitor{stage: preAuth, pre: pa}
	}
	return visitor{stage: anonymous}
}

// endSignIn removes every trace of a sign-in from the session.
func (s *server) endSignIn(ctx context.Context) {
	for _, k := range []string{keyUserID, keyMethod, keyAuthAt, keyStepUpAt, keySeen, keyPhoneChange, keyTOTPFactor} {
		s.sessions.Remove(ctx, k)
	}
	s.dropPreAuth(ctx)
}

// dropPreAuth ends a pre-auth login.
func (s *server) dropPreAuth(ctx context.Context) {
	s.sessions.Remove(ctx, keyPreAuth)
	s.sessions.Remove(ctx, keyNext)
	s.sessions.Remove(ctx, keyRd)
}

// signIn turns the session into a signed-in one, under a new token.
func (s *server) signIn(ctx context.Context, userID, method string) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Remove(ctx, keyPreAuth)
	s.sessions.Remove(ctx, keyReg)
	s.sessions.Remove(ctx, keyLoginEmail)
	s.sessions.Remove(ctx, keyNoDevice)
	now := s.now().Unix()
	s.sessions.Put(ctx, keyUserID, userID)
	s.sessions.Put(ctx, keyMethod, method)
	s.sessions.Put(ctx, keyAuthAt, now)
	s.sessions.Put(ctx, keySeen, now)
	return nil
}

// restart sends the visitor back to the start of a flow with a message.
func (s *server) restart(w http.ResponseWriter, r *http.Request, to, msg string) {
	s.sessions.Put(r.Context(), keyFlashError, msg)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// visitorHandler is a handler that needs the sign-in state.
type visitorHandler func(w http.ResponseWriter, r *http.Request, v visitor)
