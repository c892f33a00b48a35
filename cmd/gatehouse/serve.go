package main

import (
	"context"
	"errors"
	"fmt"
	"gatehouse/internal/portal"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"gatehouse/internal/config"
)

// errShuttingDown makes /readyz answer 503 once a shutdown has begun.
var errShuttingDown = errors.New("shutting down")

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv, args)
	if err != nil {
		return err
	}
	var draining atomic.Bool
	a, err := portal.Build(ctx, cfg, portal.Deps{Stderr: stderr, Ready: func(context.Context) error {
		if draining.Load() {
			return errShuttingDown
		}
		return nil
	}})
	if err != nil {
		return err
	}
	defer a.Close()
	reloadOnHangup(ctx, a.Log, cfg.AccessRules, a.Rules)
	h := a.Handler
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := newServer(h)
	servers := []step{{"http server", srv.Shutdown}}
	errc := make(chan error, 2)
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
		mh := a.Metrics.Handler()
		if cfg.Pprof {
			mh = a.Metrics.HandlerWithProfiles()
		}
		msrv := newServer(mh)
		servers = append(servers, step{"metrics server", msrv.Shutdown})
		go func() { errc <- fmt.Errorf("metrics: %w", msrv.Serve(mln)) }()
		a.Log.Info("metrics listening", "addr", mln.Addr().String())
	}
	sweeper := startWorker(func(ctx context.Context) { sweep(ctx, a) })
	a.Log.Info("gatehouse listening", "addr", ln.Addr().String(), "url", cfg.BaseURL.String(),
		"verify", cfg.Verify, "captcha", cfg.Captcha, "database", dbKind(cfg.DatabaseURL))
	if cfg.Verify == "local" && cfg.SMSOutbox != "off" {
		a.Log.Info("SMS codes are written to the console and the outbox", "outbox", cfg.SMSOutbox)
	}
	if cfg.Mail.SMTP != nil {
		a.Log.Info("mail goes to the SMTP server", "server", cfg.Mail.SMTP)
	} else if cfg.Mail.Outbox != "off" {
		a.Log.Info("mail is written to the outbox", "outbox", cfg.Mail.Outbox, "console", cfg.Mail.Console)
	}
	go func() { errc <- fmt.Errorf("serve: %w", srv.Serve(ln)) }()
	var failed error
	select {
	case failed = <-errc:
	case <-ctx.Done():
	}
	draining.Store(true)
	a.Log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	steps := append(servers, step{"background workers", sweeper.stop})
	// Last the outboxes (the SMS outbox writes each message as it is sent;
	// the mail queue delivers what it holds), then the database.
	steps = append(steps, step{"mail", a.CloseMail}, step{"database", func(context.Context) error {
		a.Close()
		return nil
	}})
	err = shutdown(shutCtx, a.Log, steps)
	if failed != nil {
		return errors.Join(failed, err)
	}
	if err == nil {
		a.Log.Info("shut down")
	}
	return err
}

// newServer returns an HTTP server for h with the portal's timeouts.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
}

// sweep deletes expired counters, tokens and sessions every few minutes.
func sweep(ctx context.Context, a *portal.Portal) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if err := a.DB.Sweep(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.Log.Warn("sweep failed", "err", err)
		}
		if err := a.DB.SweepActivity(ctx, time.Now().Add(-a.Config.ActivityRetention)); err != nil && ctx.Err() == nil {
			a.Log.Warn("activity sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func dbKind(url string) string {
	if len(url) >= 8 && url[:8] == "postgres" {
		return "postgres"
	}
	return "sqlite"
}
