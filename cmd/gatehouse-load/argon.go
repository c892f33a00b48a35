package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"gatehouse/internal/password"
)

// The two argon2id yardsticks: the reference implementation and the
// portal's own hasher, which computes the same function in memory it keeps.
const (
	kernelXCrypto = "x/crypto"
	kernelPortal  = "portal"
)

// kernels are the yardsticks in the order they are measured and printed.
var kernels = []string{kernelXCrypto, kernelPortal}

// ArgonRate is the raw argon2id speed of this machine with the portal's
// parameters: what the password step can reach at best.
type ArgonRate struct {
	Kernel     string  `json:"kernel"`
	Goroutines int     `json:"goroutines"`
	MemoryKiB  uint32  `json:"memory_kib"`
	Time       uint32  `json:"time"`
	Threads    uint8   `json:"threads"`
	Hashes     int     `json:"hashes"`
	PerSecond  float64 `json:"hashes_per_second"`
}

// kernelName is how the table names a yardstick.
func kernelName(k string) string {
	if k == kernelXCrypto {
		return "x/crypto argon2.IDKey"
	}
	return "the portal's hasher"
}

// verifier returns a function that checks the probe password once against
// its hash with the given kernel, as the password step does for a known
// account.
func verifier(ctx context.Context, kernel string, g int, p password.Params) (func() error, error) {
	const pw = "gatehouse-load argon2id probe"
	switch kernel {
	case kernelXCrypto:
		salt := []byte("gatehouse-load-salt")
		want := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
		return func() error {
			if got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32); !bytes.Equal(got, want) {
				return fmt.Errorf("argon2id: %s: the same input gave another key", kernel)
			}
			return nil
		}, nil
	case kernelPortal:
		h, err := password.NewHasher(p, g, nil)
		if err != nil {
			return nil, fmt.Errorf("argon2id: %w", err)
		}
		hash, err := h.Hash(ctx, pw)
		if err != nil {
			return nil, fmt.Errorf("argon2id: %w", err)
		}
		return func() error {
			if ok, err := h.Verify(ctx, hash, pw); err != nil || !ok {
				return fmt.Errorf("argon2id: verify: ok=%v: %w", ok, err)
			}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("argon2id: no kernel %q", kernel)
}

// measureArgon verifies passwords with the portal's parameters
// (gatehouse/internal/password) and the given kernel on g goroutines for
// about d.
func measureArgon(ctx context.Context, kernel string, g int, d time.Duration) (ArgonRate, error) {
	p := password.DefaultParams
	verify, err := verifier(ctx, kernel, g, p)
	if err != nil {
		return ArgonRate{}, err
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, g)
	start := time.Now()
	deadline := start.Add(d)
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := verify(); err != nil {
					errs <- err
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return ArgonRate{}, err
	}
	el := time.Since(start)
	return ArgonRate{Kernel: kernel, Goroutines: g, MemoryKiB: p.Memory, Time: p.Time, Threads: p.Threads,
		Hashes: int(n.Load()), PerSecond: float64(n.Load()) / el.Seconds()}, nil
}
