package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// checkLoopbackURL accepts only http(s) URLs whose host is a loopback
// address (127.0.0.0/8 or ::1) or resolves only to loopback addresses: this
// tool generates load, and load goes to this machine only.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url: %q is not an http(s) URL", raw)
	}
	host := u.Hostname()
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	for _, ip := range ips {
		if !ip.Unmap().IsLoopback() {
			return fmt.Errorf("-url: %s is not a loopback address: load goes only to 127.0.0.0/8 or ::1", host)
		}
	}
	return nil
}

// loopbackTransport is the transport of every visitor: connections are kept
// for reuse (one per worker at most) and the dialer refuses any address
// that is not loopback, whatever the URL said.
func loopbackTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			return fmt.Errorf("refusing to connect to %s: not a loopback address", address)
		}
		return nil
	}}
	return &http.Transport{
		Proxy:               nil, // never through a proxy: straight to loopback
		DialContext:         d.DialContext,
		MaxIdleConns:        maxConcurrency + stageWorkers,
		MaxIdleConnsPerHost: maxConcurrency + stageWorkers,
		IdleConnTimeout:     90 * time.Second,
	}
}
