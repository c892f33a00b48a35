// Package local is the embedded verify engine: a production implementation
// of verify.Verifier that keeps its state in the portal's database and
// behaves like Twilio Verify.
//
// SMS codes are six random digits stored only as HMAC-SHA256(CodeKey, sid ||
// code); one verification exists per purpose and subject (see verify.Target), with capped sends
// and checks. TOTP factors follow RFC 6238 (SHA-1, six digits, 30-second
// steps, one step of skew either side); their 160-bit secrets are sealed with
// AES-256-GCM, every accepted time step is recorded so a code works once, and
// wrong codes are capped. Delivery of SMS codes goes through a Sender.
package local

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"gatehouse/internal/verify"
)

var _ verify.Verifier = (*Engine)(nil)

// Options configures an Engine. Zero values mean the documented defaults.
type Options struct {
	Store     Store            // persistence, implemented by *store.DB
	Sender    Sender           // SMS delivery
	CodeKey   []byte           // 32 bytes, HMAC key for code hashes (keys.PurposeCodeHash)
	SecretKey []byte           // 32 bytes, AES-256-GCM key for TOTP secrets at rest (keys.PurposeTOTPEncrypt)
	Issuer    string           // otpauth issuer and SMS sender name, default "Gatehouse"
	Now       func() time.Time // default time.Now
	Rand      io.Reader        // default crypto/rand.Reader
	CodeTTL   time.Duration    // default 10m: each SMS code is valid this long after it was sent
	MaxChecks int              // default 5 checks per SMS verification
	MaxSends  int              // default 5 sends per SMS verification
	FactorTTL time.Duration    // default 10m: an unverified TOTP factor expires
}

// Defaults applied by New to zero Options fields.
const (
	DefaultIssuer    = verify.DefaultIssuer
	DefaultCodeTTL   = 10 * time.Minute
	DefaultMaxChecks = 5
	DefaultMaxSends  = 5
	DefaultFactorTTL = 10 * time.Minute
)

// Engine is the embedded verify engine. It is safe for concurrent use, also
// across processes sharing one database.
type Engine struct {
	store     Store
	sender    Sender
	codeKey   []byte
	aead      cipher.AEAD
	issuer    string
	now       func() time.Time
	codeTTL   time.Duration
	factorTTL time.Duration
	maxChecks int
	maxSends  int

	randMu sync.Mutex // an injected Rand need not be safe for concurrent use
	rand   io.Reader
}

// New returns an Engine for o, or an error naming every invalid option.
func New(o Options) (*Engine, error) {
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("local: Store is required"))
	}
	if o.Sender == nil {
		errs = append(errs, errors.New("local: Sender is required"))
	}
	if len(o.CodeKey) != 32 {
		errs = append(errs, fmt.Errorf("local: CodeKey must be 32 bytes, got %d", len(o.CodeKey)))
	}
	if len(o.SecretKey) != 32 {
		errs = append(errs, fmt.Errorf("local: SecretKey must be 32 bytes, got %d", len(o.SecretKey)))
	}
	if len(o.CodeKey) > 0 && bytes.Equal(o.CodeKey, o.SecretKey) {
		errs = append(errs, errors.New("local: CodeKey and SecretKey must be different subkeys"))
	}
	if o.CodeTTL < 0 || o.FactorTTL < 0 || o.MaxChecks < 0 || o.MaxSends < 0 {
		errs = append(errs, errors.New("local: TTLs and caps must not be negative"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	block, err := aes.NewCipher(o.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("local: secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("local: secret key: %w", err)
	}
	e := &Engine{
		store:     o.Store,
		sender:    o.Sender,
		codeKey:   bytes.Clone(o.CodeKey),
		aead:      aead,
		issuer:    orDefault(o.Issuer, DefaultIssuer),
		now:       o.Now,
		rand:      o.Rand,
		codeTTL:   orDefault(o.CodeTTL, DefaultCodeTTL),
		factorTTL: orDefault(o.FactorTTL, DefaultFactorTTL),
		maxChecks: orDefault(o.MaxChecks, DefaultMaxChecks),
		maxSends:  orDefault(o.MaxSends, DefaultMaxSends),
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.rand == nil {
		e.rand = rand.Reader
	}
	return e, nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Sweep deletes SMS verifications whose code has expired and unverified TOTP
// factors that have expired. Expired rows are already refused; sweeping only
// keeps the tables small.
func (e *Engine) Sweep(ctx context.Context) error {
	if err := e.store.SweepVerifyLocal(ctx, e.now()); err != nil {
		return fmt.Errorf("local: sweep: %w", err)
	}
	return nil
}

// random fills b from the engine's randomness source.
func (e *Engine) random(b []byte) error {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	if _, err := io.ReadFull(e.rand, b); err != nil {
		return fmt.Errorf("local: read random: %w", err)
	}
	return nil
}

// newSID returns prefix followed by 32 random lowercase hex digits, the shape
// of a Twilio sid.
func (e *Engine) newSID(prefix string) (string, error) {
	b := make([]byte, 16)
	if err := e.random(b); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b), nil
}

// newCode returns a uniformly random six-digit code, by rejection sampling
// 32-bit values so that no code is likelier than another.
func (e *Engine) newCode() (string, error) {
	const space = 1_000_000
	const limit = (1 << 32) - (1<<32)%space
	var b [4]byte
	for range 64 { // a fair source is rejected with probability 0.0002
		if err := e.random(b[:]); err != nil {
			return "", err
		}
		if v := binary.BigEndian.Uint32(b[:]); uint64(v) < limit {
			return fmt.Sprintf("%06d", v%space), nil
		}
	}
	return "", errors.New("local: random source is not uniform")
}

// codeHash binds an SMS code to its verification.
func (e *Engine) codeHash(sid, code string) []byte {
	m := hmac.New(sha256.New, e.codeKey)
	m.Write([]byte(sid))
	m.Write([]byte(code))
	return m.Sum(nil)
}

// SharesStore reports whether the engine keeps its state in st: then its
// TOTP checks are statements of st, and a caller's transaction of st
// (store.DB.Atomically) takes them in.
func (e *Engine) SharesStore(st any) bool { return st != nil && any(e.store) == st }
