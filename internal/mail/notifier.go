package mail

import (
	"context"
	"errors"
	"fmt"
)

// NotifierOptions configures NewNotifier.
type NotifierOptions struct {
	// Sender delivers the messages; in the portal a *Queue, so that a
	// notice never waits for the mail server.
	Sender Sender
	// Address returns the email address of the account with that ID.
	Address func(ctx context.Context, userID string) (string, error)
	Issuer  string // the portal's name, default verify.DefaultIssuer
	Portal  string // optional: the portal's public http(s) URL, offered where to act
}

// Notifier mails security notices to account owners by account ID: it fills
// in the owner's address, the portal's name and address, writes the message
// and hands it to the Sender. It is safe for concurrent use.
type Notifier struct {
	o NotifierOptions
}

// NewNotifier returns a Notifier.
func NewNotifier(o NotifierOptions) (*Notifier, error) {
	if o.Sender == nil || o.Address == nil {
		return nil, errors.New("mail: notifier: Sender and Address are required")
	}
	if o.Portal != "" && !isURL(o.Portal) {
		return nil, fmt.Errorf("%w: Portal must be an http(s) URL", ErrInvalidMessage)
	}
	return &Notifier{o: o}, nil
}

// Notify mails n to the owner of the account userID. Errors wrap the
// lookup's error, ErrInvalidMessage, or the Sender's (ErrQueueFull,
// ErrClosed for a Queue); none holds the address or the message.
func (nt *Notifier) Notify(ctx context.Context, userID string, n Notice) error {
	to, err := nt.o.Address(ctx, userID)
	if err != nil {
		return fmt.Errorf("mail: notify %s: address: %w", n.Kind, err)
	}
	n.To, n.Issuer, n.Portal = to, nt.o.Issuer, nt.o.Portal
	m, err := n.Message()
	if err != nil {
		return fmt.Errorf("mail: notify: %w", err)
	}
	if err := nt.o.Sender.Send(ctx, m); err != nil {
		return fmt.Errorf("mail: notify %s: %w", n.Kind, err)
	}
	return nil
}
