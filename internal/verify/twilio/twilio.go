// Package twilio is the production verify backend: a verify.Verifier that
// delegates the whole one-time-code lifecycle (SMS verifications and TOTP
// factors) to Twilio Verify v2 through the official SDK,
// github.com/twilio/twilio-go.
//
// # Context and timeouts
//
// The SDK's calls take no context and its Verify base URL is fixed. Every
// call of a Client therefore builds a throwaway SDK client (a client.Client,
// its RequestHandler and a Verify ApiService: a few small structs) whose
// http.Client has a RoundTripper of its own, a *call. That RoundTripper
// holds the caller's context, already bounded by Options.Timeout, attaches
// it to each request with req.Clone(ctx), and rewrites scheme and host of
// https://verify.twilio.com to Options.BaseURL. Nothing mutable is shared
// between concurrent calls except the underlying http.RoundTripper (a
// connection pool, safe for concurrent use) and the immutable configuration,
// so the design is race-free without locks. TWILIO_EDGE and TWILIO_REGION
// are ignored: the request handler is built directly, not by the SDK's
// environment-reading constructor.
//
// # Errors
//
// Twilio refusals are mapped on the Twilio error code of the SDK's
// *client.TwilioRestError (see the table on Client); timeouts, connection
// errors, 5xx answers and bodies that are not JSON become
// verify.ErrUnavailable. A returned error wraps the sentinel and, for an
// API error, the *client.TwilioRestError itself, but its text never carries
// Twilio's message (which may echo a phone number).
//
// # Retries
//
// A send, a verification check, a factor update and a challenge are POSTs
// and are never retried: a retry would send another SMS or spend another
// check. Only DeleteTOTPFactor is retried, once, after a connection error or
// a 5xx answer, within the same overall timeout.
package twilio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twilio/twilio-go/client"
	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"

	"gatehouse/internal/verify"
)

var _ verify.Verifier = (*Client)(nil)

// Defaults applied by New to zero Options fields.
const (
	// DefaultBaseURL is Twilio Verify's API origin.
	DefaultBaseURL = "https://verify.twilio.com"
	// DefaultTimeout bounds every call, a retry included.
	DefaultTimeout = 5 * time.Second
	// DefaultIssuer is the issuer an authenticator app shows.
	DefaultIssuer = verify.DefaultIssuer
)

// FactorTTL is how long Twilio keeps an unverified TOTP factor; it sets
// verify.Factor.ExpiresAt, counted from the factor's date_created.
const FactorTTL = 10 * time.Minute

// Operation names used in errors and logs.
const (
	opStartSMS     = "start sms"
	opCreateFactor = "create totp factor"
)

// sdkHost is the host the SDK sends every Verify request to.
const sdkHost = "verify.twilio.com"

// Options configures a Client. AccountSID and ServiceSID are required, and
// exactly one of AuthToken or the pair APIKeySID + APIKeySecret.
type Options struct {
	AccountSID   string // AC followed by 32 hex digits
	AuthToken    string // the account's auth token, or:
	APIKeySID    string // SK followed by 32 hex digits, with APIKeySecret
	APIKeySecret string
	ServiceSID   string // the Verify service, VA followed by 32 hex digits
	// AnonServiceSID is a second Verify service for the verifications
	// anyone may start (registration, phone change, recovery; see
	// verify.Target.Anonymous): Twilio keeps one verification per service
	// and number, so only a service of their own keeps them from touching a
	// sign-in's. Empty: they share ServiceSID (New's caller logs a warning).
	AnonServiceSID string
	// MessagingFrom, when set, is the sender (an E.164 number or a
	// Messaging Service SID, MG…) of plain texts sent through Twilio's
	// Messaging API (SendText). Empty: SendText sends nothing and says so.
	MessagingFrom string

	// BaseURL replaces scheme, host and leading path of
	// https://verify.twilio.com (tests, egress proxies). Default
	// DefaultBaseURL.
	BaseURL string
	// Timeout bounds every call, on top of the caller's context.
	// Default DefaultTimeout.
	Timeout time.Duration
	// Issuer is written as the issuer and label prefix of the otpauth URI
	// of new TOTP factors, and sent as the factor's friendly name. Default
	// DefaultIssuer.
	Issuer string
	// Log receives one record per failed call; nil means slog.Default().
	// Codes, secrets, tokens and full phone numbers are never logged.
	Log *slog.Logger
	// HTTPClient, when set, supplies the http.RoundTripper requests go
	// through (its Transport; nil Transport means http.DefaultTransport).
	// Its other fields are ignored. When nil, a clone of
	// http.DefaultTransport is used.
	HTTPClient *http.Client
}

// Client is a verify.Verifier backed by Twilio Verify. It is safe for
// concurrent use.
//
// Twilio error codes map to sentinel errors as follows; any other code, a
// timeout, a connection error, a 5xx answer or a body that is not JSON
// returns verify.ErrUnavailable:
//
//	20404               verify.ErrNotFound (expired, already approved, unknown)
//	60200               verify.ErrInvalidParameter
//	60202, 60308, 60310 verify.ErrTooManyChecks
//	60203               verify.ErrTooManySends
//	60212, 20429        verify.ErrRateLimited
//	60410, 60605        verify.ErrBlocked
//	20003               verify.ErrUnavailable, logged as an error
//	                    ("twilio credentials rejected")
type Client struct {
	creds      *client.Credentials // read-only after New
	accountSID string
	serviceSID string
	anonSID    string
	from       string
	base       *url.URL
	timeout    time.Duration
	issuer     string
	log        *slog.Logger
	transport  http.RoundTripper
}

var (
	accountSIDRe   = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	apiKeySIDRe    = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)
	serviceSIDRe   = regexp.MustCompile(`^VA[0-9a-fA-F]{32}$`)
	messagingSIDRe = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	factorSIDRe    = regexp.MustCompile(`^YF[0-9a-fA-F]{32}$`)
	alnumRe        = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	e164Re         = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	smsCodeRe      = regexp.MustCompile(`^[0-9]{4,10}$`)
	totpCodeRe     = regexp.MustCompile(`^[0-9]{6}$`)
	// identityRe is what Twilio accepts as an entity identity (no PII: the
	// portal uses a random UUID), and keeps it safe inside a URL path.
	identityRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// New returns a Client for o, or an error naming every missing or malformed
// option.
func New(o Options) (*Client, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("twilio: "+format, args...)) }
	switch {
	case o.AccountSID == "":
		bad("AccountSID is required")
	case !accountSIDRe.MatchString(o.AccountSID):
		bad("AccountSID must be AC followed by 32 hex digits")
	}
	switch {
	case o.ServiceSID == "":
		bad("ServiceSID is required")
	case !serviceSIDRe.MatchString(o.ServiceSID):
		bad("ServiceSID must be VA followed by 32 hex digits")
	}
	if o.AnonServiceSID != "" && (!serviceSIDRe.MatchString(o.AnonServiceSID) || o.AnonServiceSID == o.ServiceSID) {
		bad("AnonServiceSID must be VA followed by 32 hex digits, and not ServiceSID")
	}
	if o.MessagingFrom != "" && !e164Re.MatchString(o.MessagingFrom) && !messagingSIDRe.MatchString(o.MessagingFrom) {
		bad("MessagingFrom must be an E.164 number or MG followed by 32 hex digits")
	}
	var creds *client.Credentials
	apiKey := o.APIKeySID != "" || o.APIKeySecret != ""
	switch {
	case o.AuthToken != "" && apiKey:
		bad("set either AuthToken or APIKeySID and APIKeySecret, not both")
	case apiKey:
		if !apiKeySIDRe.MatchString(o.APIKeySID) {
			bad("APIKeySID must be SK followed by 32 hex digits")
		}
		if !alnumRe.MatchString(o.APIKeySecret) {
			bad("APIKeySecret is required and must be alphanumeric")
		}
		creds = client.NewCredentials(o.APIKeySID, o.APIKeySecret)
	case o.AuthToken == "":
		bad("AuthToken (or APIKeySID and APIKeySecret) is required")
	case !alnumRe.MatchString(o.AuthToken):
		bad("AuthToken must be alphanumeric")
	default:
		creds = client.NewCredentials(o.AccountSID, o.AuthToken)
	}
	base, err := parseBaseURL(cmp.Or(o.BaseURL, DefaultBaseURL))
	if err != nil {
		bad("BaseURL: %v", err)
	}
	if o.Timeout < 0 {
		bad("Timeout must not be negative")
	}
	issuer := cmp.Or(o.Issuer, DefaultIssuer)
	if !utf8.ValidString(issuer) || len(issuer) > 64 || strings.ContainsAny(issuer, ":\r\n") {
		bad("Issuer must be at most 64 bytes of UTF-8 without ':' or line breaks")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c := &Client{
		creds:      creds,
		accountSID: o.AccountSID,
		serviceSID: o.ServiceSID,
		anonSID:    cmp.Or(o.AnonServiceSID, o.ServiceSID),
		from:       o.MessagingFrom,
		base:       base,
		timeout:    cmp.Or(o.Timeout, DefaultTimeout),
		issuer:     issuer,
		log:        o.Log,
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	switch t, ok := http.DefaultTransport.(*http.Transport); {
	case o.HTTPClient != nil && o.HTTPClient.Transport != nil:
		c.transport = o.HTTPClient.Transport
	case o.HTTPClient == nil && ok:
		c.transport = t.Clone() // a pool of its own, proxy settings from the environment
	default:
		c.transport = http.DefaultTransport
	}
	return c, nil
}

// CreateTOTPFactor creates an unverified TOTP factor for identity (an opaque
// identifier such as a UUID, never PII). Twilio receives Options.Issuer as
// the factor's friendly name, so the user's friendlyName (their email) never
// leaves the portal; the returned otpauth URI is rewritten to carry
// Options.Issuer as issuer and "Issuer:friendlyName" as label. It is never
// retried.
func (c *Client) CreateTOTPFactor(ctx context.Context, identity, friendlyName string) (verify.Factor, error) {
	const op = opCreateFactor
	if !identityRe.MatchString(identity) {
		return verify.Factor{}, invalid(op, "identity must be 1 to 64 letters, digits, '-' or '_'")
	}
	if friendlyName == "" || len(friendlyName) > 256 || !utf8.ValidString(friendlyName) {
		return verify.Factor{}, invalid(op, "friendly name must be 1 to 256 bytes of UTF-8")
	}
	var f *verifyv2.VerifyV2NewFactor
	err := c.do(ctx, op, false, func(api *verifyv2.ApiService) (err error) {
		p := &verifyv2.CreateNewFactorParams{}
		f, err = api.CreateNewFactor(c.serviceSID, identity, p.SetFactorType("totp").SetFriendlyName(c.issuer))
		return err
	}, slog.String("identity", identity))
	if err != nil {
		return verify.Factor{}, err
	}
	if f == nil || f.Sid == nil || !factorSIDRe.MatchString(*f.Sid) {
		return verify.Factor{}, c.malformed(op, "factor without a YF sid")
	}
	secret, rawURI := binding(f.Binding)
	uri, secret, err := rewriteURI(rawURI, secret, c.issuer, friendlyName)
	if err != nil {
		return verify.Factor{}, c.malformed(op, "factor binding: "+err.Error())
	}
	created := time.Now()
	if f.DateCreated != nil && !f.DateCreated.IsZero() {
		created = *f.DateCreated
	}
	return verify.Factor{SID: *f.Sid, Secret: secret, URI: uri, ExpiresAt: created.Add(FactorTTL)}, nil
}

// VerifyTOTPFactor confirms the unverified factor factorSID of identity with
// its first code (a factor update with AuthPayload). Only status "verified"
// approves; "unverified" (a wrong code) returns Approved=false. It is never
// retried.
func (c *Client) VerifyTOTPFactor(ctx context.Context, identity, factorSID, code string) (verify.Check, error) {
	const op = "verify totp factor"
	if err := checkTOTPArgs(op, identity, factorSID, code); err != nil {
		return verify.Check{}, err
	}
	var f *verifyv2.VerifyV2Factor
	err := c.do(ctx, op, false, func(api *verifyv2.ApiService) (err error) {
		p := &verifyv2.UpdateFactorParams{}
		f, err = api.UpdateFactor(c.serviceSID, identity, factorSID, p.SetAuthPayload(code))
		return err
	}, slog.String("identity", identity), slog.String("factor", factorSID))
	if err != nil {
		return verify.Check{}, err
	}
	if f == nil || f.Status == nil {
		return verify.Check{}, c.malformed(op, "factor without status")
	}
	return verify.Check{Approved: *f.Status == "verified"}, nil
}

// ChallengeTOTP checks a code of the verified factor factorSID of identity by
// creating a challenge. Only status "approved" approves; "pending" or
// "denied" (a wrong code) returns Approved=false. Twilio does not reveal a
// clock drift, so Drift is always zero. It is never retried.
func (c *Client) ChallengeTOTP(ctx context.Context, identity, factorSID, code string) (verify.Check, error) {
	const op = "challenge totp"
	if err := checkTOTPArgs(op, identity, factorSID, code); err != nil {
		return verify.Check{}, err
	}
	var ch *verifyv2.VerifyV2Challenge
	err := c.do(ctx, op, false, func(api *verifyv2.ApiService) (err error) {
		p := &verifyv2.CreateChallengeParams{}
		ch, err = api.CreateChallenge(c.serviceSID, identity, p.SetFactorSid(factorSID).SetAuthPayload(code))
		return err
	}, slog.String("identity", identity), slog.String("factor", factorSID))
	if err != nil {
		return verify.Check{}, err
	}
	if ch == nil || ch.Status == nil {
		return verify.Check{}, c.malformed(op, "challenge without status")
	}
	return verify.Check{Approved: *ch.Status == verify.StatusApproved}, nil
}

// DeleteTOTPFactor deletes the factor factorSID of identity. An unknown
// factor returns verify.ErrNotFound. The DELETE is retried once after a
// connection error or a 5xx answer, within Options.Timeout.
func (c *Client) DeleteTOTPFactor(ctx context.Context, identity, factorSID string) error {
	const op = "delete totp factor"
	if !identityRe.MatchString(identity) {
		return invalid(op, "identity must be 1 to 64 letters, digits, '-' or '_'")
	}
	if !factorSIDRe.MatchString(factorSID) {
		return invalid(op, "factor sid must be YF followed by 32 hex digits")
	}
	return c.do(ctx, op, true, func(api *verifyv2.ApiService) error {
		return api.DeleteFactor(c.serviceSID, identity, factorSID)
	}, slog.String("identity", identity), slog.String("factor", factorSID))
}
