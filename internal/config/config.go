// Package config loads the portal's settings from environment variables and
// command-line flags into one Config, and validates all of it at once.
package config

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"gatehouse/internal/verify"
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
	Pprof           bool           // GATEHOUSE_PPROF: Go's profiles on the metrics listener
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

// Var is one environment variable: its name, its default as people read
// it, and what it does. Vars is the one table of defaults: Load reads every
// variable's default from it (a default written in angle brackets, such as
// "<data dir>/…", is derived from another setting and read as empty).
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable with its default, for Load, the README and -help.
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
	{"GATEHOUSE_CAPTCHA_VERIFY_URL", "<the provider's siteverify URL>", "override of the siteverify URL"},
	{"GATEHOUSE_CAPTCHA_POW_MAXNUMBER", "100000", "proof-of-work difficulty (largest secret number)"},
	{"GATEHOUSE_DEFAULT_REGION", "US", "region for phone numbers typed without a country code"},
	{"GATEHOUSE_TRUSTED_PROXIES", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed"},
	{"GATEHOUSE_COOKIE_DOMAIN", "", "parent domain of the session cookie (e.g. example.com), shared with protected applications"},
	{"GATEHOUSE_ACCESS_RULES", "", "YAML file of access rules for protected applications; none: signed in means allowed"},
	{"GATEHOUSE_SECRET_KEY", "<generated in the data dir's secret.key>", "64 hex characters; the same on every instance"},
	{"GATEHOUSE_ISSUER", verify.DefaultIssuer, "name shown in authenticator apps"},
	{"GATEHOUSE_HASH_CONCURRENCY", "<number of CPUs>", "password hashes allowed to run at once"},
	{"GATEHOUSE_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"GATEHOUSE_METRICS_ADDR", "", "address of a separate listener for Prometheus metrics on /metrics; empty: off"},
	{"GATEHOUSE_PPROF", "false", "true: also serve Go's profiles (net/http/pprof) under /debug/pprof/ on the metrics listener"},
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
	if !httpURL(t.BaseURL) {
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

// httpURL reports whether s is an absolute http or https URL.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
