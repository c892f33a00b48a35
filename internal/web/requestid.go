package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// RequestIDHeader carries the request ID on requests and on every response.
const RequestIDHeader = "X-Request-ID"

// maxRequestID is the longest client-sent request ID that is kept.
const maxRequestID = 64

// requestIDKey keys the request ID in a request's context.
type requestIDKey struct{}

// RequestID returns the ID of the request ctx belongs to, "" outside one.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID returns ctx carrying id.
func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestIDFor keeps the ID a client (or the proxy in front) sent when it
// is short and made of safe characters only, so it can go into a log line
// and a header unquoted; otherwise it makes a fresh 128-bit random one.
func requestIDFor(sent string) string {
	if safeRequestID(sent) {
		return sent
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// safeRequestID reports whether id is 1 to maxRequestID characters of
// [A-Za-z0-9._-].
func safeRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// idHandler adds the request ID of the record's context to every record,
// so that each line a request logs through the *Context methods names it.
type idHandler struct{ next slog.Handler }

// withRequestIDs wraps h so that its records carry the request ID.
func withRequestIDs(h slog.Handler) slog.Handler {
	if _, ok := h.(idHandler); ok {
		return h
	}
	return idHandler{next: h}
}

// Enabled implements slog.Handler.
func (h idHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h idHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h idHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return idHandler{next: h.next.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h idHandler) WithGroup(name string) slog.Handler {
	return idHandler{next: h.next.WithGroup(name)}
}
