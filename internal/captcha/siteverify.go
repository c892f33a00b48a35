package captcha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	// DefaultSiteverifyTimeout bounds a provider call when no Client is given.
	DefaultSiteverifyTimeout = 10 * time.Second
	// spentTTL is how long a provider token is remembered locally; providers
	// let a token live about two to five minutes.
	spentTTL = 5 * time.Minute
	// maxProviderToken is far above any provider's token length.
	maxProviderToken = 16 << 10
	// maxVerifyBody caps the provider's answer, a small JSON object.
	maxVerifyBody = 64 << 10
)

// SiteverifyOptions configures NewSiteverify. Zero values mean the defaults.
type SiteverifyOptions struct {
	Kind      string           // "recaptcha", "hcaptcha" or "turnstile"
	SiteKey   string           // public key for the browser widget; required
	Secret    string           // private key sent to the provider; required, never logged
	VerifyURL string           // default: the provider's siteverify endpoint for Kind
	Client    *http.Client     // default: a client with a 10 second timeout
	Spender   Spender          // records spent tokens; required
	UsedKey   []byte           // HMAC key hashing spent tokens (keys.PurposeCaptchaUsed); at least 16 bytes
	Now       func() time.Time // clock; default time.Now
}

// Siteverify checks tokens of a hosted CAPTCHA (reCAPTCHA, hCaptcha or
// Turnstile) with the provider's siteverify API.
type Siteverify struct {
	kind, siteKey, secret, verifyURL string
	client                           *http.Client
	spender                          Spender
	usedKey                          []byte
	now                              func() time.Time
}

// verifyAnswer is the part of the provider's JSON answer all three share.
type verifyAnswer struct {
	Success    *bool    `json:"success"`
	ErrorCodes []string `json:"error-codes"`
}

// NewSiteverify returns a Captcha backed by a provider's siteverify API.
func NewSiteverify(o SiteverifyOptions) (*Siteverify, error) {
	var errs []error
	p, known := Lookup(o.Kind)
	defaultURL := p.VerifyURL
	if !known || defaultURL == "" {
		errs = append(errs, fmt.Errorf("captcha: unknown kind %q (want recaptcha, hcaptcha or turnstile)", o.Kind))
	}
	if o.SiteKey == "" {
		errs = append(errs, fmt.Errorf("captcha %s: SiteKey is required", o.Kind))
	}
	if o.Secret == "" {
		errs = append(errs, fmt.Errorf("captcha %s: Secret is required", o.Kind))
	}
	if o.Spender == nil {
		errs = append(errs, fmt.Errorf("captcha %s: Spender is required", o.Kind))
	}
	if len(o.UsedKey) < minKeyLen {
		errs = append(errs, fmt.Errorf("captcha %s: UsedKey must have at least %d bytes", o.Kind, minKeyLen))
	}
	if o.VerifyURL != "" {
		if u, err := url.Parse(o.VerifyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("captcha %s: VerifyURL must be an absolute http(s) URL", o.Kind))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Siteverify{
		kind:      o.Kind,
		siteKey:   o.SiteKey,
		secret:    o.Secret,
		verifyURL: o.VerifyURL,
		client:    o.Client,
		spender:   o.Spender,
		usedKey:   append([]byte(nil), o.UsedKey...),
		now:       o.Now,
	}
	if s.verifyURL == "" {
		s.verifyURL = defaultURL
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: DefaultSiteverifyTimeout}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Kind returns "recaptcha", "hcaptcha" or "turnstile".
func (s *Siteverify) Kind() string { return s.kind }

// SiteKey returns the public key the provider's widget needs.
func (s *Siteverify) SiteKey() string { return s.siteKey }

// Verify spends token locally, then asks the provider. A token seen before
// fails with ErrReused without a provider call; a token the provider could
// not check stays spent, and the user solves a new one.
func (s *Siteverify) Verify(ctx context.Context, token, remoteIP string) error {
	if token == "" {
		return fmt.Errorf("captcha %s: %w", s.kind, ErrMissing)
	}
	if len(token) > maxProviderToken {
		return fmt.Errorf("captcha %s: token too long: %w", s.kind, ErrInvalid)
	}
	now := s.now()
	if err := spend(ctx, s.spender, s.usedKey, token, now.Add(spentTTL), now); err != nil {
		return err
	}
	ans, err := s.ask(ctx, token, remoteIP)
	if err != nil {
		return err
	}
	if *ans.Success {
		return nil
	}
	codes := logSafe(ans.ErrorCodes)
	if slices.Contains(ans.ErrorCodes, "timeout-or-duplicate") {
		return fmt.Errorf("captcha %s: refused %v: %w", s.kind, codes, ErrExpired)
	}
	return fmt.Errorf("captcha %s: refused %v: %w", s.kind, codes, ErrInvalid)
}

// ask posts the token to the provider and parses its answer. Every failure
// to get a well-formed answer is ErrUnavailable.
func (s *Siteverify) ask(ctx context.Context, token, remoteIP string) (verifyAnswer, error) {
	var ans verifyAnswer
	form := url.Values{"secret": {s.secret}, "response": {token}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.verifyURL, strings.NewReader(form.Encode()))
	if err != nil {
		return ans, fmt.Errorf("captcha %s: siteverify request: %w: %w", s.kind, ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return ans, fmt.Errorf("captcha %s: siteverify: %w: %w", s.kind, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxVerifyBody))
	if err != nil {
		return ans, fmt.Errorf("captcha %s: siteverify read: %w: %w", s.kind, ErrUnavailable, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return ans, fmt.Errorf("captcha %s: siteverify status %d: %w", s.kind, resp.StatusCode, ErrUnavailable)
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.Success == nil {
		return ans, fmt.Errorf("captcha %s: siteverify answered no verdict: %w", s.kind, ErrUnavailable)
	}
	return ans, nil
}

// logSafe keeps the first few error codes, cut short and reduced to the
// characters error codes use, so a hostile answer cannot forge log lines.
func logSafe(codes []string) []string {
	out := make([]string, 0, min(len(codes), 5))
	for _, c := range codes[:min(len(codes), 5)] {
		c = strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, c)
		out = append(out, c[:min(len(c), 64)])
	}
	return out
}
