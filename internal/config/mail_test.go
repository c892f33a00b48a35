package config

import (
	"strings"
	"testing"

	"gatehouse/internal/mail"
)

func TestMailDefaults(t *testing.T) {
	c, err := Load(envOf(map[string]string{"GATEHOUSE_DATA_DIR": "/srv/gh"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.SMTP != nil || c.Mail.Outbox != "/srv/gh/mail-outbox.jsonl" || !c.Mail.Console {
		t.Fatalf("mail defaults: %+v", c.Mail)
	}
	c, err = Load(envOf(map[string]string{"GATEHOUSE_MAIL_OUTBOX": "off", "GATEHOUSE_MAIL_CONSOLE": "false"}), nil)
	if err != nil || c.Mail.Outbox != "off" || c.Mail.Console {
		t.Fatalf("mail off: %+v, %v", c.Mail, err)
	}
}

func TestMailSMTP(t *testing.T) {
	c, err := Load(envOf(map[string]string{
		"GATEHOUSE_SMTP_URL":  "smtps://user:hunter2@mail.example.com",
		"GATEHOUSE_MAIL_FROM": "Gatehouse <noreply@example.com>",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.SMTP == nil || c.Mail.SMTP.Host != "mail.example.com" || c.Mail.SMTP.TLS != mail.ImplicitTLS {
		t.Fatalf("smtp: %+v", c.Mail.SMTP)
	}
	_, err = Load(envOf(map[string]string{
		"GATEHOUSE_SMTP_URL":     "smtp://user:hunter2@mail.example.com:25x",
		"GATEHOUSE_MAIL_CONSOLE": "maybe",
	}), nil)
	if err == nil {
		t.Fatal("bad mail settings accepted")
	}
	for _, name := range []string{"GATEHOUSE_SMTP_URL", "GATEHOUSE_MAIL_FROM", "GATEHOUSE_MAIL_CONSOLE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Error("the error shows the SMTP password")
	}
	_, err = Load(envOf(map[string]string{"GATEHOUSE_SMTP_URL": "smtp://mail.example.com", "GATEHOUSE_MAIL_FROM": "not an address"}), nil)
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_MAIL_FROM") {
		t.Fatalf("bad From: %v", err)
	}
}
