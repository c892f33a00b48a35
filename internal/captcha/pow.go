package captcha

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// algorithm is the only hash the proof of work uses, named as ALTCHA names it.
const algorithm = "SHA-256"

// Proof-of-work defaults.
const (
	DefaultMaxNumber = 100000          // about a second of hashing in a browser
	DefaultTTL       = 5 * time.Minute // how long a challenge may be solved and submitted
)

const (
	saltBytes   = 12   // random part of the salt, as in ALTCHA
	maxPoWToken = 4096 // a genuine payload is about 340 bytes
	// expirySlack tolerates instances whose clocks are slightly apart.
	expirySlack = time.Minute
)

// PoWOptions configures NewPoW. Zero values mean the defaults.
type PoWOptions struct {
	Key       []byte           // HMAC key signing challenges (keys.PurposeCaptcha); at least 16 bytes
	UsedKey   []byte           // HMAC key hashing spent challenges (keys.PurposeCaptchaUsed); at least 16 bytes
	Spender   Spender          // records spent challenges; required
	MaxNumber int64            // largest secret number, so the work is about MaxNumber/2 hashes; default 100000
	TTL       time.Duration    // lifetime of a challenge; default 5 minutes
	Now       func() time.Time // clock; default time.Now
	Rand      io.Reader        // randomness for salts and numbers; default crypto/rand.Reader
}

// PoW is the embedded proof-of-work CAPTCHA, compatible with the ALTCHA
// widget: the browser finds the secret number behind a signed SHA-256 hash.
// It needs no third party and sets no cookie.
type PoW struct {
	key, usedKey []byte
	spender      Spender
	maxNumber    int64
	ttl          time.Duration
	now          func() time.Time
	rand         io.Reader
}

// Challenge is what GET /captcha/challenge returns as JSON, in ALTCHA's shape.
type Challenge struct {
	Algorithm string `json:"algorithm"` // always "SHA-256"
	Challenge string `json:"challenge"` // lowercase hex of SHA-256(Salt + decimal secret number)
	MaxNumber int64  `json:"maxnumber"` // the secret number lies in [0, MaxNumber]
	Salt      string `json:"salt"`      // "<random hex>?expires=<unix seconds>"
	Signature string `json:"signature"` // lowercase hex of HMAC-SHA256(key, Challenge)
}

// solution is the JSON inside the base64 form field; ALTCHA adds fields such
// as "took", which are ignored.
type solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    *int64 `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// NewPoW returns a proof-of-work CAPTCHA.
func NewPoW(o PoWOptions) (*PoW, error) {
	var errs []error
	if len(o.Key) < minKeyLen {
		errs = append(errs, fmt.Errorf("captcha pow: Key must have at least %d bytes", minKeyLen))
	}
	if len(o.UsedKey) < minKeyLen {
		errs = append(errs, fmt.Errorf("captcha pow: UsedKey must have at least %d bytes", minKeyLen))
	}
	if o.Spender == nil {
		errs = append(errs, errors.New("captcha pow: Spender is required"))
	}
	if o.MaxNumber < 0 {
		errs = append(errs, errors.New("captcha pow: MaxNumber must not be negative"))
	}
	if o.TTL < 0 {
		errs = append(errs, errors.New("captcha pow: TTL must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	p := &PoW{
		key:       append([]byte(nil), o.Key...),
		usedKey:   append([]byte(nil), o.UsedKey...),
		spender:   o.Spender,
		maxNumber: o.MaxNumber,
		ttl:       o.TTL,
		now:       o.Now,
		rand:      o.Rand,
	}
	if p.maxNumber == 0 {
		p.maxNumber = DefaultMaxNumber
	}
	if p.ttl == 0 {
		p.ttl = DefaultTTL
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	return p, nil
}

// Kind returns "pow".
func (p *PoW) Kind() string { return "pow" }

// SiteKey returns "": the proof of work has no public key.
func (p *PoW) SiteKey() string { return "" }

// Challenge returns a new signed challenge that expires after the TTL. The
// server keeps no state: the expiry travels in the salt, covered by the
// signature through the challenge hash.
func (p *PoW) Challenge() (Challenge, error) {
	var b [saltBytes]byte
	if _, err := io.ReadFull(p.rand, b[:]); err != nil {
		return Challenge{}, fmt.Errorf("captcha pow: salt: %w: %w", ErrUnavailable, err)
	}
	n, err := randUpTo(p.rand, p.maxNumber)
	if err != nil {
		return Challenge{}, fmt.Errorf("captcha pow: number: %w: %w", ErrUnavailable, err)
	}
	expires := p.now().Add(p.ttl).Unix()
	salt := hex.EncodeToString(b[:]) + "?expires=" + strconv.FormatInt(expires, 10)
	c := powHash(salt, n)
	return Challenge{
		Algorithm: algorithm,
		Challenge: c,
		MaxNumber: p.maxNumber,
		Salt:      salt,
		Signature: macHex(p.key, c),
	}, nil
}

// Verify checks a solved challenge and spends it. remoteIP is not used.
func (p *PoW) Verify(ctx context.Context, token, remoteIP string) error {
	token = strings.TrimSpace(token)
	if token == "" {
		return fmt.Errorf("captcha pow: %w", ErrMissing)
	}
	s, err := decodeSolution(token)
	if err != nil {
		return err
	}
	if s.Algorithm != algorithm {
		return fmt.Errorf("captcha pow: unsupported algorithm: %w", ErrInvalid)
	}
	if !hmac.Equal([]byte(s.Signature), []byte(macHex(p.key, s.Challenge))) {
		return fmt.Errorf("captcha pow: bad signature: %w", ErrInvalid)
	}
	if *s.Number < 0 || powHash(s.Salt, *s.Number) != s.Challenge {
		return fmt.Errorf("captcha pow: wrong number: %w", ErrInvalid)
	}
	expires, err := saltExpiry(s.Salt)
	if err != nil {
		return err
	}
	now := p.now()
	if !now.Before(expires) {
		return fmt.Errorf("captcha pow: challenge expired: %w", ErrExpired)
	}
	// The salt and the number are concatenated unseparated, so digits of the
	// number can be moved into the expiry without changing the hash. Any
	// such move multiplies the expiry by at least ten; this bound catches it.
	if expires.Sub(now) > p.ttl+expirySlack {
		return fmt.Errorf("captcha pow: expiry too far ahead: %w", ErrInvalid)
	}
	return spend(ctx, p.spender, p.usedKey, s.Challenge, expires, now)
}

// decodeSolution parses the form field: base64 (standard or URL-safe, padded
// or not) of the solution JSON.
func decodeSolution(token string) (solution, error) {
	var s solution
	if len(token) > maxPoWToken {
		return s, fmt.Errorf("captcha pow: token too long: %w", ErrInvalid)
	}
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(token); err == nil {
			break
		}
	}
	if err != nil {
		return s, fmt.Errorf("captcha pow: bad base64: %w", ErrInvalid)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("captcha pow: bad JSON: %w", ErrInvalid)
	}
	if s.Number == nil {
		return s, fmt.Errorf("captcha pow: no number: %w", ErrInvalid)
	}
	return s, nil
}

// saltExpiry reads the expires parameter ALTCHA-style from the query part of
// the salt.
func saltExpiry(salt string) (time.Time, error) {
	_, query, _ := strings.Cut(salt, "?")
	params, err := url.ParseQuery(query)
	if err != nil {
		return time.Time{}, fmt.Errorf("captcha pow: bad salt: %w", ErrInvalid)
	}
	v := params["expires"]
	switch {
	case len(v) == 0:
		return time.Time{}, fmt.Errorf("captcha pow: salt has no expiry: %w", ErrExpired)
	case len(v) > 1:
		return time.Time{}, fmt.Errorf("captcha pow: salt has two expiries: %w", ErrInvalid)
	}
	sec, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, fmt.Errorf("captcha pow: bad expiry: %w", ErrInvalid)
	}
	return time.Unix(sec, 0), nil
}

// powHash returns lowercase hex(SHA-256(salt + decimal n)).
func powHash(salt string, n int64) string {
	sum := sha256.Sum256([]byte(salt + strconv.FormatInt(n, 10)))
	return hex.EncodeToString(sum[:])
}

// randUpTo returns a uniform number in [0, max] read from r, rejecting the
// values that would bias a plain modulo.
func randUpTo(r io.Reader, max int64) (int64, error) {
	n := uint64(max) + 1
	limit := math.MaxUint64 - math.MaxUint64%n // a multiple of n
	var b [8]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, err
		}
		if v := binary.BigEndian.Uint64(b[:]); v < limit {
			return int64(v % n), nil
		}
	}
}
