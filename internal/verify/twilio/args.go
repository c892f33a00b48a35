package twilio

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"gatehouse/internal/verify"
)

// parseBaseURL accepts an absolute http or https URL without query or
// fragment; a trailing slash is dropped.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("must be an absolute http(s) URL with no user, query or fragment")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// checkTOTPArgs validates the arguments of a TOTP check before any call.
func checkTOTPArgs(op, identity, factorSID, code string) error {
	switch {
	case !identityRe.MatchString(identity):
		return invalid(op, "identity must be 1 to 64 letters, digits, '-' or '_'")
	case !factorSIDRe.MatchString(factorSID):
		return invalid(op, "factor sid must be YF followed by 32 hex digits")
	case !totpCodeRe.MatchString(code):
		return invalid(op, "code is not 6 digits")
	}
	return nil
}

// invalid reports an argument refused before any call to Twilio.
func invalid(op, why string) error {
	return fmt.Errorf("twilio: %s: %s: %w", op, why, verify.ErrInvalidParameter)
}

// malformed reports a 2xx answer the adapter cannot use.
func (c *Client) malformed(op, why string) error {
	c.log.Error("twilio answer malformed", slog.String("op", op), slog.String("problem", why))
	return fmt.Errorf("twilio: %s: malformed answer: %s: %w", op, why, verify.ErrUnavailable)
}

// binding extracts binding.secret and binding.uri from a new factor.
func binding(b *any) (secret, uri string) {
	if b == nil {
		return "", ""
	}
	m, ok := (*b).(map[string]any)
	if !ok {
		return "", ""
	}
	secret, _ = m["secret"].(string)
	uri, _ = m["uri"].(string)
	return secret, uri
}

// maskPhone keeps the last two digits of a number, for logs.
func maskPhone(p string) string {
	if len(p) <= 3 {
		return strings.Repeat("*", len(p))
	}
	return p[:1] + strings.Repeat("*", len(p)-3) + p[len(p)-2:]
}
