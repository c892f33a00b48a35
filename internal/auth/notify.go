package auth

import (
	"context"
	"sync"
	"time"

	"gatehouse/internal/mail"
)

// Notifier mails a security notice to the owner of an account; the
// implementation fills in the address (mail.Notifier, over the mail queue).
// Notify must not block on the mail server.
type Notifier interface {
	Notify(ctx context.Context, userID string, n mail.Notice) error
}

// Recorder writes an account's activity log. Record never fails the step it
// records: an implementation logs its own errors.
type Recorder interface {
	Record(ctx context.Context, userID, event, ip, userAgent string)
}

// SessionEnder ends sign-ins of an account: sessions and remembered
// devices. keepToken is the session token of the request that asked, which
// stays signed in.
type SessionEnder interface {
	EndOtherSessions(ctx context.Context, userID, keepToken string) error
	EndAllSessions(ctx context.Context, userID string) error
}

// Activity events recorded by this package.
const (
	EventPasswordChanged = "password_changed"
	EventPasswordReset   = "password_reset"
	EventEmailVerified   = "email_verified"
)

// The defaults when Options leaves a provider out: nothing is mailed,
// recorded or ended.
type (
	noNotifier     struct{}
	noRecorder     struct{}
	noSessionEnder struct{}
)

func (noNotifier) Notify(context.Context, string, mail.Notice) error      { return nil }
func (noRecorder) Record(context.Context, string, string, string, string) {}
func (noSessionEnder) EndOtherSessions(context.Context, string, string) error {
	return nil
}
func (noSessionEnder) EndAllSessions(context.Context, string) error { return nil }

// maxBackground bounds the background steps in flight; more wait for a slot.
const maxBackground = 64

// backgroundTimeout bounds one background step.
const backgroundTimeout = time.Minute

// background runs the steps of a request that need not finish before its
// answer: mails and the lookups behind them. Running them after the answer
// makes the answer's time independent of whether an account exists.
type background struct {
	sem  chan struct{} // a slot per step in flight
	mu   sync.Mutex
	n    int           // steps started and not done
	idle chan struct{} // closed while n is 0
}

// start counts a step in; done counts it out.
func (b *background) start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == 0 {
		b.idle = make(chan struct{})
	}
	b.n++
}

func (b *background) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n--; b.n == 0 {
		close(b.idle)
	}
}

// initRecovery applies the Options of the email channel and recovery.
func (s *Service) initRecovery(o Options) {
	s.notifier, s.recorder, s.ender = o.Notifier, o.Recorder, o.Sessions
	if s.notifier == nil {
		s.notifier = noNotifier{}
		s.mailless = true
	}
	if s.recorder == nil {
		s.recorder = noRecorder{}
	}
	if s.ender == nil {
		s.ender = noSessionEnder{}
	}
	s.linkKey, s.portal = o.LinkKey, o.PortalURL
	if s.linkKey == nil {
		s.linkKey = s.mac(s.limitKey, "link tokens")
	}
	s.bg = &background{sem: make(chan struct{}, maxBackground), idle: make(chan struct{})}
	close(s.bg.idle)
}

// later runs fn in the background, after the request. Its error is logged
// under what; it must hold no address, token or code. Without a Notifier
// every background step is a mail nobody would get, so none runs.
func (s *Service) later(what string, fn func(ctx context.Context) error) {
	if s.mailless {
		return
	}
	s.bg.start()
	s.bg.sem <- struct{}{}
	go func() {
		defer func() { <-s.bg.sem; s.bg.done() }()
		ctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			s.log.Error("background step failed", "step", what, "err", err)
		}
	}()
}

// Wait blocks until no background step is running, or ctx ends (then it
// returns ctx's error). Call it at shutdown before closing the
// mail queue, and in tests before reading the mail.
func (s *Service) Wait(ctx context.Context) error {
	s.bg.mu.Lock()
	idle := s.bg.idle
	s.bg.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// notify sends the owner of userID the notice n, stamped now, in the
// background.
func (s *Service) notify(userID string, n mail.Notice) {
	n.When = s.now()
	s.later("notice "+string(n.Kind), func(ctx context.Context) error {
		return s.notifier.Notify(ctx, userID, n)
	})
}
