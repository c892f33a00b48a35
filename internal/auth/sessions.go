package auth

import (
	"context"
	"fmt"
	"time"

	"gatehouse/internal/store"
)

// SessionStore lists and ends the signed-in sessions of accounts;
// *store.DB implements it. Ending a session is a delete, so it is dead on
// every instance at once.
type SessionStore interface {
	UserSessions(ctx context.Context, userID, currentToken string, now time.Time) ([]store.SessionInfo, error)
	RevokeSession(ctx context.Context, userID, id string) error
	RevokeOtherSessions(ctx context.Context, userID, keepToken string) (int, error)
}

// Session is a signed-in session as its owner sees it listed.
type Session struct {
	ID        string // opaque; neither the token nor its hash
	CreatedAt time.Time
	LastSeen  time.Time
	IP        string
	UserAgent string
	Current   bool
}

// Sessions lists the account's signed-in sessions; the one of currentToken
// is marked Current.
func (s *Service) Sessions(ctx context.Context, userID, currentToken string) ([]Session, error) {
	if s.sessions == nil {
		return nil, nil
	}
	list, err := s.sessions.UserSessions(ctx, userID, currentToken, s.now())
	if err != nil {
		return nil, fmt.Errorf("auth: sessions: %w", err)
	}
	out := make([]Session, len(list))
	for i, si := range list {
		out[i] = Session{ID: si.ID, CreatedAt: si.CreatedAt, LastSeen: si.LastSeen, IP: si.IP,
			UserAgent: si.UserAgent, Current: si.Current}
	}
	return out, nil
}

// RevokeSession ends one of the account's sessions; ErrNoSession when it
// has none with that id.
func (s *Service) RevokeSession(ctx context.Context, userID, id string) error {
	if s.sessions == nil {
		return ErrNoSession
	}
	err := s.sessions.RevokeSession(ctx, userID, id)
	if notFound(err) {
		return ErrNoSession
	}
	if err != nil {
		return fmt.Errorf("auth: revoke session: %w", err)
	}
	s.record(ctx, userID, EventSessionRevoked, "")
	return nil
}

// RevokeOtherSessions ends every session of the account but the one of
// keepToken ("" ends them all) and returns how many ended.
func (s *Service) RevokeOtherSessions(ctx context.Context, userID, keepToken string) (int, error) {
	if s.sessions == nil {
		return 0, nil
	}
	n, err := s.sessions.RevokeOtherSessions(ctx, userID, keepToken)
	if err != nil {
		return 0, fmt.Errorf("auth: revoke sessions: %w", err)
	}
	if n > 0 {
		detail := fmt.Sprintf("all others (%d)", n)
		if keepToken == "" {
			detail = fmt.Sprintf("all (%d)", n)
		}
		s.record(ctx, userID, EventSessionRevoked, detail)
	}
	return n, nil
}
