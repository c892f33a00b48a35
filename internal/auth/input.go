package auth

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

	"gatehouse/internal/phone"
)

// ErrForbiddenText is wrapped by CheckText for text that is not valid UTF-8
// or holds a character no form field may contain.
var ErrForbiddenText = errors.New("text contains a forbidden character")

// CheckText refuses what must not appear in any text field: invalid UTF-8,
// NUL and the other C0 and C1 control characters, line and paragraph
// separators, bidirectional overrides, isolates and marks (which can make
// "moc.evil@ada" display as "ada@live.com"), and zero-width or otherwise
// invisible characters (which make two different strings look alike).
func CheckText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: invalid UTF-8", ErrForbiddenText)
	}
	for i, r := range s {
		if forbidden(r) {
			return fmt.Errorf("%w: %U at byte %d", ErrForbiddenText, r, i)
		}
	}
	return nil
}

func forbidden(r rune) bool {
	switch {
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069',
		r == '\u200E', r == '\u200F', r == '\u061C':
		return true // bidirectional embeddings, overrides, isolates, marks
	case r >= '\u200B' && r <= '\u200D', r >= '\u2060' && r <= '\u2064',
		r == '\uFEFF', r == '\u180E', r == '\u00AD':
		return true // zero-width and invisible characters
	}
	return false
}

// emailDomain checks a domain already converted by idna.Lookup: the same
// rules, plus the DNS lengths (no empty label, no trailing dot, labels of
// at most 63 and names of at most 253 octets).
var emailDomain = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false), idna.VerifyDNSLength(true))

// NormalizeEmail returns the one spelling of an email address used for
// every lookup, limit and uniqueness check: trimmed, in Unicode NFC, the
// local part lower-cased and the domain in IDNA ASCII form, so that
// "Ada@BÜCHER.example" and "ada@xn--bcher-kva.example" are one address. A
// domain that IDNA refuses is kept lower-cased in NFC; checkEmail refuses
// it. NormalizeEmail never fails and NormalizeEmail(NormalizeEmail(x)) ==
// NormalizeEmail(x).
func NormalizeEmail(email string) string {
	e := fold(email)
	at := strings.LastIndexByte(e, '@')
	if at < 0 {
		return e
	}
	local, domain := e[:at], e[at+1:]
	if ascii, err := idna.Lookup.ToASCII(domain); err == nil {
		domain = ascii
	}
	return local + "@" + domain
}

// fold lower-cases s and puts it in NFC; lower-casing can undo NFC, so NFC
// comes last, and trimming after both catches spaces either one produced.
func fold(s string) string {
	return strings.TrimSpace(norm.NFC.String(strings.ToLower(norm.NFC.String(s))))
}

// checkEmail returns the normalised email or a field message.
func checkEmail(raw string) (string, string) {
	const malformed = "Enter a valid email address, like name@example.com."
	if CheckText(raw) != nil {
		return "", "Your email address contains invisible, control or text-direction characters. Type it again."
	}
	e := NormalizeEmail(raw)
	switch {
	case e == "":
		return "", "Enter your email address."
	case len(e) > 254:
		return "", "Email address is too long."
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", malformed
	}
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at > 64 || !strings.Contains(e[at:], ".") {
		return "", malformed
	}
	if d, err := emailDomain.ToASCII(e[at+1:]); err != nil || d != e[at+1:] {
		return "", "The part after @ is not a valid domain name."
	}
	return e, ""
}

// checkName returns the trimmed name or a field message.
func checkName(raw, label string) (string, string) {
	n := strings.TrimSpace(raw)
	switch {
	case n == "":
		return "", "Enter your " + label + "."
	case CheckText(n) != nil:
		return "", "Your " + label + " contains invalid characters."
	case utf8.RuneCountInString(n) > 100:
		return "", "Your " + label + " must be at most 100 characters."
	}
	return n, ""
}

// checkPhone returns the E.164 number or a field message.
func (s *Service) checkPhone(raw string) (string, string) {
	if strings.TrimSpace(raw) == "" {
		return "", "Enter your phone number."
	}
	if CheckText(raw) != nil {
		return "", "Your phone number contains invisible, control or text-direction characters. Type it again."
	}
	n, err := phone.Normalize(raw, s.region)
	if err != nil {
		return "", "Enter a valid phone number, like (201) 555-0123 or +44 7400 123456."
	}
	return n, ""
}

// MaskPhone shows a number with all but its last four digits hidden.
func (s *Service) MaskPhone(e164 string) string { return phone.Mask(e164, s.region) }
