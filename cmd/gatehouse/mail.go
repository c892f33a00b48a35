package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"gatehouse/internal/mail"
)

// mailer wires the email channel: SMTP when configured, otherwise the
// outbox file and the console; a queue in front, so that no request waits
// for or fails on a mail; and the notifier the domain mails owners with.
func (a *app) mailer(stderr io.Writer) (*mail.Notifier, error) {
	m := a.cfg.Mail
	var snd mail.Sender
	if m.SMTP != nil {
		s, err := mail.NewSMTPSender(mail.SMTPOptions{Server: *m.SMTP, From: m.From})
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		snd = s
	} else {
		var senders []mail.Sender
		if m.Console {
			senders = append(senders, mail.NewConsoleSender(stderr))
		}
		if m.Outbox != "off" {
			ob, err := mail.NewOutboxSender(m.Outbox, nil)
			if err != nil {
				return nil, err
			}
			senders = append(senders, ob)
		}
		snd = mail.MultiSender(senders...)
	}
	q, err := mail.NewQueue(mail.QueueOptions{Sender: snd, Log: a.log})
	if err != nil {
		return nil, err
	}
	a.mail = q
	a.closers = append(a.closers, closerFunc(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return a.closeMail(ctx)
	}))
	return mail.NewNotifier(mail.NotifierOptions{
		Sender: q, Issuer: a.cfg.Issuer, Portal: a.cfg.BaseURL.String(),
		Address: func(ctx context.Context, userID string) (string, error) {
			u, err := a.db.UserByID(ctx, userID)
			return u.Email, err
		},
	})
}

// closeMail finishes the background steps that mail owners, then gives
// each queued mail its last attempt. Call it after the HTTP server stopped;
// calling it again is safe.
func (a *app) closeMail(ctx context.Context) error {
	if a.auth != nil {
		if err := a.auth.Wait(ctx); err != nil {
			a.log.Warn("background steps unfinished at shutdown", "err", err)
		}
	}
	if a.mail == nil {
		return nil
	}
	if err := a.mail.Close(ctx); err != nil {
		a.log.Warn("mail undelivered at shutdown", "err", err)
		return err
	}
	return nil
}

// closerFunc makes a function an io.Closer.
type closerFunc func() error

func (f closerFunc) Close() error { return f() }
