package twilio

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

var (
	base32Re  = regexp.MustCompile(`^[A-Z2-7]+=*$`)
	algRe     = regexp.MustCompile(`^(SHA1|SHA256|SHA512)$`)
	numericRe = regexp.MustCompile(`^[0-9]{1,3}$`)
)

// rewriteURI returns Twilio's otpauth URI for a new factor with issuer as
// the issuer and "issuer:account" as the label (Key Uri Format of Google
// Authenticator, parameters in Twilio's order), keeping the secret and the
// algorithm, digits and period Twilio chose. secret is binding.secret; when
// empty it is taken from the URI, and when both are present they must agree.
// It returns the URI and the secret.
func rewriteURI(raw, secret, issuer, account string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		return "", "", errors.New("uri is not an otpauth://totp/ URI")
	}
	q := u.Query()
	if s := q.Get("secret"); secret == "" {
		secret = s
	} else if s != "" && !strings.EqualFold(strings.TrimRight(s, "="), strings.TrimRight(secret, "=")) {
		return "", "", errors.New("uri secret differs from binding secret")
	}
	secret = strings.ToUpper(secret)
	if !base32Re.MatchString(secret) {
		return "", "", errors.New("secret is not base32")
	}
	alg := strings.ToUpper(param(q, "algorithm", "SHA1"))
	digits := param(q, "digits", "6")
	period := param(q, "period", "30")
	if !algRe.MatchString(alg) || !numericRe.MatchString(digits) || !numericRe.MatchString(period) {
		return "", "", errors.New("uri has unsupported algorithm, digits or period")
	}
	esc := uriEscape(issuer)
	return "otpauth://totp/" + esc + ":" + uriEscape(account) +
		"?secret=" + secret + "&issuer=" + esc +
		"&algorithm=" + alg + "&digits=" + digits + "&period=" + period, secret, nil
}

// param returns the query parameter k, or def when absent.
func param(q url.Values, k, def string) string {
	if v := q.Get(k); v != "" {
		return v
	}
	return def
}

// uriEscape percent-encodes s for both the label and the query: spaces as
// %20 (some apps show a '+' literally) and ':' too (it separates issuer and
// account in the label). It matches the embedded engine's encoding.
func uriEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
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
