package mail

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPOptions configures NewSMTPSender. Zero values mean the documented
// defaults.
type SMTPOptions struct {
	Server SMTPConfig // from ParseSMTPURL(GATEHOUSE_SMTP_URL)
	From   string     // GATEHOUSE_MAIL_FROM: "noreply@example.com" or "Gatehouse <noreply@example.com>"
	// Timeout bounds one connection: dial, TLS, authentication and
	// delivery. Default 30s.
	Timeout time.Duration
	// TLSConfig verifies the server; nil means the system roots with the
	// server name from Server.Host. Tests set RootCAs.
	TLSConfig *tls.Config
}

// DefaultSMTPTimeout is the default SMTPOptions.Timeout.
const DefaultSMTPTimeout = 30 * time.Second

// NewSMTPSender returns a Sender that delivers each message over its own
// SMTP connection, protected as o.Server.TLS says. The context of Send
// bounds the dial; Timeout bounds the whole conversation.
func NewSMTPSender(o SMTPOptions) (Sender, error) {
	if _, err := netmail.ParseAddress(o.From); err != nil {
		return nil, fmt.Errorf("mail: From %q is not an address: %w", o.From, err)
	}
	if o.Server.Host == "" || o.Server.Port == 0 {
		return nil, fmt.Errorf("%w: missing host", ErrInvalidURL)
	}
	opts := []gomail.Option{
		gomail.WithPort(o.Server.Port),
		gomail.WithTimeout(cmp.Or(o.Timeout, DefaultSMTPTimeout)),
	}
	switch o.Server.TLS {
	case StartTLSRequired:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case StartTLSOptional:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case StartTLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("%w: unknown TLS mode %v", ErrInvalidURL, o.Server.TLS)
	}
	if o.TLSConfig != nil {
		tc := o.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = o.Server.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	if o.Server.Username != "" {
		// PLAIN and LOGIN, not their NoEnc variants: go-mail then refuses to
		// send the password over a connection without TLS, except to a
		// loopback host.
		mech := gomail.SMTPAuthPlain
		if o.Server.Auth == AuthLogin {
			mech = gomail.SMTPAuthLogin
		}
		opts = append(opts, gomail.WithSMTPAuth(mech),
			gomail.WithUsername(o.Server.Username), gomail.WithPassword(o.Server.Password))
	}
	c, err := gomail.NewClient(o.Server.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp client: %w", err)
	}
	return &smtpSender{client: c, from: o.From}, nil
}

type smtpSender struct {
	client *gomail.Client // safe for concurrent use: each send dials its own connection
	from   string
}

func (s *smtpSender) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("%w: from: %w", ErrInvalidMessage, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("%w: recipient: %s", ErrInvalidMessage, redact(err.Error(), m.To))
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	msg.SetDate()
	msg.SetMessageID()
	err := s.client.DialAndSendWithContext(ctx, msg)
	if err == nil {
		return nil
	}
	// go-mail and servers quote recipients in their errors; the text is
	// kept for the log, with the address masked, and the cause is
	// reduced to whether a retry can help.
	text := redact(err.Error(), m.To)
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return fmt.Errorf("%w: %w: smtp: %s", ErrSend, ErrRejected, text)
	}
	return fmt.Errorf("%w: smtp: %s", ErrSend, text)
}
