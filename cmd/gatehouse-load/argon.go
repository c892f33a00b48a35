package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/internal/password"
)

// ArgonRate is the raw argon2id speed of this machine with the portal's
// parameters: what the password step can reach at best.
type ArgonRate struct {
	Goroutines int     `json:"goroutines"`
	MemoryKiB  uint32  `json:"memory_kib"`
	Time       uint32  `json:"time"`
	Threads    uint8   `json:"threads"`
	Hashes     int     `json:"hashes"`
	PerSecond  float64 `json:"hashes_per_second"`
}

// measureArgon verifies passwords with the portal's own hasher and
// parameters (gatehouse/internal/password) on g goroutines for about d, as
// the password step does for a known account.
func measureArgon(ctx context.Context, g int, d time.Duration) (ArgonRate, error) {
	p := password.DefaultParams
	h, err := password.NewHasher(p, g, nil)
	if err != nil {
		return ArgonRate{}, fmt.Errorf("argon2id: %w", err)
	}
	const pw = "gatehouse-load argon2id probe"
	hash, err := h.Hash(ctx, pw)
	if err != nil {
		return ArgonRate{}, fmt.Errorf("argon2id: %w", err)
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
				if ok, err := h.Verify(ctx, hash, pw); err != nil || !ok {
					errs <- fmt.Errorf("argon2id: verify: ok=%v: %w", ok, err)
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
	return ArgonRate{Goroutines: g, MemoryKiB: p.Memory, Time: p.Time, Threads: p.Threads,
		Hashes: int(n.Load()), PerSecond: float64(n.Load()) / el.Seconds()}, nil
}
