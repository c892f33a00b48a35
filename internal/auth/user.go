package auth

import (
	"time"

	"gatehouse/internal/store"
)

// Account is an account as the portal shows and uses it. It never carries
// the password hash, the failure counters or the verify provider's
// identity: those stay inside this package.
type Account struct {
	ID         string
	Email      string
	FirstName  string
	LastName   string
	Phone      string // E.164, empty when none
	MFAEnabled bool
	CreatedAt  time.Time
}

// accountOf returns the shown part of a stored account.
func accountOf(u store.User) Account {
	return Account{
		ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Phone: u.Phone, MFAEnabled: u.MFAEnabled, CreatedAt: u.CreatedAt,
	}
}
