package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// step is one stage of a graceful shutdown.
type step struct {
	name string
	stop func(context.Context) error
}

// shutdown runs steps in order under ctx, which ends after
// GATEHOUSE_SHUTDOWN_TIMEOUT. The order is: the HTTP servers stop accepting
// and let the requests in flight finish, the background workers stop, the
// outboxes flush, the database closes. A step that fails or runs out of time
// is logged and the next one runs anyway, so the database is always closed.
func shutdown(ctx context.Context, log *slog.Logger, steps []step) error {
	var errs []error
	for _, s := range steps {
		if err := s.stop(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("shutdown step failed", "step", s.name, "err", err)
			errs = append(errs, fmt.Errorf("shutdown: %s: %w", s.name, err))
			continue
		}
		log.Debug("shutdown step done", "step", s.name)
	}
	return errors.Join(errs...)
}

// worker is a background goroutine that stops when its context ends.
type worker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startWorker runs f in a goroutine with a context of its own.
func startWorker(f func(context.Context)) *worker {
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		f(ctx)
	}()
	return w
}

// stop ends the worker's context and waits for it to return, at most until
// ctx ends.
func (w *worker) stop(ctx context.Context) error {
	w.cancel()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("worker still running: %w", ctx.Err())
	}
}
