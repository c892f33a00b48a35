package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/mail"
)

// smtpSender parses rawURL (with PORT replaced by the fake's port) and
// returns a sender from noreply@example.com trusting client.
func smtpSender(t *testing.T, s *fakeSMTP, rawURL string, client *tls.Config) mail.Sender {
	t.Helper()
	cfg, err := mail.ParseSMTPURL(strings.ReplaceAll(rawURL, "PORT", s.port()))
	if err != nil {
		t.Fatal(err)
	}
	snd, err := mail.NewSMTPSender(mail.SMTPOptions{
		Server: cfg, From: "Gatehouse <noreply@example.com>", Timeout: 5 * time.Second, TLSConfig: client,
	})
	if err != nil {
		t.Fatal(err)
	}
	return snd
}

// checkDelivered asserts that s received exactly msg, over TLS or not.
func checkDelivered(t *testing.T, s *fakeSMTP, wantTLS bool, wantAuth string) {
	t.Helper()
	_, mails, _ := s.snapshot()
	if len(mails) != 1 {
		t.Fatalf("server got %d mails, want 1", len(mails))
	}
	got := mails[0]
	if got.tls != wantTLS || got.auth != wantAuth {
		t.Errorf("delivered with tls=%v auth=%q, want tls=%v auth=%q", got.tls, got.auth, wantTLS, wantAuth)
	}
	if !strings.HasPrefix(got.from, "FROM:<noreply@example.com>") || !strings.HasPrefix(got.to, "TO:<"+msg.To+">") {
		t.Errorf("envelope = %q → %q", got.from, got.to)
	}
	m, err := netmail.ReadMessage(strings.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	if h.Get("From") != `"Gatehouse" <noreply@example.com>` && h.Get("From") != "Gatehouse <noreply@example.com>" {
		t.Errorf("From = %q", h.Get("From"))
	}
	if h.Get("To") != "<"+msg.To+">" && h.Get("To") != msg.To {
		t.Errorf("To = %q", h.Get("To"))
	}
	if h.Get("Subject") != msg.Subject || h.Get("Date") == "" || h.Get("Message-Id") == "" {
		t.Errorf("headers = %v", h)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(ct, "UTF-8") {
		t.Errorf("Content-Type = %q", ct)
	}
	var body io.Reader = m.Body
	if h.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	// DATA ends with a line break that the body did not have.
	if got := strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"); got != msg.Body {
		t.Errorf("body = %q, want %q", got, msg.Body)
	}
}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	server, client := testTLS(t)
	s := (&fakeSMTP{tls: server, startTLS: true, user: "me@example.com", pass: "p@ss:w/rd"}).start(t)
	snd := smtpSender(t, s, "smtp://me%40example.com:p%40ss%3Aw%2Frd@127.0.0.1:PORT", client)
	if err := snd.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, s, true, "me@example.com:p@ss:w/rd")
}

func TestSMTPImplicitTLSWithLogin(t *testing.T) {
	server, client := testTLS(t)
	s := (&fakeSMTP{tls: server, implicit: true, user: "u", pass: "pw"}).start(t)
	snd := smtpSender(t, s, "smtps://u:pw@127.0.0.1:PORT?auth=login", client)
	if err := snd.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, s, true, "u:pw")
}

func TestSMTPRefusesUntrustedCertificate(t *testing.T) {
	server, _ := testTLS(t)
	s := (&fakeSMTP{tls: server, startTLS: true}).start(t)
	err := smtpSender(t, s, "smtp://127.0.0.1:PORT", nil).Send(context.Background(), msg)
	if !errors.Is(err, mail.ErrSend) || errors.Is(err, mail.ErrRejected) {
		t.Fatalf("Send = %v, want a retryable ErrSend", err)
	}
	if _, mails, _ := s.snapshot(); len(mails) != 0 {
		t.Fatal("a mail went to a server whose certificate is not trusted")
	}
}

func TestSMTPStartTLSRequiredButNotOffered(t *testing.T) {
	s := (&fakeSMTP{user: "u", pass: "pw"}).start(t)
	snd := smtpSender(t, s, "smtp://u:pw@127.0.0.1:PORT", nil)
	err := snd.Send(context.Background(), msg)
	if !errors.Is(err, mail.ErrSend) || errors.Is(err, mail.ErrRejected) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send = %v, want a retryable ErrSend naming STARTTLS", err)
	}

	q, _, _ := newQueue(t, snd, func(o *mail.QueueOptions) { o.MaxAttempts = 3 })
	if err := q.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	flush(t, q)
	if st := q.Stats(); st.Retried != 2 || st.Dropped != 1 || st.Sent != 0 {
		t.Fatalf("stats = %+v, want 3 attempts and a drop", st)
	}
	conns, mails, cmds := s.snapshot()
	if conns != 4 || len(mails) != 0 {
		t.Fatalf("%d connections, %d mails; want 4 connections and no mail", conns, len(mails))
	}
	for _, c := range cmds {
		if c == "AUTH" || c == "MAIL" || c == "DATA" {
			t.Fatalf("client sent %s without TLS: %v", c, cmds)
		}
	}
}

func TestSMTPWithoutTLSWhenAllowed(t *testing.T) {
	for _, mode := range []string{"none", "optional"} {
		t.Run(mode, func(t *testing.T) {
			s := (&fakeSMTP{user: "u", pass: "pw"}).start(t)
			snd := smtpSender(t, s, "smtp://u:pw@127.0.0.1:PORT?starttls="+mode, nil)
			if err := snd.Send(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			checkDelivered(t, s, false, "u:pw")
		})
	}
}

func TestSMTPOptionalUpgradesWhenOffered(t *testing.T) {
	server, client := testTLS(t)
	s := (&fakeSMTP{tls: server, startTLS: true}).start(t)
	if err := smtpSender(t, s, "smtp://127.0.0.1:PORT?starttls=optional", client).Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, s, true, "")
}

func TestSMTPRejectedRecipient(t *testing.T) {
	s := (&fakeSMTP{rejectTo: msg.To}).start(t)
	err := smtpSender(t, s, "smtp://127.0.0.1:PORT?starttls=none", nil).Send(context.Background(), msg)
	if !errors.Is(err, mail.ErrRejected) || !errors.Is(err, mail.ErrSend) {
		t.Fatalf("Send = %v, want ErrRejected", err)
	}
	if strings.Contains(err.Error(), msg.To) || !strings.Contains(err.Error(), "<recipient>") {
		t.Fatalf("error %q shows the recipient", err)
	}
}

func TestNewSMTPSenderRefusesBadFrom(t *testing.T) {
	cfg, _ := mail.ParseSMTPURL("smtp://host")
	for _, from := range []string{"", "not an address", "a@b\r\nBcc: c@d"} {
		if _, err := mail.NewSMTPSender(mail.SMTPOptions{Server: cfg, From: from}); err == nil {
			t.Errorf("From %q accepted", from)
		}
	}
}
