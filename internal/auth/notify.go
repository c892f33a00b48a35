package auth

import (
	"context"
	"fmt"
	"hash/fnv"
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

// noNotifier is the default when Options has no Notifier: nothing is
// mailed.
type noNotifier struct{}

func (noNotifier) Notify(context.Context, string, mail.Notice) error { return nil }

// endOtherSessions ends every sign-in of the account but the session of
// keepToken: its other sessions and every remembered device.
func (s *Service) endOtherSessions(ctx context.Context, userID, keepToken string) error {
	if s.sessions != nil {
		if _, err := s.sessions.RevokeOtherSessions(ctx, userID, keepToken); err != nil {
			return fmt.Errorf("auth: end sessions: %w", err)
		}
	}
	if s.devices != nil {
		if _, err := s.devices.ForgetDevices(ctx, userID); err != nil {
			return fmt.Errorf("auth: forget devices: %w", err)
		}
	}
	return nil
}

// endAllSessions ends every sign-in of the account.
func (s *Service) endAllSessions(ctx context.Context, userID string) error {
	return s.endOtherSessions(ctx, userID, "")
}

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
	// links serialises the link mails of one account (striped by its id),
	// so that a link replaced by a newer one is never mailed after it.
	links [64]sync.Mutex
}

// linkLock returns the lock of the link mails of the account.
func (b *background) linkLock(userID string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(userID))
	return &b.links[h.Sum32()%uint32(len(b.links))]
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
	s.notifier = o.Notifier
	if s.notifier == nil {
		s.notifier = noNotifier{}
		s.mailless = true
	}
	s.linkKey, s.portal = o.LinkKey, o.PortalURL
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
