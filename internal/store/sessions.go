package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Sessions adapts the sessions table to the scs.CtxStore contract: an
// expired or unknown token is "not found" (found=false, no error).
type Sessions struct {
	DB  *DB
	Now func() time.Time
}

func (s Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// FindCtx returns the session data for token.
func (s Sessions) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.DB.queryRow(ctx, s.DB.db, `SELECT data FROM sessions WHERE token = ? AND expiry > ?`,
		token, ms(s.now())).Scan(&b)
	if isNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: find session: %w", err)
	}
	return b, true, nil
}

// CommitCtx saves session data until expiry.
func (s Sessions) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := s.DB.exec(ctx, s.DB.db, `INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		token, b, ms(expiry))
	if err != nil {
		return fmt.Errorf("store: commit session: %w", err)
	}
	return nil
}

// DeleteCtx removes a session.
func (s Sessions) DeleteCtx(ctx context.Context, token string) error {
	if _, err := s.DB.exec(ctx, s.DB.db, `DELETE FROM sessions WHERE token = ?`, token); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// Find implements scs.Store.
func (s Sessions) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit implements scs.Store.
func (s Sessions) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete implements scs.Store.
func (s Sessions) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// UpdateCtx saves new data for a session that still exists and changes
// nothing when it is gone: unlike CommitCtx it never brings back a session
// that was signed out or revoked meanwhile. The authorisation endpoints use
// it to refresh a session's last-seen stamp.
func (s Sessions) UpdateCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if _, err := s.DB.exec(ctx, s.DB.db, `UPDATE sessions SET data = ?, expiry = ? WHERE token = ? AND expiry > ?`,
		b, ms(expiry), token, ms(s.now())); err != nil {
		return fmt.Errorf("store: update session: %w", err)
	}
	return nil
}
