package captcha

// Provider describes one kind of CAPTCHA: everything config, the Content
// Security Policy, the page templates and the browser script need to know
// about it. It is the only place these facts are written.
type Provider struct {
	Kind string // "pow", "recaptcha", "hcaptcha" or "turnstile"
	// ResponseField is the form field the provider's widget fills by
	// itself; "" for the proof of work, which fills "captcha".
	ResponseField string
	ScriptURL     string // the widget's script; "" for the proof of work (ours)
	WidgetClass   string // the class the widget's script looks for
	VerifyURL     string // the default siteverify endpoint; "" for the proof of work
	// Origins the page must allow in its Content-Security-Policy.
	ScriptSrc, StyleSrc, ConnectSrc, FrameSrc []string
}

// providers lists every kind, the embedded proof of work first.
var providers = []Provider{
	{Kind: "pow"},
	{
		Kind: "recaptcha", ResponseField: "g-recaptcha-response", WidgetClass: "g-recaptcha",
		ScriptURL: "https://www.google.com/recaptcha/api.js",
		VerifyURL: "https://www.google.com/recaptcha/api/siteverify",
		ScriptSrc: []string{"https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"},
		FrameSrc:  []string{"https://www.google.com/recaptcha/", "https://recaptcha.google.com/recaptcha/"},
	},
	{
		Kind: "hcaptcha", ResponseField: "h-captcha-response", WidgetClass: "h-captcha",
		ScriptURL:  "https://js.hcaptcha.com/1/api.js",
		VerifyURL:  "https://api.hcaptcha.com/siteverify",
		ScriptSrc:  []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
		StyleSrc:   []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
		ConnectSrc: []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
		FrameSrc:   []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
	},
	{
		Kind: "turnstile", ResponseField: "cf-turnstile-response", WidgetClass: "cf-turnstile",
		ScriptURL: "https://challenges.cloudflare.com/turnstile/v0/api.js",
		VerifyURL: "https://challenges.cloudflare.com/turnstile/v0/siteverify",
		ScriptSrc: []string{"https://challenges.cloudflare.com"},
		FrameSrc:  []string{"https://challenges.cloudflare.com"},
	},
}

// Lookup returns the provider of kind.
func Lookup(kind string) (Provider, bool) {
	for _, p := range providers {
		if p.Kind == kind {
			return p, true
		}
	}
	return Provider{}, false
}

// Kinds lists every provider kind, for configuration errors and help.
func Kinds() []string {
	k := make([]string, len(providers))
	for i, p := range providers {
		k[i] = p.Kind
	}
	return k
}
