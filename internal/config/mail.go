package config

import (
	"fmt"
	netmail "net/mail"
	"path/filepath"
	"strconv"

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
}

// loadMail reads Mail; env returns a variable's value or the default.
func loadMail(env func(name, def string) string, dataDir string) (Mail, []error) {
	var errs []error
	m := Mail{From: env("GATEHOUSE_MAIL_FROM", ""), Outbox: env("GATEHOUSE_MAIL_OUTBOX", "")}
	if m.Outbox == "" {
		m.Outbox = filepath.Join(dataDir, "mail-outbox.jsonl")
	}
	var err error
	if m.Console, err = strconv.ParseBool(env("GATEHOUSE_MAIL_CONSOLE", "true")); err != nil {
		errs = append(errs, fmt.Errorf("GATEHOUSE_MAIL_CONSOLE: must be true or false"))
	}
	raw := env("GATEHOUSE_SMTP_URL", "")
	if raw == "" {
		return m, errs
	}
	c, err := mail.ParseSMTPURL(raw)
	if err != nil {
		// The error names what is wrong, never the password.
		errs = append(errs, fmt.Errorf("GATEHOUSE_SMTP_URL: %w", err))
	} else {
		m.SMTP = &c
	}
	if m.From == "" {
		errs = append(errs, fmt.Errorf("GATEHOUSE_MAIL_FROM: is required with GATEHOUSE_SMTP_URL"))
	} else if _, err := netmail.ParseAddress(m.From); err != nil {
		errs = append(errs, fmt.Errorf("GATEHOUSE_MAIL_FROM: must be an address such as noreply@example.com or \"Gatehouse <noreply@example.com>\""))
	}
	return m, errs
}
