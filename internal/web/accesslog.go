package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"gatehouse/internal/store"
)

// routeKey keys the *string that dispatch fills with the route's pattern.
type routeKey struct{}

// setRoute records the pattern that served the request of ctx.
func setRoute(ctx context.Context, pattern string) {
	if p, ok := ctx.Value(routeKey{}).(*string); ok && pattern != "" {
		*p = pattern
	}
}

// track is the outermost middleware: it gives the request its ID (in the
// context and in the X-Request-ID response header), watches for database
// faults, and once the request is answered writes its access log line and
// tells the observer. The line never holds the query string (it may carry
// a token) nor a cookie.
func (s *server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestIDFor(r.Header.Get(RequestIDHeader))
		w.Header().Set(RequestIDHeader, id)
		route := NoRoute
		ctx := context.WithValue(withRequestID(r.Context(), id), routeKey{}, &route)
		ctx, faults := store.WatchFaults(ctx)
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))

		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		d := time.Since(start)
		method := methodLabel(r.Method)
		s.obs.Request(method, route, status, d)
		if faults.Seen() {
			s.obs.DatabaseUnavailable()
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", method), slog.String("route", route), slog.Int("status", status),
			slog.Duration("duration", d), slog.Int64("bytes", rec.bytes))
	})
}

// recorder notes the status and the size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader implements http.ResponseWriter.
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
