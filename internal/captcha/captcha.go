// Package captcha checks the CAPTCHA token a browser sends in the form field
// "captcha". Two kinds exist side by side behind one interface, chosen in
// main: an embedded proof of work compatible with the ALTCHA widget (PoW),
// and the siteverify APIs of reCAPTCHA, hCaptcha and Turnstile (Siteverify).
//
// Every token is checked on the server, works once and lives briefly: both
// kinds record a keyed hash of each accepted token through a Spender, so a
// replayed token fails with ErrReused on every instance sharing the store.
package captcha

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Captcha checks a token a browser sent in the form field "captcha".
type Captcha interface {
	// Verify returns nil when token is valid and unspent, and spends it.
	// Otherwise the error wraps ErrMissing, ErrInvalid, ErrExpired, ErrReused
	// or ErrUnavailable.
	Verify(ctx context.Context, token, remoteIP string) error
	// Kind names the implementation: "pow", "recaptcha", "hcaptcha" or "turnstile".
	Kind() string
	// SiteKey is the public key the browser widget needs; "" for "pow".
	SiteKey() string
}

// Spender records one-time values; *store.DB implements it. SpendOnce
// returns fresh=false, and no error, when hash was already spent and has
// not expired yet; an error means the record could not be made.
type Spender interface {
	SpendOnce(ctx context.Context, hash string, expires, now time.Time) (fresh bool, err error)
}

// minKeyLen is the shortest HMAC key accepted; keys.Ring derives 32 bytes.
const minKeyLen = 16

// macHex returns lowercase hex(HMAC-SHA256(key, msg)).
func macHex(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// spend marks value as used until expires, keyed by an HMAC so the store
// never holds a usable token.
func spend(ctx context.Context, s Spender, usedKey []byte, value string, expires, now time.Time) error {
	fresh, err := s.SpendOnce(ctx, macHex(usedKey, value), expires, now)
	switch {
	case err != nil:
		return fmt.Errorf("captcha: spend token: %w: %w", ErrUnavailable, err)
	case !fresh:
		return fmt.Errorf("captcha: token spent before: %w", ErrReused)
	}
	return nil
}
