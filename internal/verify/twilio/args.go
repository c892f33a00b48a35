package twilio

import (
	"errors"
	"net/url"
	"strings"
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
