package web

import (
	"context"
	"net/http"
	"time"
)

// healthTimeout bounds each check of /healthz and /readyz.
const healthTimeout = 2 * time.Second

// health serves GET /healthz, the liveness check: 200 "ok" when the
// database answers, 503 otherwise.
func (s *server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.ping(ctx); err != nil {
		s.log.ErrorContext(ctx, "health check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("unavailable"))
		return
	}
	_, _ = w.Write([]byte("ok"))
}

// readiness serves GET /readyz, the check a load balancer sends traffic
// by: 200 "ready" when the database answers and Options.Ready passes (the
// configuration is complete, the process is not shutting down), 503 "not
// ready" otherwise. The reason goes to the log only.
func (s *server) readiness(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	err := s.ping(ctx)
	if err == nil {
		err = s.ready(ctx)
	}
	if err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready"))
		return
	}
	_, _ = w.Write([]byte("ready"))
}
