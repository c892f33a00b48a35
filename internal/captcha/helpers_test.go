package captcha

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeSpender is an in-memory Spender with the store's contract: a hash can
// be spent again only once its expiry has passed.
type fakeSpender struct {
	mu    sync.Mutex
	spent map[string]time.Time
	err   error // returned by every call when set
	calls int
}

func newFakeSpender() *fakeSpender { return &fakeSpender{spent: map[string]time.Time{}} }

func (f *fakeSpender) SpendOnce(_ context.Context, hash string, expires, now time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return false, f.err
	}
	if old, ok := f.spent[hash]; ok && old.After(now) {
		return false, nil
	}
	f.spent[hash] = expires
	return true, nil
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

var (
	testKey     = []byte("0123456789abcdef0123456789abcdef")
	testUsedKey = []byte("fedcba9876543210fedcba9876543210")
	testStart   = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

// seeded returns a deterministic randomness source.
func seeded(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// solve finds the secret number by brute force, as a browser does.
func solve(t testing.TB, c Challenge) int64 {
	t.Helper()
	for n := int64(0); n <= c.MaxNumber; n++ {
		sum := sha256.Sum256([]byte(c.Salt + strconv.FormatInt(n, 10)))
		if hex.EncodeToString(sum[:]) == c.Challenge {
			return n
		}
	}
	t.Fatalf("no number in [0, %d] solves the challenge", c.MaxNumber)
	return 0
}

// wantErr fails unless err matches want (nil meaning success).
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}
