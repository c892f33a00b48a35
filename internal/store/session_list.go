package store

import (
	"context"
	"fmt"
	"time"
)

// SessionInfo is a signed-in session as its owner sees it listed: never
// its token or the token's hash.
type SessionInfo struct {
	ID        string // public id, for revoking
	UserID    string
	CreatedAt time.Time
	LastSeen  time.Time
	Expiry    time.Time
	IP        string
	UserAgent string
	Current   bool // the session of the token the caller passed
}

// UserSessions returns the live sessions of a user, the most recently seen
// first; the one of currentToken is marked Current.
func (d *DB) UserSessions(ctx context.Context, userID, currentToken string, now time.Time) ([]SessionInfo, error) {
	rows, done, err := d.query(ctx, d.db, `SELECT public_id, user_id, created_at, last_seen, expiry, ip, user_agent,
		token_hash = ? FROM sessions WHERE user_id = ? AND expiry > ? ORDER BY last_seen DESC, created_at DESC`,
		TokenHash(currentToken), userID, ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: user sessions: %w", err)
	}
	defer done()
	defer rows.Close()
	var out []SessionInfo
	for rows.Next() {
		var si SessionInfo
		var created, seen, exp int64
		if err := rows.Scan(&si.ID, &si.UserID, &created, &seen, &exp, &si.IP, &si.UserAgent, &si.Current); err != nil {
			return nil, fmt.Errorf("store: user sessions: %w", noteFault(ctx, err))
		}
		si.CreatedAt, si.LastSeen, si.Expiry = fromMS(created), fromMS(seen), fromMS(exp)
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: user sessions: %w", noteFault(ctx, err))
	}
	return out, nil
}

// RevokeSession deletes the user's session with public id; ErrNotFound
// when the user has no such session.
func (d *DB) RevokeSession(ctx context.Context, userID, id string) error {
	res, err := d.exec(ctx, d.db, `DELETE FROM sessions WHERE user_id = ? AND public_id = ?`, userID, id)
	if err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: revoke session: %w", ErrNotFound)
	}
	return nil
}

// RevokeOtherSessions deletes every session of the user but the one of
// keepToken and returns how many ended. An empty keepToken ends them all.
func (d *DB) RevokeOtherSessions(ctx context.Context, userID, keepToken string) (int, error) {
	res, err := d.exec(ctx, d.db, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`,
		userID, TokenHash(keepToken))
	if err != nil {
		return 0, fmt.Errorf("store: revoke sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
