package web

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// captchaView is what the captcha partial needs to draw the widget.
type captchaView struct {
	Kind    string // pow, recaptcha, hcaptcha, turnstile
	SiteKey string
	Script  string // the provider's script URL; "" for pow
	Class   string // the provider's widget class
	Field   string // the form field the provider's widget fills; "" for pow
}

// captchaFields are the form fields a CAPTCHA token may arrive in: ours,
// and the one the configured provider's widget fills by itself.
func (s *server) captchaFields() []string {
	f := []string{"captcha"}
	if p := s.provider.ResponseField; p != "" {
		f = append(f, p)
	}
	return f
}

// captchaToken returns the token of a submitted form.
func (s *server) captchaToken(f form) string {
	if t := f.get("captcha"); t != "" {
		return t
	}
	if p := s.provider.ResponseField; p != "" {
		return f.get(p)
	}
	return ""
}

// captchaWidget returns the widget for a page whose form needs a CAPTCHA.
func (s *server) captchaWidget() *captchaView {
	p := s.provider
	return &captchaView{Kind: p.Kind, SiteKey: s.captcha.SiteKey(), Script: p.ScriptURL, Class: p.WidgetClass,
		Field: p.ResponseField}
}

// captchaChallenge serves GET /captcha/challenge: a fresh signed
// proof-of-work challenge, never cached.
func (s *server) captchaChallenge(w http.ResponseWriter, r *http.Request) {
	c, err := s.pow.Challenge()
	if err != nil {
		s.log.ErrorContext(r.Context(), "captcha challenge", "err", err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"The CAPTCHA is unavailable. Please try again in a minute."}`))
		return
	}
	b, err := json.Marshal(c)
	if err != nil {
		s.serverError(w, r, fmt.Errorf("web: encode challenge: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
