package auth

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse/internal/mail"
	"gatehouse/internal/store"
)

// Purposes and lifetimes of emailed links, and the portal paths they open.
const (
	purposeVerifyEmail = "verify_email"
	purposeReset       = "reset"

	VerifyEmailTTL = 24 * time.Hour
	ResetLinkTTL   = 30 * time.Minute

	VerifyEmailPath = "/verify-email"
	ResetPath       = "/password/reset"
)

// Caps of the email channel: a mailbox must not be flooded through the
// portal.
const (
	verifyResendsPerHour = 3 // verification links a member may ask for per hour
	linksPerAddress      = 3 // reset links per address per hour; more are not sent
	forgotPerIP          = 10
)

// link is a freshly minted emailed link: the token goes into the mail only;
// the store keeps its keyed hash.
type link struct {
	token, hash string
}

// newLink mints a 256-bit token for purpose.
func (s *Service) newLink(purpose string) (link, error) {
	b := make([]byte, 32)
	if _, err := s.rand.Read(b); err != nil {
		return link{}, fmt.Errorf("auth: link token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return link{token: tok, hash: s.linkHash(purpose, tok)}, nil
}

// linkHash is the stored form of a link token: HMAC-SHA256 under the link
// key, bound to the purpose.
func (s *Service) linkHash(purpose, token string) string {
	return hex.EncodeToString(s.mac(s.linkKey, purpose+"\x00"+token))
}

// wellFormed reports whether token could be one newLink minted, so that
// nonsense never reaches the database.
func wellFormed(token string) bool {
	if len(token) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// url is the portal address of path with the token.
func (s *Service) url(path string, l link) string {
	return strings.TrimSuffix(s.portal, "/") + path + "?token=" + l.token
}

// mailLink stores a link of purpose for the user and mails it as kind.
func (s *Service) mailLink(ctx context.Context, u store.User, l link, purpose string, kind mail.NoticeKind, ttl time.Duration, ip, ua string) error {
	// Storing the link voids the older one: its mail must not go out after
	// this one's.
	lk := s.bg.linkLock(u.ID)
	lk.Lock()
	defer lk.Unlock()
	now := s.now()
	if err := s.st.CreateEmailToken(ctx, store.EmailToken{Hash: l.hash, UserID: u.ID, Purpose: purpose,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return fmt.Errorf("auth: store link: %w", err)
	}
	n := mail.Notice{Kind: kind, When: now, IP: ip, Browser: ua, Link: s.url(pathOf(purpose), l), LinkTTL: ttl}
	if err := s.notifier.Notify(ctx, u.ID, n); err != nil {
		return fmt.Errorf("auth: mail link: %w", err)
	}
	return nil
}

func pathOf(purpose string) string {
	if purpose == purposeReset {
		return ResetPath
	}
	return VerifyEmailPath
}

// sendVerification mails the user a new link that proves the address, in
// the background.
func (s *Service) sendVerification(userID, ip, ua string) {
	l, err := s.newLink(purposeVerifyEmail)
	if err != nil {
		s.log.Error("verification link not sent", "user", userID, "err", err)
		return
	}
	s.later("verification link", func(ctx context.Context) error {
		u, err := s.user(ctx, userID)
		if err != nil {
			return err
		}
		return s.mailLink(ctx, u, l, purposeVerifyEmail, mail.NoticeVerifyEmail, VerifyEmailTTL, ip, ua)
	})
}

// EmailVerified reports whether the account proved its email address.
func (s *Service) EmailVerified(ctx context.Context, userID string) (bool, error) {
	at, err := s.st.EmailVerifiedAt(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("auth: email verified: %w", ErrNoAccount)
	}
	if err != nil {
		return false, fmt.Errorf("auth: email verified: %w", err)
	}
	return !at.IsZero(), nil
}

// ResendVerification mails a member a new verification link (the older one
// stops working), at most verifyResendsPerHour times an hour. A verified
// address gets none.
func (s *Service) ResendVerification(ctx context.Context, userID, ip, ua string) error {
	ok, err := s.EmailVerified(ctx, userID)
	if err != nil || ok {
		return err
	}
	if err := s.take(ctx, "verify-resend:"+userID, verifyResendsPerHour, time.Hour,
		"We already sent you several links. Check your inbox and spam folder, or try again later."); err != nil {
		return err
	}
	s.sendVerification(userID, ip, ua)
	return nil
}

// VerifyEmail consumes a verification link: the account's address counts
// as proven. A link that is unknown, used or expired is ErrLinkInvalid.
func (s *Service) VerifyEmail(ctx context.Context, token, ip, ua string) error {
	if !wellFormed(token) {
		return ErrLinkInvalid
	}
	uid, err := s.st.VerifyEmail(ctx, s.linkHash(purposeVerifyEmail, token), purposeVerifyEmail, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return ErrLinkInvalid
	}
	if err != nil {
		return fmt.Errorf("auth: verify email: %w", err)
	}
	s.record(ctx, uid, EventEmailVerified, "")
	s.log.Info("email verified", "user", uid)
	return nil
}
