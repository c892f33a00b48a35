// Package mail is the portal's email channel: security notices and link
// mails to account owners.
//
// A Sender is the transport. Production uses NewSMTPSender, configured by a
// URL (see ParseSMTPURL); embedded defaults use NewOutboxSender, a JSON Lines
// file, with NewConsoleSender beside it. A Queue wraps a Sender: Queue.Send
// only enqueues, so a slow or broken mail server never blocks or fails a
// request; a background worker delivers, retrying with capped exponential
// backoff, and Queue.Close drains what is left at shutdown. Notice.Message
// writes the security notices and link mails: what happened, when, from
// where, and what to do if it was not the owner.
//
// # SMTP URL
//
//	smtp://[user:password@]host[:port][?starttls=required|optional|none][&auth=plain|login]
//	smtps://[user:password@]host[:port][?auth=plain|login]
//
// smtp:// connects in clear and upgrades with STARTTLS; the default port is
// 587. STARTTLS is required unless the URL says otherwise: a server that does
// not offer it is an error, never a reason to send in clear. starttls=optional
// upgrades when the server offers STARTTLS and sends in clear when it does
// not; starttls=none never upgrades (a relay on the same host or a private
// network). smtps:// is implicit TLS from the first byte; the default port is
// 465. Certificates are always verified.
//
// With a user name and password the client authenticates with AUTH PLAIN, or
// AUTH LOGIN with auth=login. Credentials are sent only over TLS or to a
// loopback host (localhost, 127.0.0.1, ::1): with starttls=optional or none
// to a remote host, authentication fails rather than expose the password.
// Special characters in the user name or password are percent-encoded
// ("p@ss" is "p%40ss"). Errors and String never show the password.
//
// # Privacy
//
// Log lines name a message by its queue ID and Kind only: never its
// recipient, subject or body; a server's error text is logged with the
// recipient's address replaced by "<recipient>". The outbox file holds whole messages, links included, so it is
// created with mode 0600.
package mail
