package mail

import "errors"

// Errors returned by this package, wrapped with detail; test them with
// errors.Is.
var (
	// ErrInvalidURL: the SMTP URL cannot be used. The detail never holds
	// the password.
	ErrInvalidURL = errors.New("mail: invalid SMTP URL")
	// ErrInvalidMessage: a message or notice is incomplete or has a header
	// that would not survive (a bad address, a line break in the subject).
	ErrInvalidMessage = errors.New("mail: invalid message")
	// ErrSend: the transport did not take the message. Worth retrying
	// unless it also wraps ErrRejected.
	ErrSend = errors.New("mail: send failed")
	// ErrRejected: the server refused the message for good (an SMTP 5xx
	// answer); a Queue drops it without retrying.
	ErrRejected = errors.New("mail: rejected")
	// ErrQueueFull: Queue.Send dropped the message because the queue
	// holds its maximum.
	ErrQueueFull = errors.New("mail: queue full")
	// ErrClosed: Queue.Send was called after Close.
	ErrClosed = errors.New("mail: queue closed")
	// ErrUndelivered: Close or Flush reached its deadline with messages
	// still queued.
	ErrUndelivered = errors.New("mail: messages undelivered")
)
