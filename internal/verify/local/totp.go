package local

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"gatehouse/internal/store"
	"gatehouse/internal/verify"
)

// TOTP parameters: those of every authenticator app (RFC 6238 defaults, as
// Twilio Verify uses them), and the engine's own caps.
const (
	totpPeriod      = 30 * time.Second
	totpSkew        = 1  // steps accepted either side of the current one
	totpDriftSteps  = 10 // steps searched either side to report a clock drift
	totpSecretBytes = 20 // 160 bits (RFC 4226 section 4)
	totpMaxFailures = 5
	totpLockout     = 5 * time.Minute // a verified factor's wrong-code streak is forgotten after this
	maxNameBytes    = 256
)

var (
	totpCode = regexp.MustCompile(`^[0-9]{6}$`)
	b32      = base32.StdEncoding.WithPadding(base32.NoPadding)
)

// CreateTOTPFactor creates an unverified factor for identity with a fresh
// 160-bit secret, which is stored only sealed with AES-256-GCM. The factor
// expires after FactorTTL unless VerifyTOTPFactor confirms it. friendlyName is
// the account label the authenticator app shows.
func (e *Engine) CreateTOTPFactor(ctx context.Context, identity, friendlyName string) (verify.Factor, error) {
	if !validName(identity) || !validName(friendlyName) {
		return verify.Factor{}, fmt.Errorf("local: create totp factor: identity and friendly name must be 1 to %d bytes of UTF-8: %w",
			maxNameBytes, verify.ErrInvalidParameter)
	}
	sid, err := e.newSID("YF")
	if err != nil {
		return verify.Factor{}, fmt.Errorf("local: create totp factor: %w", err)
	}
	secret := make([]byte, totpSecretBytes)
	if err := e.random(secret); err != nil {
		return verify.Factor{}, fmt.Errorf("local: create totp factor: %w", err)
	}
	sealed, err := e.seal(sid, secret)
	if err != nil {
		return verify.Factor{}, fmt.Errorf("local: create totp factor: %w", err)
	}
	now := e.now()
	f := store.TOTPFactor{
		SID:          sid,
		Identity:     identity,
		FriendlyName: friendlyName,
		SecretSealed: sealed,
		CreatedAt:    now,
		ExpiresAt:    now.Add(e.factorTTL),
	}
	if err := e.store.CreateTOTPFactor(ctx, f); err != nil {
		return verify.Factor{}, fmt.Errorf("local: create totp factor: %w", err)
	}
	encoded := b32.EncodeToString(secret)
	return verify.Factor{
		SID:       sid,
		Secret:    encoded,
		URI:       verify.OTPAuth{Issuer: e.issuer, Account: friendlyName, Secret: encoded}.URI(),
		ExpiresAt: f.ExpiresAt,
	}, nil
}

// VerifyTOTPFactor confirms the unverified, unexpired factor of identity with
// a code of the current time step or one either side; the factor then becomes
// verified and that step cannot be used again. A wrong code returns
// Approved=false (with Drift when it matched a nearby step) and counts; after
// five wrong codes the factor returns verify.ErrTooManyChecks until it
// expires. A verified, expired or unknown factor returns verify.ErrNotFound.
func (e *Engine) VerifyTOTPFactor(ctx context.Context, identity, factorSID, code string) (verify.Check, error) {
	return e.checkTOTP(ctx, "verify totp factor", store.TOTPAttempt{
		Identity: identity, SID: factorSID, Status: store.TOTPUnverified,
	}, code)
}

// ChallengeTOTP checks a code of the verified factor of identity. A code of
// the current time step or one either side is accepted once: only a step
// later than the last accepted one is, decided in one conditional update, so
// of two requests racing with the same code exactly one is approved. A wrong
// or replayed code returns Approved=false (with Drift when it matched a
// nearby step); after five wrong codes in a row the factor returns
// verify.ErrTooManyChecks until five minutes after the last wrong one. An
// unverified or unknown factor returns verify.ErrNotFound.
func (e *Engine) ChallengeTOTP(ctx context.Context, identity, factorSID, code string) (verify.Check, error) {
	return e.checkTOTP(ctx, "challenge totp", store.TOTPAttempt{
		Identity: identity, SID: factorSID, Status: store.TOTPVerified, Lockout: totpLockout,
	}, code)
}

// DeleteTOTPFactor removes the factor of identity, verified or not. An
// unknown factor returns verify.ErrNotFound.
func (e *Engine) DeleteTOTPFactor(ctx context.Context, identity, factorSID string) error {
	if err := e.store.DeleteTOTPFactor(ctx, identity, factorSID); err != nil {
		return refusal("delete totp factor", err, verify.ErrTooManyChecks)
	}
	return nil
}

// checkTOTP checks code for the factor in a, which names the identity, the
// factor and the status the factor must have.
func (e *Engine) checkTOTP(ctx context.Context, op string, a store.TOTPAttempt, code string) (verify.Check, error) {
	if !totpCode.MatchString(code) {
		return verify.Check{}, fmt.Errorf("local: %s: code is not 6 digits: %w", op, verify.ErrInvalidParameter)
	}
	a.Now, a.MaxFailures = e.now(), totpMaxFailures
	f, err := e.store.TOTPFactorByID(ctx, a.Identity, a.SID)
	if err != nil {
		return verify.Check{}, refusal(op, err, verify.ErrTooManyChecks)
	}
	if f.Status != a.Status || (f.Status == store.TOTPUnverified && !a.Now.Before(f.ExpiresAt)) {
		return verify.Check{}, fmt.Errorf("local: %s: %w", op, verify.ErrNotFound)
	}
	if f.Failures >= a.MaxFailures && (a.Lockout <= 0 || a.Now.Sub(f.LastFailureAt) < a.Lockout) {
		return verify.Check{}, fmt.Errorf("local: %s: %w", op, verify.ErrTooManyChecks)
	}
	secret, err := e.open(f.SID, f.SecretSealed)
	if err != nil {
		return verify.Check{}, fmt.Errorf("local: %s: %w", op, err)
	}
	step := a.Now.Unix() / int64(totpPeriod/time.Second)
	offset, matched := matchStep(secret, code, step)
	if matched && abs(offset) <= totpSkew && step+offset > f.LastUsedStep {
		a.Step = step + offset
		err := e.store.ApproveTOTP(ctx, a)
		if err == nil {
			return verify.Check{Approved: true}, nil
		}
		if !errors.Is(err, store.ErrConflict) { // a replay is counted as a wrong code below
			return verify.Check{}, refusal(op, err, verify.ErrTooManyChecks)
		}
	}
	var c verify.Check
	if matched && abs(offset) > totpSkew {
		c.Drift = time.Duration(offset) * totpPeriod
	}
	if err := e.store.FailTOTP(ctx, a); err != nil {
		return verify.Check{}, refusal(op, err, verify.ErrTooManyChecks)
	}
	return c, nil
}

// matchStep reports the offset from step of the time step within
// totpDriftSteps, nearest first, whose code is code.
func matchStep(secret []byte, code string, step int64) (offset int64, ok bool) {
	key := b32.EncodeToString(secret)
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for i := int64(0); i <= 2*totpDriftSteps; i++ {
		off := (i + 1) / 2 // 0, -1, +1, -2, +2, …
		if i%2 == 1 {
			off = -off
		}
		want, err := hotp.GenerateCodeCustom(key, uint64(step+off), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return off, true
		}
	}
	return 0, false
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// seal encrypts a TOTP secret, binding it to its factor sid so that a sealed
// secret copied to another row does not open.
func (e *Engine) seal(sid string, secret []byte) ([]byte, error) {
	nonce := make([]byte, e.aead.NonceSize())
	if err := e.random(nonce); err != nil {
		return nil, err
	}
	return e.aead.Seal(nonce, nonce, secret, []byte(sid)), nil
}

// open decrypts a sealed TOTP secret.
func (e *Engine) open(sid string, sealed []byte) ([]byte, error) {
	n := e.aead.NonceSize()
	if len(sealed) < n+e.aead.Overhead() {
		return nil, errors.New("open totp secret: sealed secret too short")
	}
	secret, err := e.aead.Open(nil, sealed[:n], sealed[n:], []byte(sid))
	if err != nil {
		return nil, fmt.Errorf("open totp secret: %w", err)
	}
	return secret, nil
}

func validName(s string) bool {
	return s != "" && len(s) <= maxNameBytes && utf8.ValidString(s)
}
