package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Sessions adapts the sessions table to the scs.CtxStore contract: an
// expired or unknown token is "not found" (found=false, no error).
//
// Only SHA-256 of each token is stored. A commit updates a session that
// exists and creates one only when its context says the token was minted
// by this request (WithCommit, New: true): a request that loaded a session
// before it was deleted (a logout, a revocation) and commits after cannot
// bring it back.
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

// TokenHash is the stored form of a session or device token: hex SHA-256.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CommitInfo is what the web layer tells a session commit: whether the
// token is new (minted in this request) and who the session belongs to.
type CommitInfo struct {
	New       bool   // the token was minted in this request: it may be inserted
	UserID    string // signed-in account, "" for none
	IP        string
	UserAgent string
}

type commitKey struct{}

// WithCommit returns ctx carrying info for the next CommitCtx under it.
func WithCommit(ctx context.Context, info CommitInfo) context.Context {
	return context.WithValue(ctx, commitKey{}, info)
}

func commitInfo(ctx context.Context) CommitInfo {
	info, _ := ctx.Value(commitKey{}).(CommitInfo)
	return info
}

// FindCtx returns the session data for token.
func (s Sessions) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.DB.queryRow(ctx, s.DB.db, `SELECT data FROM sessions WHERE token_hash = ? AND expiry > ?`,
		TokenHash(token), ms(s.now())).Scan(&b)
	if isNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: find session: %w", err)
	}
	return b, true, nil
}

// CommitCtx saves session data until expiry. It updates the session of
// token; only when the context marks the token new does it insert one. A
// commit for a session that is gone changes nothing and is no error: the
// browser holds a token that finds nothing, as after a logout.
func (s Sessions) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	info, now, hash := commitInfo(ctx), ms(s.now()), TokenHash(token)
	if !info.New {
		_, err := s.DB.exec(ctx, s.DB.db, `UPDATE sessions SET data = ?, expiry = ?, last_seen = ?,
			user_id = ?, ip = ?, user_agent = ? WHERE token_hash = ?`,
			b, ms(expiry), now, info.UserID, info.IP, info.UserAgent, hash)
		if err != nil {
			return fmt.Errorf("store: commit session: %w", err)
		}
		return nil
	}
	id, err := randomHex(16)
	if err != nil {
		return fmt.Errorf("store: commit session: %w", err)
	}
	_, err = s.DB.exec(ctx, s.DB.db, `INSERT INTO sessions
		(token_hash, public_id, data, expiry, user_id, created_at, last_seen, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry,
		last_seen = excluded.last_seen, user_id = excluded.user_id, ip = excluded.ip, user_agent = excluded.user_agent`,
		hash, id, b, ms(expiry), info.UserID, now, now, info.IP, info.UserAgent)
	if err != nil {
		return fmt.Errorf("store: commit session: %w", err)
	}
	return nil
}

// DeleteCtx removes a session.
func (s Sessions) DeleteCtx(ctx context.Context, token string) error {
	if _, err := s.DB.exec(ctx, s.DB.db, `DELETE FROM sessions WHERE token_hash = ?`, TokenHash(token)); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// Find implements scs.Store.
func (s Sessions) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit implements scs.Store. Without a context nothing marks the token
// new, so it only updates an existing session.
func (s Sessions) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete implements scs.Store.
func (s Sessions) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// randomHex returns n random bytes as hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// UpdateCtx saves new data for a session that still exists and changes
// nothing when it is gone: unlike a commit of a new token it never brings
// back a session that was signed out or revoked meanwhile. The
// authorisation endpoints use it to refresh a session's last-seen stamp.
func (s Sessions) UpdateCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if _, err := s.DB.exec(ctx, s.DB.db, `UPDATE sessions SET data = ?, expiry = ?, last_seen = ?
		WHERE token_hash = ? AND expiry > ?`,
		b, ms(expiry), ms(s.now()), TokenHash(token), ms(s.now())); err != nil {
		return fmt.Errorf("store: update session: %w", err)
	}
	return nil
}
