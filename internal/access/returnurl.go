package access

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// maxReturnURL bounds the length of an rd value.
const maxReturnURL = 4096

// ReturnURL vets rd, the address a person asked to be sent back to after
// signing in. It returns the address, with scheme and host in lower case,
// and true only when rd is an absolute http or https URL (https only when
// httpsOnly) whose host is cookieDomain or a name under it. Anything odd is
// refused rather than repaired: userinfo, a backslash, whitespace, control
// or non-ASCII bytes, percent-encoding or brackets in the host (IPv6
// literals), a trailing dot, an empty or out-of-range port. With no cookie
// domain nothing is accepted. The caller sends a refused person to the
// dashboard.
func ReturnURL(rd, cookieDomain string, httpsOnly bool) (string, bool) {
	domain, err := ParseCookieDomain(cookieDomain)
	if err != nil || domain == "" || rd == "" || len(rd) > maxReturnURL {
		return "", false
	}
	for i := 0; i < len(rd); i++ {
		if c := rd[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "", false
		}
	}
	lower := strings.ToLower(rd)
	var scheme string
	switch {
	case strings.HasPrefix(lower, "https://"):
		scheme = "https"
	case strings.HasPrefix(lower, "http://") && !httpsOnly:
		scheme = "http"
	default:
		return "", false
	}
	authority := rd[len(scheme)+len("://"):]
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	if strings.ContainsAny(authority, "@%[]") {
		return "", false
	}
	u, err := url.Parse(rd)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if !validHostname(host) || (host != domain && !strings.HasSuffix(host, "."+domain)) {
		return "", false
	}
	if strings.Contains(authority, ":") {
		if !validPort(u.Port()) {
			return "", false
		}
		host += ":" + u.Port()
	}
	u.Scheme, u.Host = scheme, host
	return u.String(), true
}

// validPort accepts decimal digits naming a port from 1 to 65535.
func validPort(p string) bool {
	if p == "" || strings.Trim(p, "0123456789") != "" {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// ParseCookieDomain reads a GATEHOUSE_COOKIE_DOMAIN value. A blank value
// means none is set and returns "". A leading dot is dropped and the name is
// lowered; what remains must be a host name with at least one label above
// its public suffix ("example.com", not "com" or "co.uk"), and not an IP
// address. Errors wrap ErrBadCookieDomain.
func ParseCookieDomain(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	d := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), ".")
	if !validHostname(d) {
		return "", fmt.Errorf("%w: %q is not a host name", ErrBadCookieDomain, s)
	}
	labels := strings.Split(d, ".")
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", fmt.Errorf("%w: %q is an IP address, not a domain", ErrBadCookieDomain, s)
	}
	if suffix, _ := publicsuffix.PublicSuffix(d); suffix == d {
		return "", fmt.Errorf("%w: %q is a public suffix; name a domain below it", ErrBadCookieDomain, s)
	}
	return d, nil
}
