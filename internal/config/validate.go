package config

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/captcha"
)

// Validate checks a Config however it was made (Load, or a test building
// one), reporting every problem at once, each named by its variable. It
// normalises the cookie domain in place.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, a...)...))
	}
	between := func(name string, d, lo, hi time.Duration) {
		if d < lo || d > hi {
			bad(name, "must be a duration from %s to %s", lo, hi)
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("GATEHOUSE_ADDR", "must be host:port, got %q", c.Addr)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("GATEHOUSE_METRICS_ADDR", "must be host:port, got %q", c.MetricsAddr)
		} else if c.MetricsAddr == c.Addr {
			bad("GATEHOUSE_METRICS_ADDR", "must differ from GATEHOUSE_ADDR: metrics never go on the public port")
		}
	} else if c.Pprof {
		bad("GATEHOUSE_PPROF", "needs GATEHOUSE_METRICS_ADDR: profiles are served only on the metrics listener")
	}
	if u := c.BaseURL; u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		bad("GATEHOUSE_BASE_URL", "must be an http or https URL with no path")
	}
	if c.PoWMaxNumber < 1 || c.PoWMaxNumber > 10_000_000 {
		bad("GATEHOUSE_CAPTCHA_POW_MAXNUMBER", "must be a whole number from 1 to 10000000")
	}
	if c.HashConcurrency < 0 || c.HashConcurrency > 256 {
		bad("GATEHOUSE_HASH_CONCURRENCY", "must be a whole number from 1 to 256")
	}
	between("GATEHOUSE_TWILIO_TIMEOUT", c.Twilio.Timeout, time.Millisecond, 2*time.Minute)
	between("GATEHOUSE_SHUTDOWN_TIMEOUT", c.ShutdownTimeout, time.Millisecond, 10*time.Minute)
	between("GATEHOUSE_REMEMBER_DEVICE", c.RememberDevice, 0, 8760*time.Hour)
	between("GATEHOUSE_ACTIVITY_RETENTION", c.ActivityRetention, time.Hour, 100*8760*time.Hour)
	if len(c.DefaultRegion) != 2 {
		bad("GATEHOUSE_DEFAULT_REGION", "must be a two-letter region code such as US, got %q", c.DefaultRegion)
	}
	var err error
	if c.CookieDomain, err = access.ParseCookieDomain(c.CookieDomain); err != nil {
		bad("GATEHOUSE_COOKIE_DOMAIN", "%w", err)
	}
	if c.AccessRules != "" {
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
	if c.CaptchaURL != "" && !httpURL(c.CaptchaURL) {
		bad("GATEHOUSE_CAPTCHA_VERIFY_URL", "must be an http or https URL")
	}
	switch c.Verify {
	case "local":
	case "twilio":
		errs = append(errs, c.Twilio.validate()...)
	default:
		bad("GATEHOUSE_VERIFY", "must be local or twilio, got %q", c.Verify)
	}
	errs = append(errs, c.Safety.validate()...)
	errs = append(errs, c.Mail.validate()...)
	return errors.Join(errs...)
}
