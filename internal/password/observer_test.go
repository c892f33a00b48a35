package password

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer that keeps every call.
type recorder struct {
	mu     sync.Mutex
	depth  int
	peak   int
	waits  []time.Duration
	queued chan struct{} // receives on every Queued(+1)
}

func (r *recorder) Queued(d int) {
	r.mu.Lock()
	r.depth += d
	r.peak = max(r.peak, r.depth)
	r.mu.Unlock()
	if d > 0 {
		r.queued <- struct{}{}
	}
}

func (r *recorder) Waited(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
}

// TestObserverSeesQueue holds the only slot, so a hash must queue: the
// observer sees the queue grow to one and shrink back, and one wait per
// slot taken.
func TestObserverSeesQueue(t *testing.T) {
	base, err := NewHasher(DefaultParams, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{queued: make(chan struct{}, 4)}
	h := base.WithObserver(rec)

	if _, err := h.Hash(context.Background(), "free slot"); err != nil {
		t.Fatal(err)
	}
	slot := <-h.slots // every slot taken
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "queued")
		done <- err
	}()
	<-rec.queued    // the hash is now waiting
	h.slots <- slot // free the slot
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.depth != 0 || rec.peak != 1 {
		t.Errorf("queue depth %d (peak %d), want 0 (peak 1)", rec.depth, rec.peak)
	}
	if len(rec.waits) != 2 || rec.waits[0] != 0 || rec.waits[1] <= 0 {
		t.Errorf("waits %v, want [0 >0]", rec.waits)
	}
}

// TestObserverGiveUp checks that a caller whose context ends while queued
// leaves the queue and reports no wait.
func TestObserverGiveUp(t *testing.T) {
	base, err := NewHasher(DefaultParams, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{queued: make(chan struct{}, 4)}
	h := base.WithObserver(rec)
	slot := <-h.slots
	defer func() { h.slots <- slot }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "gives up")
		done <- err
	}()
	<-rec.queued
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.depth != 0 || len(rec.waits) != 0 {
		t.Errorf("depth %d, waits %v; want 0 and none", rec.depth, rec.waits)
	}
}
