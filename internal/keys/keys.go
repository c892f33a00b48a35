// Package keys derives one subkey per purpose from the portal's secret key,
// so that a code hash, a CAPTCHA signature and an encryption key never share
// key material.
package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// Purposes of derived subkeys. Each value is the HKDF info string.
const (
	PurposeCodeHash    = "gatehouse code hash v1"    // SMS code hashes in the embedded engine
	PurposeTOTPEncrypt = "gatehouse totp aead v1"    // AES-256-GCM key for TOTP secrets at rest
	PurposeCaptcha     = "gatehouse captcha hmac v1" // proof-of-work challenge signatures
	PurposeCaptchaUsed = "gatehouse captcha used v1" // hashes of spent CAPTCHA tokens
	PurposeBackupCode  = "gatehouse backup code v1"  // backup code hashes
	PurposeReplay      = "gatehouse totp replay v1"  // hashes of accepted TOTP codes
	PurposeLimitKey    = "gatehouse limit key v1"    // hashes of phone numbers and IPs in counter keys
	PurposeLinkToken   = "gatehouse link token v1"   // hashes of emailed link tokens
)

// Ring holds the master key and derives subkeys from it.
type Ring struct {
	master []byte
}

// New returns a Ring for a 32-byte master key.
func New(master []byte) (*Ring, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("keys: master key must be 32 bytes, got %d", len(master))
	}
	return &Ring{master: append([]byte(nil), master...)}, nil
}

// Derive returns the 32-byte subkey for purpose.
func (r *Ring) Derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, r.master, nil, purpose, 32)
	if err != nil {
		// Only possible for an output length beyond 255*32 bytes.
		panic(fmt.Sprintf("keys: derive %q: %v", purpose, err))
	}
	return k
}
