package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"gatehouse/internal/store"
	"gatehouse/internal/verify"
)

// Store is the persistence this package needs; *store.DB implements it.
// Lookups of absent rows return an error wrapping store.ErrNotFound.
type Store interface {
	groupStore
	// Atomically runs fn with every statement for fn's context in one
	// transaction (see store.DB.Atomically): fn only runs statements.
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
	CreateUser(ctx context.Context, u store.User) error
	UserByEmail(ctx context.Context, email string) (store.User, error)
	UserByID(ctx context.Context, id string) (store.User, error)
	EmailExists(ctx context.Context, email string) (bool, error)
	SetPhoneMFA(ctx context.Context, userID, phone string, now time.Time) error
	EnableMFA(ctx context.Context, userID, phone string, now time.Time) error
	BeginAttempt(ctx context.Context, userID string, max int, now time.Time) (store.Attempt, error)
	EndAttempt(ctx context.Context, userID string) error
	ResetAttempts(ctx context.Context, userID string) error
	Lock(ctx context.Context, userID string, until time.Time) error
	Unlock(ctx context.Context, userID string) error
	ReserveGuess(ctx context.Context, k store.GuessKey, p store.GuessPolicy) (store.Throttle, error)
	EndGuess(ctx context.Context, k store.GuessKey, outcome int, p store.GuessPolicy) (store.Throttle, error)
	ClearGuesses(ctx context.Context, emailKey string) error
	Hit(ctx context.Context, key string, delta int, window time.Duration, now time.Time) (store.Window, error)
	Peek(ctx context.Context, key string, now time.Time) (store.Window, error)
	SpendToken(ctx context.Context, hash string, expires, now time.Time) error
	TokenSpent(ctx context.Context, hash string, now time.Time) (bool, error)
	BackupCodeUsed(ctx context.Context, userID, hash string) (bool, error)

	TOTPDevice(ctx context.Context, userID string) (store.TOTPDevice, error)
	SavePendingDevice(ctx context.Context, userID, factorSID string, now time.Time) error
	ConfirmDevice(ctx context.Context, userID, factorSID string, now time.Time) error
	DeleteDevice(ctx context.Context, userID, factorSID string) error
	ReplaceBackupCodes(ctx context.Context, userID string, hashes []string, now time.Time) error
	UseBackupCode(ctx context.Context, userID, hash string, now time.Time) (bool, error)
	BackupCodesLeft(ctx context.Context, userID string) (int, error)

	CreateEmailToken(ctx context.Context, t store.EmailToken) error
	EmailToken(ctx context.Context, hash, purpose string, now time.Time) (store.EmailToken, error)
	UseEmailToken(ctx context.Context, hash, purpose string, now time.Time) (string, error)
	VerifyEmail(ctx context.Context, hash, purpose string, now time.Time) (string, error)
	EmailVerifiedAt(ctx context.Context, userID string) (time.Time, error)
	SetPassword(ctx context.Context, userID, passwordHash string, now time.Time) error
	ResetPassword(ctx context.Context, userID, hash, purpose, passwordHash string, now time.Time) error
}

// Captcha checks the token of a solved CAPTCHA.
type Captcha interface {
	Verify(ctx context.Context, token, remoteIP string) error
}

// Hasher hashes and checks passwords (package password).
type Hasher interface {
	Hash(ctx context.Context, pw string) (string, error)
	Verify(ctx context.Context, hash, pw string) (bool, error)
	VerifyDummy(ctx context.Context, pw string) error
}

// Options configures a Service. Zero limits take the defaults.
type Options struct {
	Store         Store
	Verifier      verify.Verifier
	Captcha       Captcha
	Hasher        Hasher
	LimitKey      []byte // HMAC key that hides phone numbers and IPs in counter keys
	BackupKey     []byte // HMAC key of backup code hashes; at least 16 bytes
	ReplayKey     []byte // HMAC key of accepted TOTP code hashes; at least 16 bytes
	Issuer        string // name authenticator apps show, default verify.DefaultIssuer
	DefaultRegion string // for phone numbers without a country code, default "US"
	// SMSCountries are the countries codes may go to (ISO 3166 alpha-2, or
	// phone.AllCountries); nil means DefaultRegion alone.
	SMSCountries []string
	// Texter sends the notice to an old phone number; nil: the notice is
	// logged as skipped.
	Texter   verify.Texter
	Limits   Limits
	Now      func() time.Time
	Rand     io.Reader
	Log      *slog.Logger
	Observer Observer // told of sign-ins, SMS sends, lockouts and limits; nil: nobody
	// Activity records security events; nil: an activity log in Store
	// when it is an ActivityStore, else none. So are Devices (remembered
	// devices), Sessions (the sessions list) and Admin taken from Store.
	Activity Activity
	Devices  DeviceStore
	Sessions SessionStore
	Admin    AdminStore

	// The email channel (notify.go): Notifier mails the owner a notice of
	// every security event; nil: nothing is mailed.
	Notifier  Notifier
	LinkKey   []byte // HMAC key of emailed link tokens; at least 16 bytes
	PortalURL string // public URL of the portal, the base of emailed links
}

// Service is the domain entry point. It is safe for concurrent use.
type Service struct {
	st        Store
	verifier  verify.Verifier
	captcha   Captcha
	hasher    Hasher
	limitKey  []byte
	backupKey []byte
	replayKey []byte
	issuer    string
	region    string
	countries []string
	texter    verify.Texter
	lim       Limits
	now       func() time.Time
	rand      io.Reader
	log       *slog.Logger
	obs       Observer

	activity      Activity
	activityStore ActivityStore
	devices       DeviceStore
	sessions      SessionStore
	admin         AdminStore

	notifier Notifier
	linkKey  []byte
	portal   string
	bg       *background
	mailless bool // no Notifier: nothing is mailed (notify.go)
	// joined: the verifier keeps its state in st (the embedded engine), so
	// an authenticator check runs inside the transaction of its attempt.
	joined bool
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Verifier == nil || o.Captcha == nil || o.Hasher == nil {
		return nil, errors.New("auth: Store, Verifier, Captcha and Hasher are required")
	}
	// Each key is its own subkey of the portal's secret (package keys).
	for name, k := range map[string][]byte{"LimitKey": o.LimitKey, "BackupKey": o.BackupKey,
		"ReplayKey": o.ReplayKey, "LinkKey": o.LinkKey} {
		if len(k) < 16 {
			return nil, fmt.Errorf("auth: %s must be at least 16 bytes", name)
		}
	}
	s := &Service{
		st: o.Store, verifier: o.Verifier, captcha: o.Captcha, hasher: o.Hasher,
		limitKey: o.LimitKey, region: o.DefaultRegion, lim: o.Limits.withDefaults(),
		now: o.Now, rand: o.Rand, log: o.Log, obs: o.Observer,
	}
	s.backupKey, s.replayKey, s.issuer = o.BackupKey, o.ReplayKey, o.Issuer
	if v, ok := o.Verifier.(verify.StoreSharer); ok {
		s.joined = v.SharesStore(o.Store)
	}
	if s.issuer == "" {
		s.issuer = verify.DefaultIssuer
	}
	if s.region == "" {
		s.region = "US"
	}
	s.countries, s.texter = o.SMSCountries, o.Texter
	if s.countries == nil {
		s.countries = []string{s.region}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	s.extras(o)
	s.initRecovery(o)
	return s, nil
}

// Region is the default region for phone numbers.
func (s *Service) Region() string { return s.region }

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.lim }

// User returns the account with id; ErrNoAccount when it is gone.
func (s *Service) User(ctx context.Context, id string) (Account, error) {
	u, err := s.user(ctx, id)
	if err != nil {
		return Account{}, err
	}
	return accountOf(u), nil
}

// user returns the stored account with id; ErrNoAccount when it is gone.
func (s *Service) user(ctx context.Context, id string) (store.User, error) {
	u, err := s.st.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("auth: user %s: %w", id, ErrNoAccount)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("auth: user: %w", err)
	}
	return u, nil
}

// randomID returns n random bytes as lowercase hex.
func (s *Service) randomID(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("auth: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// mac returns HMAC-SHA256(key, msg).
func (s *Service) mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// subject hides a phone number or IP address in a counter key.
func (s *Service) subject(kind, v string) string {
	m := hmac.New(sha256.New, s.limitKey)
	m.Write([]byte(kind + "\x00" + v))
	return kind + ":" + hex.EncodeToString(m.Sum(nil)[:16])
}
