package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gatehouse/internal/store"
)

// groupStore is the persistence of groups and of the identity the
// authorisation endpoints report; part of Store.
type groupStore interface {
	Identity(ctx context.Context, userID string) (store.Identity, error)
	Groups(ctx context.Context, userID string) ([]string, error)
	ChangeGroups(ctx context.Context, userID string, c store.GroupChange) error
}

// maxGroupName bounds the length of a group name.
const maxGroupName = 64

// Identity is who a signed-in person is, as an application behind the
// proxy is told.
type Identity struct {
	Email  string
	Name   string // first and last name
	Groups []string
}

// Identity returns the identity of the account with id in one read of the
// store; ErrNoAccount when the account is gone.
func (s *Service) Identity(ctx context.Context, userID string) (Identity, error) {
	id, err := s.st.Identity(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return Identity{}, fmt.Errorf("auth: identity %s: %w", userID, ErrNoAccount)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("auth: identity: %w", err)
	}
	name := strings.TrimSpace(id.FirstName + " " + id.LastName)
	return Identity{Email: id.Email, Name: name, Groups: id.Groups}, nil
}

// ParseGroups reads a comma-separated list of group names, dropping blanks
// and repeats. A name is 1 to 64 letters, digits, '-', '_', '.' or ':'; a
// comma cannot be part of one, since Remote-Groups separates names with it.
func ParseGroups(list string) ([]string, error) {
	var out, bad []string
	for _, g := range strings.Split(list, ",") {
		g = strings.TrimSpace(g)
		switch {
		case g == "":
		case !validGroup(g):
			bad = append(bad, fmt.Sprintf("%q", g))
		case !slices.Contains(out, g):
			out = append(out, g)
		}
	}
	if len(bad) > 0 {
		return nil, invalid("groups", fmt.Sprintf("Group names are letters, digits, '-', '_', '.' or ':', up to %d characters: %s is not.",
			maxGroupName, strings.Join(bad, ", ")))
	}
	return out, nil
}

func validGroup(g string) bool {
	if len(g) > maxGroupName {
		return false
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:", c) >= 0) {
			return false
		}
	}
	return g != ""
}

// GroupsOf returns the groups of the account with that email address;
// ErrNoAccount when there is none.
func (s *Service) GroupsOf(ctx context.Context, email string) ([]string, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	g, err := s.st.Groups(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("auth: groups: %w", err)
	}
	return g, nil
}

// ChangeGroups changes the groups of the account with that email address
// in one transaction and returns the groups it then has. Names are checked
// as ParseGroups does.
func (s *Service) ChangeGroups(ctx context.Context, email string, c store.GroupChange) ([]string, error) {
	for _, g := range slices.Concat(c.Add, c.Remove) {
		if !validGroup(g) {
			return nil, invalid("groups", fmt.Sprintf("%q is not a group name.", g))
		}
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	err = s.st.ChangeGroups(ctx, u.ID, c)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("auth: change groups of %s: %w", email, ErrNoAccount)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: change groups: %w", err)
	}
	return s.GroupsOf(ctx, email)
}

// userByEmail finds an account by its address, as typed; ErrNoAccount when
// there is none.
func (s *Service) userByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := s.st.UserByEmail(ctx, NormalizeEmail(email))
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("auth: user %s: %w", email, ErrNoAccount)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("auth: user by email: %w", err)
	}
	return u, nil
}
