package twilio

import (
	"errors"
	"strings"

	"gatehouse/internal/verify"
)

// rewriteURI returns Twilio's otpauth URI for a new factor with issuer as
// the issuer and "issuer:account" as the label, keeping the secret and the
// algorithm, digits and period Twilio chose. secret is binding.secret; when
// empty it is taken from the URI, and when both are present they must agree.
// It returns the URI and the secret.
func rewriteURI(raw, secret, issuer, account string) (string, string, error) {
	k, err := verify.ParseOTPAuth(raw)
	if err != nil {
		return "", "", err
	}
	if secret == "" {
		secret = k.Secret
	} else if k.Secret != "" && !strings.EqualFold(strings.TrimRight(k.Secret, "="), strings.TrimRight(secret, "=")) {
		return "", "", errors.New("uri secret differs from binding secret")
	}
	k.Secret = strings.ToUpper(secret)
	if !verify.ValidSecret(k.Secret) {
		return "", "", errors.New("secret is not base32")
	}
	k.Issuer, k.Account = issuer, account
	return k.URI(), k.Secret, nil
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
