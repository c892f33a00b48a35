package web

import (
	"net/http"
	"time"
)

// Observer is told of every request once it is answered, for metrics
// (package metrics implements it). Its arguments are bounded: method is one
// of the standard methods or "OTHER", route is a pattern of routes.go or
// NoRoute; nothing of a request's content reaches it. Its methods run on
// the request path, so they must be quick and must not block.
type Observer interface {
	Request(method, route string, status int, d time.Duration)
	// DatabaseUnavailable reports a request that met store.ErrUnavailable.
	DatabaseUnavailable()
}

// NoRoute is the route of a request no pattern served: an unknown path or
// method, or a refusal before routing (a body too large, a cross-origin
// request).
const NoRoute = "none"

// nopObserver is the Observer of a portal nobody watches.
type nopObserver struct{}

func (nopObserver) Request(string, string, int, time.Duration) {}
func (nopObserver) DatabaseUnavailable()                       {}

// methodLabel bounds the method a client sent to the standard ones.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
