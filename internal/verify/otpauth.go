package verify

import (
	"cmp"
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// DefaultIssuer is the name authenticator apps show for the portal when no
// other is configured; the one default of every package that names it.
const DefaultIssuer = "Gatehouse"

// OTPAuth is the content of an otpauth://totp/ URI (the Key Uri Format of
// Google Authenticator) that authenticator apps scan.
type OTPAuth struct {
	Issuer, Account string
	Secret          string // base32, upper case
	Algorithm       string // SHA1 (default), SHA256 or SHA512
	Digits, Period  string // default "6" and "30"
}

var (
	base32Re  = regexp.MustCompile(`^[A-Z2-7]+=*$`)
	algRe     = regexp.MustCompile(`^(SHA1|SHA256|SHA512)$`)
	numericRe = regexp.MustCompile(`^[0-9]{1,3}$`)
)

// ErrOTPAuth is wrapped by ParseOTPAuth for a URI it cannot use.
var ErrOTPAuth = errors.New("verify: not a usable otpauth://totp/ URI")

// URI returns the URI, parameters in Twilio Verify's order. Issuer and
// account are percent-encoded for both the label and the query: spaces as
// %20 (some apps show a '+' literally) and ':' too, since it separates
// issuer and account in the label; '@' stays as it is.
func (k OTPAuth) URI() string {
	iss := uriEscape(k.Issuer)
	return "otpauth://totp/" + iss + ":" + uriEscape(k.Account) +
		"?secret=" + k.Secret + "&issuer=" + iss +
		"&algorithm=" + cmp.Or(k.Algorithm, "SHA1") + "&digits=" + cmp.Or(k.Digits, "6") +
		"&period=" + cmp.Or(k.Period, "30")
}

// ParseOTPAuth reads an otpauth://totp/ URI: its secret, algorithm, digits
// and period (issuer and account are left for the caller to set).
func ParseOTPAuth(raw string) (OTPAuth, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		return OTPAuth{}, ErrOTPAuth
	}
	q := u.Query()
	k := OTPAuth{
		Secret:    strings.ToUpper(q.Get("secret")),
		Algorithm: strings.ToUpper(cmp.Or(q.Get("algorithm"), "SHA1")),
		Digits:    cmp.Or(q.Get("digits"), "6"),
		Period:    cmp.Or(q.Get("period"), "30"),
	}
	if k.Secret != "" && !base32Re.MatchString(k.Secret) {
		return OTPAuth{}, errors.Join(ErrOTPAuth, errors.New("secret is not base32"))
	}
	if !algRe.MatchString(k.Algorithm) || !numericRe.MatchString(k.Digits) || !numericRe.MatchString(k.Period) {
		return OTPAuth{}, errors.Join(ErrOTPAuth, errors.New("unsupported algorithm, digits or period"))
	}
	return k, nil
}

// ValidSecret reports whether s is a base32 secret.
func ValidSecret(s string) bool { return base32Re.MatchString(s) }

func uriEscape(s string) string {
	return uriFix.Replace(url.QueryEscape(s))
}

// uriFix writes spaces as %20 and keeps '@', valid in both the path and
// the query, readable in the account name.
var uriFix = strings.NewReplacer("+", "%20", "%40", "@")
