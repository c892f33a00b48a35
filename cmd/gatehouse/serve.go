package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"gatehouse/internal/config"
	"gatehouse/internal/store"
	"gatehouse/internal/web"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv, args)
	if err != nil {
		return err
	}
	a, err := build(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	h, err := web.New(web.Options{
		Auth: a.auth, Captcha: a.captcha, PoW: a.pow,
		SessionStore: store.Sessions{DB: a.db}, BaseURL: cfg.BaseURL,
		TrustedProxies: cfg.TrustedProxies, Ping: a.db.Ping, Log: a.log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	go sweep(ctx, a)
	a.log.Info("gatehouse listening", "addr", ln.Addr().String(), "url", cfg.BaseURL.String(),
		"verify", cfg.Verify, "captcha", cfg.Captcha, "database", dbKind(cfg.DatabaseURL))
	if cfg.Verify == "local" && cfg.SMSOutbox != "off" {
		a.log.Info("SMS codes are written to the console and the outbox", "outbox", cfg.SMSOutbox)
	}
	if cfg.Mail.SMTP != nil {
		a.log.Info("mail goes to the SMTP server", "server", cfg.Mail.SMTP)
	} else if cfg.Mail.Outbox != "off" {
		a.log.Info("mail is written to the outbox", "outbox", cfg.Mail.Outbox, "console", cfg.Mail.Console)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	// No request can queue a mail now: deliver what is queued.
	_ = a.closeMail(shutCtx)
	return nil
}

// sweep deletes expired counters, tokens and sessions every few minutes.
func sweep(ctx context.Context, a *app) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if err := a.db.Sweep(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Warn("sweep failed", "err", err)
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
