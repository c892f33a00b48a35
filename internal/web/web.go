package web

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"

	"gatehouse/internal/access"
	"gatehouse/internal/auth"
	"gatehouse/internal/captcha"
)

// Options configures the HTTP handler returned by New.
type Options struct {
	Auth         *auth.Service
	Captcha      captcha.Captcha
	PoW          *captcha.PoW // non-nil when Captcha.Kind() is "pow": serves GET /captcha/challenge
	SessionStore scs.Store    // store.Sessions{DB: db}
	// Atomically runs fn with every statement of the store for fn's
	// context in one transaction (store.DB.Atomically): a completed
	// sign-in's token rotation, activity record and new session are one
	// commit. nil runs fn as it is.
	Atomically     func(ctx context.Context, fn func(ctx context.Context) error) error
	BaseURL        *url.URL                    // public URL; https means Secure cookies and HSTS
	TrustedProxies []netip.Prefix              // peers whose X-Forwarded-For is believed
	Ping           func(context.Context) error // for /healthz; nil means always healthy
	Ready          func(context.Context) error // for /readyz, beside Ping; nil means ready
	Observer       Observer                    // told of every request; nil means nobody
	Log            *slog.Logger
	Now            func() time.Time
	IdleTimeout    time.Duration  // of a signed-in session; default 30m
	Lifetime       time.Duration  // absolute, of a signed-in session; default 12h
	RememberDevice time.Duration  // how long "remember this device" skips the second factor; 0: not offered
	CookieDomain   string         // parent domain of the session cookie, shared with protected applications; "": this host only
	Rules          *access.Holder // access rules of the authorisation endpoints; nil: signed in means allowed
}

// Defaults of Options and fixed limits.
const (
	// DefaultIdleTimeout ends a signed-in session after this long without a request.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultLifetime ends a signed-in session this long after its second factor.
	DefaultLifetime = 12 * time.Hour
	// MaxBodyBytes is the largest request body accepted; larger ones get 413.
	MaxBodyBytes = 64 << 10
	// SessionCookie is the name of the session cookie.
	SessionCookie = "gatehouse_session"
)

// server holds everything the handlers share. Nothing in this package is
// global: templates, assets and the session manager live here.
type server struct {
	auth     *auth.Service
	captcha  captcha.Captcha
	provider captcha.Provider
	pow      *captcha.PoW
	sessions *scs.SessionManager
	atomic   func(ctx context.Context, fn func(ctx context.Context) error) error
	secure   bool
	trusted  []netip.Prefix
	ping     func(context.Context) error
	ready    func(context.Context) error
	obs      Observer
	log      *slog.Logger
	now      func() time.Time
	idle     time.Duration
	lifetime time.Duration
	remember time.Duration
	csp      string
	views    *views
	assets   *assets
	flows    flows
	mux      *http.ServeMux

	base         *url.URL            // public URL; nil when not configured
	cookieDomain string              // where rd may point (access.ReturnURL)
	rules        *access.Holder      // nil: no rules file
	checker      *scs.SessionManager // the sessions as the authorisation endpoints read them
}

// New returns the portal's HTTP handler.
func New(o Options) (http.Handler, error) {
	var errs []error
	if o.Auth == nil {
		errs = append(errs, errors.New("web: Auth is required"))
	}
	if o.Captcha == nil {
		errs = append(errs, errors.New("web: Captcha is required"))
	} else if o.Captcha.Kind() == "pow" && o.PoW == nil {
		errs = append(errs, errors.New("web: PoW is required when the CAPTCHA is the proof of work"))
	}
	if o.SessionStore == nil {
		errs = append(errs, errors.New("web: SessionStore is required"))
	}
	if o.BaseURL != nil && o.BaseURL.Scheme != "http" && o.BaseURL.Scheme != "https" {
		errs = append(errs, fmt.Errorf("web: BaseURL must be an http or https URL, got %q", o.BaseURL.Scheme))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &server{
		auth:     o.Auth,
		captcha:  o.Captcha,
		pow:      o.PoW,
		secure:   o.BaseURL != nil && o.BaseURL.Scheme == "https",
		trusted:  o.TrustedProxies,
		ping:     o.Ping,
		ready:    o.Ready,
		obs:      o.Observer,
		log:      o.Log,
		now:      o.Now,
		idle:     o.IdleTimeout,
		lifetime: o.Lifetime,
		remember: max(o.RememberDevice, 0),
		atomic:   o.Atomically,

		base:         o.BaseURL,
		cookieDomain: o.CookieDomain,
		rules:        o.Rules,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = slog.New(withRequestIDs(s.log.Handler()))
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	if s.atomic == nil {
		s.atomic = func(ctx context.Context, fn func(ctx context.Context) error) error { return fn(ctx) }
	}
	if s.ready == nil {
		s.ready = func(context.Context) error { return nil }
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.idle <= 0 {
		s.idle = DefaultIdleTimeout
	}
	if s.lifetime <= 0 {
		s.lifetime = DefaultLifetime
	}
	if s.ping == nil {
		s.ping = func(context.Context) error { return nil }
	}
	var known bool
	if s.provider, known = captcha.Lookup(s.captcha.Kind()); !known {
		return nil, fmt.Errorf("web: unknown CAPTCHA kind %q", s.captcha.Kind())
	}
	s.csp = withReturnOrigins(contentSecurityPolicy(s.provider), o.CookieDomain)

	// Session values are gob-encoded by scs; registering the same types
	// again is a no-op, so calling New twice is safe.
	gob.Register(auth.Registration{})
	gob.Register(auth.PreAuth{})
	gob.Register(auth.PhoneChange{})
	gob.Register(auth.Reset{})
	s.sessions = scs.New()
	s.sessions.Store = o.SessionStore
	// No scs IdleTimeout: with one, scs rewrites every session on every
	// request. The idle timeout is enforced in who() from a timestamp
	// refreshed at most once a minute, so a page view is reads only.
	s.sessions.Lifetime = s.lifetime
	s.sessions.Cookie.Name = SessionCookie
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = s.secure
	s.sessions.Cookie.Path = "/"
	s.sessions.Cookie.Domain = o.CookieDomain
	s.checker = newChecker(o.SessionStore, s.lifetime)

	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.views, err = loadViews(s.assets); err != nil {
		return nil, err
	}
	s.flows = s.newFlows()
	s.mux = http.NewServeMux()
	s.routes()

	cop := http.NewCrossOriginProtection()
	if o.BaseURL != nil && o.BaseURL.Host != "" {
		// Behind a proxy that rewrites Host, old browsers without
		// Sec-Fetch-Site would otherwise be refused on the public origin.
		if err := cop.AddTrustedOrigin(o.BaseURL.Scheme + "://" + o.BaseURL.Host); err != nil {
			return nil, fmt.Errorf("web: trusted origin: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))

	var h http.Handler = http.HandlerFunc(s.dispatch)
	h = cop.Handler(h)
	h = s.clientIP(h)
	h = s.limitBody(h)
	h = s.recoverPanic(h)
	h = s.headers(h)
	h = s.track(h)
	return h, nil
}
