package mail_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gatehouse/internal/mail"
)

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		raw  string
		want mail.SMTPConfig
	}{
		{"smtp://mail.example.com", mail.SMTPConfig{Host: "mail.example.com", Port: 587, TLS: mail.StartTLSRequired, Auth: mail.AuthPlain}},
		{"SMTP://mail.example.com:25/", mail.SMTPConfig{Host: "mail.example.com", Port: 25, Auth: mail.AuthPlain}},
		{"smtps://mail.example.com", mail.SMTPConfig{Host: "mail.example.com", Port: 465, TLS: mail.ImplicitTLS, Auth: mail.AuthPlain}},
		{"smtps://u:p@mail.example.com:2465?auth=LOGIN", mail.SMTPConfig{Host: "mail.example.com", Port: 2465, Username: "u", Password: "p", TLS: mail.ImplicitTLS, Auth: mail.AuthLogin}},
		{"smtp://user:pass@host:587", mail.SMTPConfig{Host: "host", Port: 587, Username: "user", Password: "pass", Auth: mail.AuthPlain}},
		{"smtp://me%40example.com:p%40ss%3Aw%2Frd%25%20%23%3F@host", mail.SMTPConfig{Host: "host", Port: 587, Username: "me@example.com", Password: "p@ss:w/rd% #?", Auth: mail.AuthPlain}},
		{"smtp://u:a!$&'()*+,;=b@host", mail.SMTPConfig{Host: "host", Port: 587, Username: "u", Password: "a!$&'()*+,;=b", Auth: mail.AuthPlain}},
		{"smtp://host?starttls=optional", mail.SMTPConfig{Host: "host", Port: 587, TLS: mail.StartTLSOptional, Auth: mail.AuthPlain}},
		{"smtp://127.0.0.1:25?starttls=none", mail.SMTPConfig{Host: "127.0.0.1", Port: 25, TLS: mail.StartTLSNone, Auth: mail.AuthPlain}},
		{"smtp://[::1]:2525?starttls=required", mail.SMTPConfig{Host: "::1", Port: 2525, Auth: mail.AuthPlain}},
	}
	for _, tt := range tests {
		got, err := mail.ParseSMTPURL(tt.raw)
		if err != nil {
			t.Errorf("ParseSMTPURL(%q): %v", tt.raw, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSMTPURL(%q) = %#v, want %#v", tt.raw, got, tt.want)
		}
	}
}

func TestParseSMTPURLErrors(t *testing.T) {
	const secret = "s3cr%zzet"
	tests := []struct{ raw, want string }{
		{"", "empty"},
		{"http://host", `scheme "http"`},
		{"smtp+tls://host", `scheme "smtp+tls"`},
		{"mail.example.com:587", `scheme "mail.example.com"`},
		{"//host:25", "missing scheme"},
		{"smtp://", "missing host"},
		{"smtp://:25", "missing host"},
		{"smtp:host:25", "missing host"},
		{"smtp://u:pw@", "missing host"},
		{"smtp://host:0", "port"},
		{"smtp://host:65536", "port"},
		{"smtp://host:abc", "not a URL"},
		{"smtp://u@host", "both a user name and a password"},
		{"smtp://:pw@host", "both a user name and a password"},
		{"smtp://host/path", "path"},
		{"smtp://host#frag", "fragment"},
		{"smtp://host?starttls=maybe", "starttls"},
		{"smtp://host?starttls=none&starttls=required", "2 times"},
		{"smtps://host?starttls=none", "does not apply"},
		{"smtp://host?auth=cram-md5", "auth"},
		{"smtp://host?tls=off", "unknown parameter"},
		{"smtp://u:" + secret + "@host", "percent-encode"},
		{"smtp://u:p@ss" + secret + "@host:25x", "not a URL"},
		{"smtp://u:" + secret + " @host", "not a URL"},
	}
	for _, tt := range tests {
		_, err := mail.ParseSMTPURL(tt.raw)
		if !errors.Is(err, mail.ErrInvalidURL) {
			t.Errorf("ParseSMTPURL(%q) = %v, want ErrInvalidURL", tt.raw, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSMTPURL(%q) = %q, want it to mention %q", tt.raw, err, tt.want)
		}
		for _, leak := range []string{secret, "s3cr", "%zz", "pw"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("ParseSMTPURL(%q) error %q shows the password", tt.raw, err)
			}
		}
	}
}

func TestSMTPConfigHidesPassword(t *testing.T) {
	c, err := mail.ParseSMTPURL("smtp://user:hunter2@host:2525?starttls=optional&auth=login")
	if err != nil {
		t.Fatal(err)
	}
	want := "smtp://user:***@host:2525?auth=login&starttls=optional"
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.LogValue().String()} {
		if strings.Contains(s, "hunter2") || !strings.Contains(s, want) {
			t.Errorf("printed as %q, want %q", s, want)
		}
	}
	back, err := mail.ParseSMTPURL(want)
	if err != nil || back.Host != c.Host || back.Port != c.Port || back.TLS != c.TLS || back.Auth != c.Auth {
		t.Errorf("String does not parse back: %v, %v", back, err)
	}
	if s := (mail.SMTPConfig{Host: "h", Port: 465, TLS: mail.ImplicitTLS}).String(); s != "smtps://h:465" {
		t.Errorf("smtps String = %q", s)
	}
}
