package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// TestShutdownRunsEveryStepInOrder checks that a failing step does not
// keep the later ones (the database) from running.
func TestShutdownRunsEveryStepInOrder(t *testing.T) {
	var ran []string
	mk := func(name string, err error) step {
		return step{name, func(context.Context) error { ran = append(ran, name); return err }}
	}
	boom := errors.New("boom")
	err := shutdown(context.Background(), slog.New(slog.DiscardHandler),
		[]step{mk("http server", nil), mk("workers", boom), mk("outboxes", nil), mk("database", nil)})
	if !errors.Is(err, boom) {
		t.Errorf("err %v, want the failed step's", err)
	}
	if want := []string{"http server", "workers", "outboxes", "database"}; !slices.Equal(ran, want) {
		t.Errorf("ran %q, want %q", ran, want)
	}
}

func TestWorkerStops(t *testing.T) {
	w := startWorker(func(ctx context.Context) { <-ctx.Done() })
	if err := w.stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	stuck := make(chan struct{})
	defer close(stuck)
	w = startWorker(func(context.Context) { <-stuck })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := w.stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a stuck worker: %v, want the deadline", err)
	}
}
