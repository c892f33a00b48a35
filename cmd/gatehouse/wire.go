package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
)

// app is everything the portal is wired from.
type app struct {
	cfg     config.Config
	log     *slog.Logger
	db      *store.DB
	ring    *keys.Ring
	auth    *auth.Service
	captcha captcha.Captcha
	pow     *captcha.PoW
	metrics *metrics.Metrics
	mail    *mail.Queue
	closers []io.Closer
	once    sync.Once
}

// Close closes what build opened, in reverse order, once: later calls do
// nothing.
func (a *app) Close() {
	a.once.Do(func() {
		for i := len(a.closers) - 1; i >= 0; i-- {
			a.closers[i].Close()
		}
	})
}

// closeSteps are the last steps of a graceful shutdown, after the servers
// and workers have stopped: the outboxes flush, then the database closes.
// The SMS outbox writes and syncs each message before the send returns, so
// it has nothing left to flush; the mail queue delivers what it holds.
func (a *app) closeSteps() []step {
	return []step{
		{"mail", a.closeMail},
		{"database", func(context.Context) error {
			a.Close()
			return nil
		}},
	}
}

// complete reports whether everything the portal needs was built, for
// /readyz. Load and build already refuse an incomplete configuration, so
// this fails only if a future wiring path skips a part.
func (a *app) complete() error {
	if a.ring == nil || a.auth == nil || a.captcha == nil || a.db == nil {
		return errors.New("wiring incomplete: key, domain, CAPTCHA or database missing")
	}
	return nil
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// build wires config → store → providers → domain.
func build(ctx context.Context, cfg config.Config, stderr io.Writer) (*app, error) {
	a := &app{cfg: cfg, log: newLogger(cfg.LogLevel, stderr), metrics: metrics.New()}
	key := cfg.SecretKey
	if key == nil {
		var err error
		if key, err = loadOrCreateKey(filepath.Join(cfg.DataDir, "secret.key")); err != nil {
			return nil, err
		}
	}
	ring, err := keys.New(key)
	if err != nil {
		return nil, err
	}
	a.ring = ring
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	a.db = db
	a.closers = append(a.closers, db)

	v, err := a.verifier(stderr)
	if err != nil {
		a.Close()
		return nil, err
	}
	// The notice to an old number goes through the backend itself, which
	// the metrics wrapper below would hide.
	texter, _ := v.(verify.Texter)
	v = verify.Observe(v, a.metrics)
	if err := a.captchaProvider(); err != nil {
		a.Close()
		return nil, err
	}
	hasher, err := password.NewHasher(password.DefaultParams, cfg.HashConcurrency, nil)
	if err != nil {
		a.Close()
		return nil, err
	}
	hasher = hasher.WithObserver(a.metrics)
	notifier, err := a.mailer(stderr)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.auth, err = auth.New(auth.Options{
		Store: db, Verifier: v, Captcha: a.captcha, Hasher: hasher, Texter: texter,
		LimitKey: ring.Derive(keys.PurposeLimitKey), BackupKey: ring.Derive(keys.PurposeBackupCode),
		ReplayKey: ring.Derive(keys.PurposeReplay), Issuer: cfg.Issuer, DefaultRegion: cfg.DefaultRegion, Log: a.log,
		Observer:     a.metrics,
		SMSCountries: cfg.Safety.SMSCountries,
		Limits: auth.Limits{LockoutMax: cfg.Safety.LockoutMax, StepUpWindow: cfg.Safety.StepUpWindow,
			SMSHourlyBudget: cfg.Safety.SMSHourlyBudget},
		Notifier: notifier, LinkKey: ring.Derive(keys.PurposeLinkToken), PortalURL: cfg.BaseURL.String(),
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) verifier(stderr io.Writer) (verify.Verifier, error) {
	switch a.cfg.Verify {
	case "local":
		var senders []local.Sender
		if a.cfg.SMSConsole {
			senders = append(senders, local.NewConsoleSender(stderr))
		}
		if a.cfg.SMSOutbox != "off" {
			ob, err := local.NewOutboxSender(a.cfg.SMSOutbox)
			if err != nil {
				return nil, fmt.Errorf("sms outbox: %w", err)
			}
			senders = append(senders, ob)
		}
		return local.New(local.Options{
			Store: a.db, Sender: local.MultiSender(senders...), Issuer: a.cfg.Issuer,
			CodeKey: a.ring.Derive(keys.PurposeCodeHash), SecretKey: a.ring.Derive(keys.PurposeTOTPEncrypt),
		})
	case "twilio":
		t := a.cfg.Twilio
		if t.AnonSID == "" {
			a.log.Warn("TWILIO_VERIFY_ANON_SERVICE_SID is not set: registrations and phone changes share the sign-in Verify service")
		}
		return twilio.New(twilio.Options{
			AccountSID: t.AccountSID, AuthToken: t.AuthToken, APIKeySID: t.APIKeySID, APIKeySecret: t.APIKeySecret,
			ServiceSID: t.ServiceSID, AnonServiceSID: t.AnonSID, MessagingFrom: t.MessagingFrom,
			BaseURL: t.BaseURL, Timeout: t.Timeout, Issuer: a.cfg.Issuer, Log: a.log,
		})
	default:
		return nil, fmt.Errorf("GATEHOUSE_VERIFY=%s is not supported", a.cfg.Verify)
	}
}

func (a *app) captchaProvider() error {
	if a.cfg.Captcha == "pow" {
		p, err := captcha.NewPoW(captcha.PoWOptions{
			Key: a.ring.Derive(keys.PurposeCaptcha), UsedKey: a.ring.Derive(keys.PurposeCaptchaUsed),
			Spender: a.db, MaxNumber: a.cfg.PoWMaxNumber,
		})
		if err != nil {
			return err
		}
		a.captcha, a.pow = p, p
		return nil
	}
	sv, err := captcha.NewSiteverify(captcha.SiteverifyOptions{
		Kind: a.cfg.Captcha, SiteKey: a.cfg.CaptchaSiteKey, Secret: a.cfg.CaptchaSecret,
		VerifyURL: a.cfg.CaptchaURL, Spender: a.db, UsedKey: a.ring.Derive(keys.PurposeCaptchaUsed),
	})
	if err != nil {
		return err
	}
	a.captcha = sv
	return nil
}

// loadOrCreateKey reads the hex key file, creating it with a fresh random
// key (mode 0600) when it does not exist.
func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("key file %s: must hold 64 hex characters", path)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateKey(path) // another instance won the race
	}
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	return k, nil
}
