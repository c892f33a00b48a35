package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"gatehouse/internal/phone"
)

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// checkEmail returns the normalised email or a field message.
func checkEmail(raw string) (string, string) {
	e := NormalizeEmail(raw)
	switch {
	case e == "":
		return "", "Enter your email address."
	case len(e) > 254:
		return "", "Email address is too long."
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", "Enter a valid email address, like name@example.com."
	}
	at := strings.LastIndexByte(e, '@')
	if at < 1 || !strings.Contains(e[at:], ".") {
		return "", "Enter a valid email address, like name@example.com."
	}
	return e, ""
}

// checkName returns the trimmed name or a field message.
func checkName(raw, label string) (string, string) {
	n := strings.TrimSpace(raw)
	switch {
	case n == "":
		return "", "Enter your " + label + "."
	case !utf8.ValidString(n):
		return "", "Your " + label + " contains invalid characters."
	case utf8.RuneCountInString(n) > 100:
		return "", "Your " + label + " must be at most 100 characters."
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return "", "Your " + label + " contains invalid characters."
		}
	}
	return n, ""
}

// checkPhone returns the E.164 number or a field message.
func (s *Service) checkPhone(raw string) (string, string) {
	if strings.TrimSpace(raw) == "" {
		return "", "Enter your phone number."
	}
	n, err := phone.Normalize(raw, s.region)
	if err != nil {
		return "", "Enter a valid phone number, like (201) 555-0123 or +44 20 7946 0018."
	}
	return n, ""
}

// MaskPhone shows a number with all but its last four digits hidden.
func (s *Service) MaskPhone(e164 string) string { return phone.Mask(e164, s.region) }
