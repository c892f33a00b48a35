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
)

// Load reads the configuration from getenv and the flags in args (flags
// win), every default from Vars, then validates it (Validate): every
// problem is reported at once.
func Load(getenv func(string) string, args []string) (Config, error) {
	r := reader(getenv)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", r.get("GATEHOUSE_ADDR"), "address to listen on")
	dataDir := fs.String("data-dir", r.get("GATEHOUSE_DATA_DIR"), "data directory")
	dbURL := fs.String("database-url", r.get("GATEHOUSE_DATABASE_URL"), "database URL")
	baseURL := fs.String("base-url", r.get("GATEHOUSE_BASE_URL"), "public base URL")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments %q", fs.Args())
	}
	p := &parser{r: r}
	c := Config{
		Addr: *addr, DataDir: *dataDir, DatabaseURL: *dbURL,
		Verify:         strings.ToLower(r.get("GATEHOUSE_VERIFY")),
		SMSOutbox:      r.get("GATEHOUSE_SMS_OUTBOX"),
		Captcha:        strings.ToLower(r.get("GATEHOUSE_CAPTCHA")),
		CaptchaSiteKey: r.get("GATEHOUSE_CAPTCHA_SITE_KEY"),
		CaptchaSecret:  r.get("GATEHOUSE_CAPTCHA_SECRET"),
		CaptchaURL:     r.get("GATEHOUSE_CAPTCHA_VERIFY_URL"),
		DefaultRegion:  strings.ToUpper(r.get("GATEHOUSE_DEFAULT_REGION")),
		Issuer:         r.get("GATEHOUSE_ISSUER"),
		LogLevel:       strings.ToLower(r.get("GATEHOUSE_LOG_LEVEL")),
		MetricsAddr:    r.get("GATEHOUSE_METRICS_ADDR"),
		CookieDomain:   r.get("GATEHOUSE_COOKIE_DOMAIN"),
		AccessRules:    r.get("GATEHOUSE_ACCESS_RULES"),
		Twilio: Twilio{
			AccountSID:    r.get("TWILIO_ACCOUNT_SID"),
			AuthToken:     r.get("TWILIO_AUTH_TOKEN"),
			APIKeySID:     r.get("TWILIO_API_KEY_SID"),
			APIKeySecret:  r.get("TWILIO_API_KEY_SECRET"),
			ServiceSID:    r.get("TWILIO_VERIFY_SERVICE_SID"),
			AnonSID:       r.get("TWILIO_VERIFY_ANON_SERVICE_SID"),
			MessagingFrom: r.get("TWILIO_MESSAGING_FROM"),
			BaseURL:       r.get("GATEHOUSE_TWILIO_BASE_URL"),
			Timeout:       p.duration("GATEHOUSE_TWILIO_TIMEOUT"),
		},
		SMSConsole:        p.bool("GATEHOUSE_SMS_CONSOLE"),
		Pprof:             p.bool("GATEHOUSE_PPROF"),
		PoWMaxNumber:      int64(p.int("GATEHOUSE_CAPTCHA_POW_MAXNUMBER")),
		ShutdownTimeout:   p.duration("GATEHOUSE_SHUTDOWN_TIMEOUT"),
		RememberDevice:    p.duration("GATEHOUSE_REMEMBER_DEVICE"),
		ActivityRetention: p.duration("GATEHOUSE_ACTIVITY_RETENTION"),
	}
	if r.get("GATEHOUSE_HASH_CONCURRENCY") != "" {
		c.HashConcurrency = p.int("GATEHOUSE_HASH_CONCURRENCY")
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "gatehouse.db")
	}
	if c.SMSOutbox == "" {
		c.SMSOutbox = filepath.Join(c.DataDir, "sms-outbox.jsonl")
	}
	rawBase := *baseURL
	if rawBase == "" {
		rawBase = "http://" + c.Addr
	}
	if u, err := url.Parse(rawBase); err == nil {
		c.BaseURL = u
	} else {
		p.bad("GATEHOUSE_BASE_URL", "must be an http or https URL with no path, got %q", rawBase)
	}
	if v := r.get("GATEHOUSE_SECRET_KEY"); v != "" {
		if k, err := hex.DecodeString(v); err != nil || len(k) != 32 {
			p.bad("GATEHOUSE_SECRET_KEY", "must be 64 hex characters (32 bytes)")
		} else {
			c.SecretKey = k
		}
	}
	c.TrustedProxies = p.prefixes("GATEHOUSE_TRUSTED_PROXIES")
	c.Safety = loadSafety(p, c.DefaultRegion)
	c.Mail = loadMail(p, c.DataDir)
	errs := append(p.errs, c.Validate())
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// parser reads typed values, collecting one error per bad variable.
type parser struct {
	r    reader
	errs []error
}

func (p *parser) bad(name, format string, a ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: "+format, append([]any{name}, a...)...))
}

func (p *parser) bool(name string) bool {
	b, err := strconv.ParseBool(p.r.get(name))
	if err != nil {
		p.bad(name, "must be true or false")
	}
	return b
}

func (p *parser) int(name string) int {
	n, err := strconv.Atoi(p.r.get(name))
	if err != nil {
		p.bad(name, "must be a whole number")
	}
	return n
}

func (p *parser) duration(name string) time.Duration {
	d, err := time.ParseDuration(p.r.get(name))
	if err != nil {
		p.bad(name, "must be a duration such as %s", defaults()[name])
	}
	return d
}

// prefixes reads comma-separated CIDRs or single addresses.
func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range strings.Split(p.r.get(name), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		pre, err := netip.ParsePrefix(s)
		if err != nil {
			a, err2 := netip.ParseAddr(s)
			if err2 != nil {
				p.bad(name, "%q is not a CIDR", s)
				continue
			}
			pre = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, pre.Masked())
	}
	return out
}
