package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Identity is what the authorisation endpoints tell an application about a
// signed-in person.
type Identity struct {
	Email     string
	FirstName string
	LastName  string
	Groups    []string // sorted
}

// Identity reads the account's email, names and groups in one indexed
// query (the users primary key joined to the user_groups primary key), or
// ErrNotFound when the account is gone.
func (d *DB) Identity(ctx context.Context, userID string) (Identity, error) {
	rows, done, err := d.query(ctx, d.db, `SELECT u.email, u.first_name, u.last_name, g.name
		FROM users u LEFT JOIN user_groups g ON g.user_id = u.id
		WHERE u.id = ? ORDER BY g.name`, userID)
	if err != nil {
		return Identity{}, fmt.Errorf("store: identity: %w", err)
	}
	defer done()
	defer rows.Close()
	var id Identity
	found := false
	for rows.Next() {
		var g sql.NullString
		if err := rows.Scan(&id.Email, &id.FirstName, &id.LastName, &g); err != nil {
			return Identity{}, fmt.Errorf("store: identity: %w", noteFault(ctx, err))
		}
		found = true
		if g.Valid {
			id.Groups = append(id.Groups, g.String)
		}
	}
	if err := rows.Err(); err != nil {
		return Identity{}, fmt.Errorf("store: identity: %w", noteFault(ctx, err))
	}
	if !found {
		return Identity{}, fmt.Errorf("store: identity: %w", ErrNotFound)
	}
	return id, nil
}

// Groups returns the account's groups, sorted; none is an empty list.
func (d *DB) Groups(ctx context.Context, userID string) ([]string, error) {
	rows, done, err := d.query(ctx, d.db, `SELECT name FROM user_groups WHERE user_id = ? ORDER BY name`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: groups: %w", err)
	}
	defer done()
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, fmt.Errorf("store: groups: %w", noteFault(ctx, err))
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: groups: %w", noteFault(ctx, err))
	}
	return out, nil
}

// GroupChange is one change of an account's groups: with Replace the
// groups become exactly Add; otherwise Add are added and Remove removed.
type GroupChange struct {
	Replace bool
	Add     []string
	Remove  []string
}

// ChangeGroups applies c in one transaction; ErrNotFound when the account
// does not exist. Adding a group the account has, or removing one it lacks,
// changes nothing.
func (d *DB) ChangeGroups(ctx context.Context, userID string, c GroupChange) error {
	return d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Lock the user's row, as ReplaceBackupCodes does, so concurrent
		// changes are serialised and the account is known to exist.
		res, err := d.exec(ctx, tx, `UPDATE users SET updated_at = updated_at WHERE id = ?`, userID)
		if err != nil {
			return fmt.Errorf("store: change groups: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: change groups: %w", ErrNotFound)
		}
		if c.Replace {
			if _, err := d.exec(ctx, tx, `DELETE FROM user_groups WHERE user_id = ?`, userID); err != nil {
				return fmt.Errorf("store: change groups: %w", err)
			}
		}
		for _, g := range c.Remove {
			if _, err := d.exec(ctx, tx, `DELETE FROM user_groups WHERE user_id = ? AND name = ?`, userID, g); err != nil {
				return fmt.Errorf("store: change groups: %w", err)
			}
		}
		for _, g := range c.Add {
			if _, err := d.exec(ctx, tx, `INSERT INTO user_groups (user_id, name) VALUES (?, ?)
				ON CONFLICT (user_id, name) DO NOTHING`, userID, g); err != nil {
				return fmt.Errorf("store: change groups: %w", err)
			}
		}
		return nil
	})
}
