// Package password hashes passwords with argon2id, bounds how many hashes run
// at once, and applies the password policy (length in code points, common
// passwords refused, no composition rules).
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"gatehouse/internal/argon2id"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams are OWASP's argon2id minimum: m=19456 KiB, t=2, p=1.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1}

// ErrMalformedHash is returned for a stored hash that cannot be parsed.
var ErrMalformedHash = errors.New("password: malformed hash")

// Hasher hashes and verifies passwords. At most Concurrency hashes run at
// once, each in the working memory of its slot, kept from one hash to the
// next outside the collected heap: a burst of logins costs Concurrency ×
// Memory of RAM once, and nothing more while it lasts. Further callers wait
// their turn or give up when their context ends.
type Hasher struct {
	params Params
	slots  chan *argon2id.Buffer
	rand   io.Reader
	dummy  string
	obs    Observer
}

// NewHasher returns a Hasher. concurrency <= 0 means the number of CPUs.
func NewHasher(p Params, concurrency int, rnd io.Reader) (*Hasher, error) {
	if p.Memory < DefaultParams.Memory || p.Time < 1 || p.Threads < 1 {
		return nil, fmt.Errorf("password: argon2id parameters below m=%d t=1 p=1", DefaultParams.Memory)
	}
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	if err := argon2id.SelfCheck(); err != nil {
		return nil, fmt.Errorf("password: %w", err)
	}
	h := &Hasher{params: p, slots: make(chan *argon2id.Buffer, concurrency), rand: rnd, obs: nopObserver{}}
	for range concurrency {
		h.slots <- new(argon2id.Buffer) // its memory is mapped by its first hash
	}
	dummy, err := h.Hash(context.Background(), "gatehouse dummy password for unknown accounts")
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// acquire takes a free slot, waiting for one until ctx ends.
func (h *Hasher) acquire(ctx context.Context) (*argon2id.Buffer, error) {
	select {
	case b := <-h.slots:
		h.obs.Waited(0)
		return b, nil
	default:
	}
	start := time.Now()
	h.obs.Queued(1)
	defer h.obs.Queued(-1)
	select {
	case b := <-h.slots:
		h.obs.Waited(time.Since(start))
		return b, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("password: waiting for a hash slot: %w", ctx.Err())
	}
}

func (h *Hasher) release(b *argon2id.Buffer) { h.slots <- b }

// key runs one argon2id in a slot.
func (h *Hasher) key(ctx context.Context, pw string, salt []byte, p Params, keyLen uint32) ([]byte, error) {
	b, err := h.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer h.release(b)
	key := b.Key([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	if p.Memory > h.params.Memory {
		// A hash stored with a higher cost than today's: do not keep its
		// memory in the slot.
		b.Release()
	}
	return key, nil
}

// Hash returns the PHC-format argon2id hash of pw with a random salt.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key, err := h.key(ctx, pw, salt, h.params, 32)
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches the stored hash, in constant time.
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (bool, error) {
	p, salt, want, err := parse(hash)
	if err != nil {
		return false, err
	}
	got, err := h.key(ctx, pw, salt, p, uint32(len(want)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy spends the same work as Verify against a hash that matches no
// password, so an unknown or locked account answers in the same time.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	_, err := h.Verify(ctx, h.dummy, pw)
	return err
}

func parse(hash string) (Params, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	if p.Memory == 0 || p.Memory > 1<<22 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
