// Package config loads the portal's settings from environment variables and
// command-line flags into one Config, and validates all of it at once.
package config

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/captcha"
)

// Config is every setting of the portal.
type Config struct {
	Addr            string         // GATEHOUSE_ADDR
	DataDir         string         // GATEHOUSE_DATA_DIR
	DatabaseURL     string         // GATEHOUSE_DATABASE_URL
	BaseURL         *url.URL       // GATEHOUSE_BASE_URL
	Verify          string         // GATEHOUSE_VERIFY: local | twilio
	SMSOutbox       string         // GATEHOUSE_SMS_OUTBOX; "off" disables
	SMSConsole      bool           // GATEHOUSE_SMS_CONSOLE
	Captcha         string         // GATEHOUSE_CAPTCHA: pow | recaptcha | hcaptcha | turnstile
	CaptchaSiteKey  string         // GATEHOUSE_CAPTCHA_SITE_KEY
	CaptchaSecret   string         // GATEHOUSE_CAPTCHA_SECRET
	CaptchaURL      string         // GATEHOUSE_CAPTCHA_VERIFY_URL (tests, proxies)
	PoWMaxNumber    int64          // GATEHOUSE_CAPTCHA_POW_MAXNUMBER
	DefaultRegion   string         // GATEHOUSE_DEFAULT_REGION
	TrustedProxies  []netip.Prefix // GATEHOUSE_TRUSTED_PROXIES
	CookieDomain    string         // GATEHOUSE_COOKIE_DOMAIN, lower case; "": the portal's host only
	AccessRules     string         // GATEHOUSE_ACCESS_RULES: path of the rules file; "": none
	SecretKey       []byte         // GATEHOUSE_SECRET_KEY (32 bytes); nil: a key file in DataDir
	Issuer          string         // GATEHOUSE_ISSUER
	HashConcurrency int            // GATEHOUSE_HASH_CONCURRENCY
	LogLevel        string         // GATEHOUSE_LOG_LEVEL: debug | info | warn | error
	MetricsAddr     string         // GATEHOUSE_METRICS_ADDR; "" serves no metrics
	ShutdownTimeout time.Duration  // GATEHOUSE_SHUTDOWN_TIMEOUT

	RememberDevice    time.Duration // GATEHOUSE_REMEMBER_DEVICE; 0 turns "remember this device" off
	ActivityRetention time.Duration // GATEHOUSE_ACTIVITY_RETENTION

	Twilio Twilio
	Safety Safety
	Mail   Mail // GATEHOUSE_SMTP_URL, GATEHOUSE_MAIL_* (mail.go)
}

// Twilio holds the Twilio Verify settings.
type Twilio struct {
	AccountSID    string        // TWILIO_ACCOUNT_SID
	AuthToken     string        // TWILIO_AUTH_TOKEN
	APIKeySID     string        // TWILIO_API_KEY_SID
	APIKeySecret  string        // TWILIO_API_KEY_SECRET
	ServiceSID    string        // TWILIO_VERIFY_SERVICE_SID
	AnonSID       string        // TWILIO_VERIFY_ANON_SERVICE_SID
	MessagingFrom string        // TWILIO_MESSAGING_FROM
	BaseURL       string        // GATEHOUSE_TWILIO_BASE_URL
	Timeout       time.Duration // GATEHOUSE_TWILIO_TIMEOUT
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable with its default, for the README and -help.
var Vars = []Var{
	{"GATEHOUSE_ADDR", "127.0.0.1:8080", "address to listen on"},
	{"GATEHOUSE_DATA_DIR", "./data", "directory for the SQLite database, the key file and the SMS outbox"},
	{"GATEHOUSE_DATABASE_URL", "sqlite:<data dir>/gatehouse.db", "database: sqlite:PATH or postgres://…"},
	{"GATEHOUSE_BASE_URL", "http://<addr>", "public URL; https turns on Secure cookies and HSTS"},
	{"GATEHOUSE_VERIFY", "local", "verify backend: local (embedded engine) or twilio"},
	{"GATEHOUSE_SMS_OUTBOX", "<data dir>/sms-outbox.jsonl", "local engine: JSON Lines file of sent SMS; off to disable"},
	{"GATEHOUSE_SMS_CONSOLE", "true", "local engine: print each SMS on stderr"},
	{"GATEHOUSE_CAPTCHA", "pow", "CAPTCHA: pow (embedded proof of work), recaptcha, hcaptcha or turnstile"},
	{"GATEHOUSE_CAPTCHA_SITE_KEY", "", "site key of a third-party CAPTCHA"},
	{"GATEHOUSE_CAPTCHA_SECRET", "", "secret of a third-party CAPTCHA"},
	{"GATEHOUSE_CAPTCHA_VERIFY_URL", "the provider's siteverify URL", "override of the siteverify URL"},
	{"GATEHOUSE_CAPTCHA_POW_MAXNUMBER", "100000", "proof-of-work difficulty (largest secret number)"},
	{"GATEHOUSE_DEFAULT_REGION", "US", "region for phone numbers typed without a country code"},
	{"GATEHOUSE_TRUSTED_PROXIES", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed"},
	{"GATEHOUSE_COOKIE_DOMAIN", "", "parent domain of the session cookie (e.g. example.com), shared with protected applications"},
	{"GATEHOUSE_ACCESS_RULES", "", "YAML file of access rules for protected applications; none: signed in means allowed"},
	{"GATEHOUSE_SECRET_KEY", "generated in <data dir>/secret.key", "64 hex characters; the same on every instance"},
	{"GATEHOUSE_ISSUER", "Gatehouse", "name shown in authenticator apps"},
	{"GATEHOUSE_HASH_CONCURRENCY", "number of CPUs", "password hashes allowed to run at once"},
	{"GATEHOUSE_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"GATEHOUSE_METRICS_ADDR", "", "address of a separate listener for Prometheus metrics on /metrics; empty: off"},
	{"GATEHOUSE_SHUTDOWN_TIMEOUT", "15s", "on SIGTERM or SIGINT, how long requests in flight may take to finish"},
	{"GATEHOUSE_REMEMBER_DEVICE", "720h", "how long \"don't ask again on this device\" skips the second factor; 0 turns it off"},
	{"GATEHOUSE_ACTIVITY_RETENTION", "2160h", "how long security activity is kept"},
	{"GATEHOUSE_TWILIO_BASE_URL", "https://verify.twilio.com", "Twilio Verify base URL (tests, egress proxies)"},
	{"GATEHOUSE_TWILIO_TIMEOUT", "5s", "timeout of each Twilio call"},
	{"TWILIO_ACCOUNT_SID", "", "Twilio account SID (AC…)"},
	{"TWILIO_AUTH_TOKEN", "", "Twilio auth token (or use an API key)"},
	{"TWILIO_API_KEY_SID", "", "Twilio API key SID (SK…)"},
	{"TWILIO_API_KEY_SECRET", "", "Twilio API key secret"},
	{"TWILIO_VERIFY_SERVICE_SID", "", "Twilio Verify service SID (VA…)"},
	{"GATEHOUSE_SMTP_URL", "", "SMTP server for mail, smtp://user:password@host:587 or smtps://…; unset: the outbox"},
	{"GATEHOUSE_MAIL_FROM", "", "sender address of mail, required with GATEHOUSE_SMTP_URL"},
	{"GATEHOUSE_MAIL_OUTBOX", "<data dir>/mail-outbox.jsonl", "without SMTP: JSON Lines file of sent mail; off to disable"},
	{"GATEHOUSE_MAIL_CONSOLE", "true", "without SMTP: print each mail on stderr"},
}

// Load reads the configuration from getenv and the flags in args (flags win),
// then validates it, reporting every problem at once.
func Load(getenv func(string) string, args []string) (Config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", env("GATEHOUSE_ADDR", "127.0.0.1:8080"), "address to listen on")
	dataDir := fs.String("data-dir", env("GATEHOUSE_DATA_DIR", "./data"), "data directory")
	dbURL := fs.String("database-url", env("GATEHOUSE_DATABASE_URL", ""), "database URL")
	baseURL := fs.String("base-url", env("GATEHOUSE_BASE_URL", ""), "public base URL")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments %q", fs.Args())
	}
	var errs []error
	bad := func(name, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, a...)...))
	}
	c := Config{
		Addr:           *addr,
		DataDir:        *dataDir,
		DatabaseURL:    *dbURL,
		Verify:         strings.ToLower(env("GATEHOUSE_VERIFY", "local")),
		SMSOutbox:      env("GATEHOUSE_SMS_OUTBOX", ""),
		Captcha:        strings.ToLower(env("GATEHOUSE_CAPTCHA", "pow")),
		CaptchaSiteKey: env("GATEHOUSE_CAPTCHA_SITE_KEY", ""),
		CaptchaSecret:  env("GATEHOUSE_CAPTCHA_SECRET", ""),
		CaptchaURL:     env("GATEHOUSE_CAPTCHA_VERIFY_URL", ""),
		DefaultRegion:  strings.ToUpper(env("GATEHOUSE_DEFAULT_REGION", "US")),
		Issuer:         env("GATEHOUSE_ISSUER", "Gatehouse"),
		LogLevel:       strings.ToLower(env("GATEHOUSE_LOG_LEVEL", "info")),
		MetricsAddr:    env("GATEHOUSE_METRICS_ADDR", ""),
		Twilio: Twilio{
			AccountSID:    env("TWILIO_ACCOUNT_SID", ""),
			AuthToken:     env("TWILIO_AUTH_TOKEN", ""),
			APIKeySID:     env("TWILIO_API_KEY_SID", ""),
			APIKeySecret:  env("TWILIO_API_KEY_SECRET", ""),
			ServiceSID:    env("TWILIO_VERIFY_SERVICE_SID", ""),
			AnonSID:       env("TWILIO_VERIFY_ANON_SERVICE_SID", ""),
			MessagingFrom: env("TWILIO_MESSAGING_FROM", ""),
			BaseURL:       env("GATEHOUSE_TWILIO_BASE_URL", "https://verify.twilio.com"),
		},
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "gatehouse.db")
	}
	if c.SMSOutbox == "" {
		c.SMSOutbox = filepath.Join(c.DataDir, "sms-outbox.jsonl")
	}
	var err error
	if c.SMSConsole, err = strconv.ParseBool(env("GATEHOUSE_SMS_CONSOLE", "true")); err != nil {
		bad("GATEHOUSE_SMS_CONSOLE", "must be true or false")
	}
	if c.PoWMaxNumber, err = strconv.ParseInt(env("GATEHOUSE_CAPTCHA_POW_MAXNUMBER", "100000"), 10, 64); err != nil || c.PoWMaxNumber < 1 || c.PoWMaxNumber > 10_000_000 {
		bad("GATEHOUSE_CAPTCHA_POW_MAXNUMBER", "must be a whole number from 1 to 10000000")
	}
	if v := env("GATEHOUSE_HASH_CONCURRENCY", ""); v != "" {
		if c.HashConcurrency, err = strconv.Atoi(v); err != nil || c.HashConcurrency < 1 || c.HashConcurrency > 256 {
			bad("GATEHOUSE_HASH_CONCURRENCY", "must be a whole number from 1 to 256")
		}
	}
	if c.Twilio.Timeout, err = time.ParseDuration(env("GATEHOUSE_TWILIO_TIMEOUT", "5s")); err != nil || c.Twilio.Timeout <= 0 || c.Twilio.Timeout > 2*time.Minute {
		bad("GATEHOUSE_TWILIO_TIMEOUT", "must be a duration such as 5s, at most 2m")
	}
	if c.RememberDevice, err = time.ParseDuration(env("GATEHOUSE_REMEMBER_DEVICE", "720h")); err != nil || c.RememberDevice < 0 || c.RememberDevice > 8760*time.Hour {
		bad("GATEHOUSE_REMEMBER_DEVICE", "must be a duration such as 720h, from 0 (off) to 8760h")
	}
	if c.ActivityRetention, err = time.ParseDuration(env("GATEHOUSE_ACTIVITY_RETENTION", "2160h")); err != nil || c.ActivityRetention < time.Hour {
		bad("GATEHOUSE_ACTIVITY_RETENTION", "must be a duration such as 2160h, at least 1h")
	}
	if _, _, err := splitHostPort(c.Addr); err != nil {
		bad("GATEHOUSE_ADDR", "must be host:port, got %q", c.Addr)
	}
	if _, _, err := splitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		bad("GATEHOUSE_METRICS_ADDR", "must be host:port, got %q", c.MetricsAddr)
	} else if c.MetricsAddr != "" && c.MetricsAddr == c.Addr {
		bad("GATEHOUSE_METRICS_ADDR", "must differ from GATEHOUSE_ADDR: metrics never go on the public port")
	}
	if c.ShutdownTimeout, err = time.ParseDuration(env("GATEHOUSE_SHUTDOWN_TIMEOUT", "15s")); err != nil || c.ShutdownTimeout <= 0 || c.ShutdownTimeout > 10*time.Minute {
		bad("GATEHOUSE_SHUTDOWN_TIMEOUT", "must be a duration such as 15s, at most 10m")
	}
	raw := *baseURL
	if raw == "" {
		raw = "http://" + c.Addr
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		bad("GATEHOUSE_BASE_URL", "must be an http or https URL with no path, got %q", raw)
	} else {
		c.BaseURL = u
	}
	if v := env("GATEHOUSE_SECRET_KEY", ""); v != "" {
		k, err := hex.DecodeString(v)
		if err != nil || len(k) != 32 {
			bad("GATEHOUSE_SECRET_KEY", "must be 64 hex characters (32 bytes)")
		} else {
			c.SecretKey = k
		}
	}
	if len(c.DefaultRegion) != 2 {
		bad("GATEHOUSE_DEFAULT_REGION", "must be a two-letter region code such as US, got %q", c.DefaultRegion)
	}
	for _, s := range strings.Split(env("GATEHOUSE_TRUSTED_PROXIES", ""), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, err2 := netip.ParseAddr(s); err2 == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				bad("GATEHOUSE_TRUSTED_PROXIES", "%q is not a CIDR", s)
				continue
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	if c.CookieDomain, err = access.ParseCookieDomain(env("GATEHOUSE_COOKIE_DOMAIN", "")); err != nil {
		bad("GATEHOUSE_COOKIE_DOMAIN", "%w", err)
	}
	if c.AccessRules = env("GATEHOUSE_ACCESS_RULES", ""); c.AccessRules != "" {
		if _, err := access.Load(c.AccessRules); err != nil {
			bad("GATEHOUSE_ACCESS_RULES", "%w", err)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("GATEHOUSE_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if p, known := captcha.Lookup(c.Captcha); !known {
		bad("GATEHOUSE_CAPTCHA", "must be one of %s, got %q", strings.Join(captcha.Kinds(), ", "), c.Captcha)
	} else if p.VerifyURL != "" {
		if c.CaptchaSiteKey == "" {
			bad("GATEHOUSE_CAPTCHA_SITE_KEY", "is required with GATEHOUSE_CAPTCHA=%s", c.Captcha)
		}
		if c.CaptchaSecret == "" {
			bad("GATEHOUSE_CAPTCHA_SECRET", "is required with GATEHOUSE_CAPTCHA=%s", c.Captcha)
		}
	}
	if c.CaptchaURL != "" {
		if u, err := url.Parse(c.CaptchaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("GATEHOUSE_CAPTCHA_VERIFY_URL", "must be an http or https URL")
		}
	}
	c.Safety = loadSafety(env, c.DefaultRegion, bad)
	switch c.Verify {
	case "local":
	case "twilio":
		errs = append(errs, c.Twilio.validate()...)
	default:
		bad("GATEHOUSE_VERIFY", "must be local or twilio, got %q", c.Verify)
	}
	var mailErrs []error
	c.Mail, mailErrs = loadMail(env, c.DataDir)
	errs = append(errs, mailErrs...)
	if len(errs) > 0 {
		return c, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

func (t Twilio) validate() []error {
	var errs []error
	bad := func(name, msg string) { errs = append(errs, fmt.Errorf("%s: %s", name, msg)) }
	if !sid(t.AccountSID, "AC") {
		bad("TWILIO_ACCOUNT_SID", "is required with GATEHOUSE_VERIFY=twilio and must look like AC followed by 32 hex characters")
	}
	if !sid(t.ServiceSID, "VA") {
		bad("TWILIO_VERIFY_SERVICE_SID", "is required with GATEHOUSE_VERIFY=twilio and must look like VA followed by 32 hex characters")
	}
	switch {
	case t.AuthToken != "" && (t.APIKeySID != "" || t.APIKeySecret != ""):
		bad("TWILIO_AUTH_TOKEN", "set either TWILIO_AUTH_TOKEN or TWILIO_API_KEY_SID with TWILIO_API_KEY_SECRET, not both")
	case t.AuthToken != "":
	case t.APIKeySID == "" && t.APIKeySecret == "":
		bad("TWILIO_AUTH_TOKEN", "is required with GATEHOUSE_VERIFY=twilio (or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)")
	default:
		if !sid(t.APIKeySID, "SK") {
			bad("TWILIO_API_KEY_SID", "must look like SK followed by 32 hex characters")
		}
		if t.APIKeySecret == "" {
			bad("TWILIO_API_KEY_SECRET", "is required with TWILIO_API_KEY_SID")
		}
	}
	if t.AnonSID != "" && (!sid(t.AnonSID, "VA") || t.AnonSID == t.ServiceSID) {
		bad("TWILIO_VERIFY_ANON_SERVICE_SID", "must look like VA followed by 32 hex characters and differ from TWILIO_VERIFY_SERVICE_SID")
	}
	if u, err := url.Parse(t.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("GATEHOUSE_TWILIO_BASE_URL", "must be an http or https URL")
	}
	return errs
}

// sid reports whether s is prefix followed by 32 hex characters.
func sid(s, prefix string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, prefix) {
		return false
	}
	_, err := hex.DecodeString(s[2:])
	return err == nil
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, errors.New("missing port")
	}
	p, err := strconv.Atoi(addr[i+1:])
	if err != nil || p < 0 || p > 65535 {
		return "", 0, errors.New("bad port")
	}
	return addr[:i], p, nil
}
