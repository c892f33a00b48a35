// Package portal wires the whole portal from a Config: key ring, database,
// verify backend, CAPTCHA, password hasher, mail, the domain and the web
// handler. It is the one wiring path: the gatehouse command builds with it,
// and so do the tests' harnesses, replacing only what Deps names.
package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/auth"
	"gatehouse/internal/captcha"
	"gatehouse/internal/config"
	"gatehouse/internal/keys"
	"gatehouse/internal/mail"
	"gatehouse/internal/metrics"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
	"gatehouse/internal/verify"
	"gatehouse/internal/verify/local"
	"gatehouse/internal/verify/twilio"
	"gatehouse/internal/web"
)

// Deps replaces parts Build would make from the Config; the zero Deps is
// the production portal. Tests use it for a clock, in-memory senders and a
// Twilio emulator, never for a second way of assembling the stack.
type Deps struct {
	Stderr io.Writer                             // console SMS and mail; default os.Stderr
	Log    *slog.Logger                          // default: text on Stderr at the configured level
	Now    func() time.Time                      // the clock of every part; default time.Now
	DB     *store.DB                             // an open database instead of DatabaseURL; the caller closes it
	SMS    local.Sender                          // the embedded engine's sender instead of the console and outbox
	Mail   mail.Sender                           // instead of SMTP or the outbox and console
	Twilio *twilio.Options                       // the adapter's options instead of those from Config.Twilio
	Limits auth.Limits                           // non-zero fields replace the limits of the Config
	Verify func(verify.Verifier) verify.Verifier // wraps the verify backend
	Ready  func(context.Context) error           // extra readiness check (a shutdown begun)
	Web    func(*web.Options)                    // the last word on the web options
}

// Portal is a wired portal.
type Portal struct {
	Config  config.Config
	Log     *slog.Logger
	DB      *store.DB
	Ring    *keys.Ring
	Auth    *auth.Service
	Captcha captcha.Captcha
	PoW     *captcha.PoW // non-nil with the proof-of-work CAPTCHA
	Metrics *metrics.Metrics
	Rules   *access.Holder
	Handler http.Handler

	deps    Deps
	mail    *mail.Queue
	closers []func() error
	once    sync.Once
}

// NewLogger returns the portal's text logger at level on w.
func NewLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// Build wires config → store → providers → domain → web.
func Build(ctx context.Context, cfg config.Config, d Deps) (p *Portal, err error) {
	if d.Stderr == nil {
		d.Stderr = os.Stderr
	}
	if d.Log == nil {
		d.Log = NewLogger(cfg.LogLevel, d.Stderr)
	}
	p = &Portal{Config: cfg, Log: d.Log, Metrics: metrics.New(), deps: d}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	key := cfg.SecretKey
	if key == nil {
		if key, err = loadOrCreateKey(filepath.Join(cfg.DataDir, "secret.key")); err != nil {
			return nil, err
		}
	}
	if p.Ring, err = keys.New(key); err != nil {
		return nil, err
	}
	if p.DB = d.DB; p.DB == nil {
		if p.DB, err = store.Open(ctx, cfg.DatabaseURL); err != nil {
			return nil, err
		}
		p.closers = append(p.closers, p.DB.Close)
	}
	if err := p.buildDomain(); err != nil {
		return nil, err
	}
	if p.Rules, err = access.NewHolder(cfg.AccessRules); err != nil {
		return nil, err
	}
	if p.Handler, err = p.buildWeb(); err != nil {
		return nil, err
	}
	return p, nil
}

// buildDomain makes the providers and the domain service.
func (p *Portal) buildDomain() error {
	cfg, d := p.Config, p.deps
	v, err := p.verifier()
	if err != nil {
		return err
	}
	// The notice to an old number goes through the backend itself, which
	// the wrappers below would hide.
	texter, _ := v.(verify.Texter)
	v = verify.Observe(v, p.Metrics)
	if d.Verify != nil {
		v = d.Verify(v)
	}
	if err := p.captchaProvider(); err != nil {
		return err
	}
	hasher, err := password.NewHasher(password.DefaultParams, cfg.HashConcurrency, nil)
	if err != nil {
		return err
	}
	notifier, err := p.mailer()
	if err != nil {
		return err
	}
	lim := d.Limits
	lim.LockoutMax = cmp.Or(lim.LockoutMax, cfg.Safety.LockoutMax)
	lim.StepUpWindow = cmp.Or(lim.StepUpWindow, cfg.Safety.StepUpWindow)
	lim.SMSHourlyBudget = cmp.Or(lim.SMSHourlyBudget, cfg.Safety.SMSHourlyBudget)
	p.Auth, err = auth.New(auth.Options{
		Store: p.DB, Verifier: v, Captcha: p.Captcha, Hasher: hasher.WithObserver(p.Metrics), Texter: texter,
		LimitKey: p.Ring.Derive(keys.PurposeLimitKey), BackupKey: p.Ring.Derive(keys.PurposeBackupCode),
		ReplayKey: p.Ring.Derive(keys.PurposeReplay), Issuer: cfg.Issuer, DefaultRegion: cfg.DefaultRegion,
		Log: p.Log, Now: d.Now, Observer: p.Metrics, SMSCountries: cfg.Safety.SMSCountries, Limits: lim,
		Notifier: notifier, LinkKey: p.Ring.Derive(keys.PurposeLinkToken), PortalURL: cfg.BaseURL.String(),
	})
	return err
}

// buildWeb makes the HTTP handler.
func (p *Portal) buildWeb() (http.Handler, error) {
	cfg, d := p.Config, p.deps
	o := web.Options{
		Auth: p.Auth, Captcha: p.Captcha, PoW: p.PoW,
		SessionStore: store.Sessions{DB: p.DB}, Atomically: p.DB.Atomically, BaseURL: cfg.BaseURL,
		TrustedProxies: cfg.TrustedProxies, Ping: p.DB.Ping, Log: p.Log, Now: d.Now,
		Observer: p.Metrics, Ready: p.ready,
		RememberDevice: cfg.RememberDevice, CookieDomain: cfg.CookieDomain, Rules: p.Rules,
	}
	if d.Web != nil {
		d.Web(&o)
	}
	return web.New(o)
}

// ready is /readyz: everything wired, and the caller's own check.
func (p *Portal) ready(ctx context.Context) error {
	if p.Ring == nil || p.Auth == nil || p.Captcha == nil || p.DB == nil {
		return errors.New("portal: wiring incomplete: key, domain, CAPTCHA or database missing")
	}
	if p.deps.Ready != nil {
		return p.deps.Ready(ctx)
	}
	return nil
}

// CloseMail finishes the background steps that mail owners, then gives
// each queued mail its last attempt. Call it after the HTTP server stopped;
// calling it again is safe.
func (p *Portal) CloseMail(ctx context.Context) error {
	if p.Auth != nil {
		if err := p.Auth.Wait(ctx); err != nil {
			p.Log.Warn("background steps unfinished at shutdown", "err", err)
		}
	}
	if p.mail == nil {
		return nil
	}
	if err := p.mail.Close(ctx); err != nil {
		p.Log.Warn("mail undelivered at shutdown", "err", err)
		return fmt.Errorf("portal: close mail: %w", err)
	}
	return nil
}

// FlushMail waits until the background steps that mail owners are done and
// every queued mail has had its attempt, for tests that read what was sent.
func (p *Portal) FlushMail(ctx context.Context) error {
	if err := p.Auth.Wait(ctx); err != nil {
		return fmt.Errorf("portal: background steps: %w", err)
	}
	if err := p.mail.Flush(ctx); err != nil {
		return fmt.Errorf("portal: flush mail: %w", err)
	}
	return nil
}

// Close releases what Build opened, in reverse order, once: later calls do
// nothing. Mail still queued gets a few seconds to go out.
func (p *Portal) Close() {
	p.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.CloseMail(ctx)
		for i := len(p.closers) - 1; i >= 0; i-- {
			_ = p.closers[i]()
		}
	})
}
