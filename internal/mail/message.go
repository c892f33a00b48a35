package mail

import (
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"
	"unicode"
)

// Message is one plain-text mail to one recipient.
type Message struct {
	To      string // a bare address, no display name
	Subject string // one line
	Body    string // plain text, UTF-8
	// Kind names what the message is (a NoticeKind for notices). It is
	// the only part of a message that logs show, with the queue ID.
	Kind string
}

// validate reports a message that no transport could send as it is.
func (m Message) validate() error {
	a, err := netmail.ParseAddress(m.To)
	if err != nil || a.Address != m.To || a.Name != "" {
		return fmt.Errorf("%w: recipient must be a bare address", ErrInvalidMessage)
	}
	if strings.TrimSpace(m.Subject) == "" || strings.IndexFunc(m.Subject, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: subject must be one non-empty line", ErrInvalidMessage)
	}
	if strings.TrimSpace(m.Body) == "" {
		return fmt.Errorf("%w: empty body", ErrInvalidMessage)
	}
	return nil
}

var linkPattern = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+`)

// Links returns every http and https URL in body, in order, without the
// punctuation that ends a sentence after it.
func Links(body string) []string {
	links := []string{}
	for _, l := range linkPattern.FindAllString(body, -1) {
		links = append(links, strings.TrimRight(l, ".,;:!?)'"))
	}
	return links
}

// redact replaces every spelling of addr in s with "<recipient>", so an
// error text that echoes the recipient (SMTP servers and go-mail both do)
// can be logged.
func redact(s, addr string) string {
	if addr == "" {
		return s
	}
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(addr))
	return re.ReplaceAllLiteralString(s, "<recipient>")
}
