package config

import (
	"fmt"
	netmail "net/mail"
	"path/filepath"

	"gatehouse/internal/mail"
)

// Mail holds the settings of the email channel. With SMTP set, mail goes to
// that server; otherwise it goes to the outbox file and, when Console is
// set, to stderr.
type Mail struct {
	SMTP    *mail.SMTPConfig // GATEHOUSE_SMTP_URL; nil: no SMTP server. Prints without the password.
	From    string           // GATEHOUSE_MAIL_FROM
	Outbox  string           // GATEHOUSE_MAIL_OUTBOX; "off" disables
	Console bool             // GATEHOUSE_MAIL_CONSOLE

	smtpSet bool // GATEHOUSE_SMTP_URL was given, parsed or not
}

// loadMail reads Mail.
func loadMail(p *parser, dataDir string) Mail {
	m := Mail{From: p.r.get("GATEHOUSE_MAIL_FROM"), Outbox: p.r.get("GATEHOUSE_MAIL_OUTBOX"),
		Console: p.bool("GATEHOUSE_MAIL_CONSOLE")}
	if m.Outbox == "" {
		m.Outbox = filepath.Join(dataDir, "mail-outbox.jsonl")
	}
	if raw := p.r.get("GATEHOUSE_SMTP_URL"); raw != "" {
		c, err := mail.ParseSMTPURL(raw)
		if err != nil {
			// The error names what is wrong, never the password.
			p.bad("GATEHOUSE_SMTP_URL", "%w", err)
		} else {
			m.SMTP = &c
		}
		m.smtpSet = true
	}
	return m
}

// validate checks what SMTP needs besides its URL.
func (m Mail) validate() []error {
	if m.SMTP == nil && !m.smtpSet {
		return nil
	}
	if m.From == "" {
		return []error{fmt.Errorf("GATEHOUSE_MAIL_FROM: is required with GATEHOUSE_SMTP_URL")}
	}
	if _, err := netmail.ParseAddress(m.From); err != nil {
		return []error{fmt.Errorf("GATEHOUSE_MAIL_FROM: must be an address such as noreply@example.com or \"Gatehouse <noreply@example.com>\"")}
	}
	return nil
}
