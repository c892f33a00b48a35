package web

import (
	"bytes"
	"net/http"
)

// buffered holds a handler's whole response until the session is saved.
// Only then is it known whether the answer may go out: a session that
// cannot be written must turn the response into one 503 page, never a page
// with another appended (see withSession).
type buffered struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBuffered() *buffered { return &buffered{header: http.Header{}} }

// Header implements http.ResponseWriter.
func (b *buffered) Header() http.Header { return b.header }

// WriteHeader implements http.ResponseWriter; only the first call counts.
func (b *buffered) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// Write implements http.ResponseWriter.
func (b *buffered) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// flush sends the held response to w, headers first.
func (b *buffered) flush(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range b.header {
		if k == "Set-Cookie" || k == "Vary" {
			h[k] = append(h[k], vs...)
		} else {
			h[k] = vs
		}
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = b.body.WriteTo(w)
}
