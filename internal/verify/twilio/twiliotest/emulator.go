// Package twiliotest emulates the Twilio Verify v2 REST API for tests, as an
// httptest server driven by the embedded verify engine (package
// verify/local) on its own SQLite database, so that codes, caps, expiry and
// TOTP behave for real while the real twilio-go SDK talks to it.
//
// The wire format follows Twilio's: paths under /v2/Services/{ServiceSid}/,
// form-encoded bodies, HTTP Basic authentication (account SID and auth
// token, or an API key SID and secret), JSON resources with sid prefixes
// VE, YF, YE and YC and RFC 3339 dates, error bodies
// {"code","message","more_info","status"} whose status is the HTTP status,
// binding.secret and binding.uri only in the factor-creation response, and
// 204 with an empty body for a deletion.
//
// Refusals of the engine map to Twilio's codes: an unknown, expired or
// approved verification or factor is 20404 (404); a sixth check of an SMS
// verification is 60202 (429); a sixth send is 60203 (429); a TOTP factor or
// challenge past its wrong-code cap is 60310 (429); a malformed parameter is
// 60200 (400); wrong credentials are 20003 (401); an unknown service or
// path is 20404 (404). Updating a factor that is already verified with an
// AuthPayload answers 20404, as the engine does. A wrong code is not an
// error: a verification check answers 200 with status "pending", a factor
// update 200 with "unverified", a challenge 201 with "pending" (Twilio's
// documented status for a TOTP challenge with a wrong code).
//
// Faults are injected on demand: Delay and Hang affect every later request
// until Clear; FailNext and ErrorNext affect the next request to a matching
// path. Every request, faulty or not, is recorded (see Requests).
package twiliotest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/store"
	"gatehouse/internal/verify"
	"gatehouse/internal/verify/local"
	"gatehouse/internal/verify/twilio"
)

// Default credentials and service of an Emulator whose Options leave them
// empty. They have the shape of real Twilio SIDs.
const (
	DefaultAccountSID = "AC0123456789abcdef0123456789abcdef"
	DefaultAuthToken  = "emulatorauthtoken0123456789abcdef"
	DefaultServiceSID = "VA0123456789abcdef0123456789abcdef"
	// DefaultAnonServiceSID is the second Verify service, for the flows
	// anyone may start (twilio.Options.AnonServiceSID).
	DefaultAnonServiceSID = "VAfedcba9876543210fedcba9876543210"
	// DefaultIssuer is the issuer of the otpauth URIs the emulator returns,
	// like the Verify service's friendly name on Twilio.
	DefaultIssuer = "Emulated Verify"
)

// Options configures an Emulator. Zero values mean the defaults above.
type Options struct {
	AccountSID string
	AuthToken  string
	// APIKeySID and APIKeySecret, when both set, are accepted as HTTP Basic
	// credentials besides AccountSID and AuthToken.
	APIKeySID    string
	APIKeySecret string
	ServiceSID   string
	// AnonServiceSID is a second service with verifications of its own, as
	// every Verify service keeps its own verification per number.
	AnonServiceSID string
	// Now is the clock of the engine and of the dates in the answers.
	// Default time.Now.
	Now func() time.Time
	// Issuer is the issuer the engine writes into binding.uri.
	Issuer string
}

// Request is one request the emulator received.
type Request struct {
	Method string
	Path   string     // URL path, e.g. /v2/Services/VA…/Verifications
	Form   url.Values // the form body of a POST, the query otherwise; Code and AuthPayload kept as sent
	User   string     // HTTP Basic user name (account SID or API key SID)
	// Status is the HTTP status answered; 0 while the request is in flight
	// or when the client gave up first (a Hang or a long Delay).
	Status int
	// Code is the Twilio error code answered, 0 for a success or a
	// non-JSON fault.
	Code int
}

// Emulator is a fake Twilio Verify v2 API. Its methods are safe for
// concurrent use.
type Emulator struct {
	srv    *httptest.Server
	opts   Options
	engine *local.Engine
	sent   *local.MemorySender
	done   chan struct{} // closed when the emulator shuts down

	mu            sync.Mutex
	requests      []Request
	delay         time.Duration
	hang          bool
	faults        []fault
	secrets       map[string]string           // factor sid → binding.secret
	verifications map[string]*verificationRec // verification sid → record
	current       map[string]string           // service/number → sid of its latest verification
	texts         []Text                      // messages sent through the Messaging API
	factors       map[string]*factorRec       // factor sid → record
}

type fault struct {
	method, path string // method "" matches any
	status       int
	body         string
	code         int // Twilio code of a JSON error, for the log
}

type verificationRec struct {
	sid, to  string
	service  string
	created  time.Time
	updated  time.Time
	attempts []sendAttempt
}

type sendAttempt struct {
	Time       string `json:"time"`
	Channel    string `json:"channel"`
	AttemptSID string `json:"attempt_sid"`
}

type factorRec struct {
	identity, friendlyName, status string
	created, updated               time.Time
}

// New starts an emulator for the duration of the test t. Its engine keeps
// its state in a SQLite database in t.TempDir() and "sends" SMS codes to
// memory (see LastCode).
func New(t testing.TB, o Options) *Emulator {
	t.Helper()
	o.AccountSID = or(o.AccountSID, DefaultAccountSID)
	o.AuthToken = or(o.AuthToken, DefaultAuthToken)
	o.ServiceSID = or(o.ServiceSID, DefaultServiceSID)
	o.AnonServiceSID = or(o.AnonServiceSID, DefaultAnonServiceSID)
	o.Issuer = or(o.Issuer, DefaultIssuer)
	if o.Now == nil {
		o.Now = time.Now
	}
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "twilio-emulator.db"))
	if err != nil {
		t.Fatalf("twiliotest: open database: %v", err)
	}
	sent := &local.MemorySender{}
	engine, err := local.New(local.Options{
		Store:     db,
		Sender:    sent,
		CodeKey:   randomBytes(32),
		SecretKey: randomBytes(32),
		Issuer:    o.Issuer,
		Now:       o.Now,
	})
	if err != nil {
		db.Close()
		t.Fatalf("twiliotest: engine: %v", err)
	}
	e := &Emulator{
		opts:          o,
		engine:        engine,
		sent:          sent,
		done:          make(chan struct{}),
		secrets:       map[string]string{},
		verifications: map[string]*verificationRec{},
		current:       map[string]string{},
		factors:       map[string]*factorRec{},
	}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(func() {
		close(e.done) // releases hung handlers, so that Close returns
		e.srv.Close()
		db.Close()
	})
	return e
}

// URL returns the emulator's base URL, to be used as the adapter's BaseURL.
func (e *Emulator) URL() string { return e.srv.URL }

// AccountSID returns the account SID the emulator accepts.
func (e *Emulator) AccountSID() string { return e.opts.AccountSID }

// AuthToken returns the auth token the emulator accepts.
func (e *Emulator) AuthToken() string { return e.opts.AuthToken }

// ServiceSID returns the SID of the emulator's one Verify service.
func (e *Emulator) ServiceSID() string { return e.opts.ServiceSID }

// ClientOptions returns options for twilio.New that reach this emulator
// with its account SID and auth token (default timeout and issuer).
func (e *Emulator) ClientOptions() twilio.Options {
	return twilio.Options{
		AccountSID:     e.opts.AccountSID,
		AuthToken:      e.opts.AuthToken,
		ServiceSID:     e.opts.ServiceSID,
		AnonServiceSID: e.opts.AnonServiceSID,
		BaseURL:        e.URL(),
	}
}

// LastCode returns the latest SMS code the emulator sent to the number to.
func (e *Emulator) LastCode(to string) (string, bool) {
	m, ok := e.sent.Last(to)
	return m.Code, ok
}

// FactorSecret returns the binding.secret returned when the factor sid was
// created, so that tests can compute TOTP codes. The engine itself keeps
// secrets only sealed.
func (e *Emulator) FactorSecret(sid string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.secrets[sid]
	return s, ok
}

// Requests returns every request received since the start or the last
// Reset, oldest first.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Request, len(e.requests))
	for i, r := range e.requests {
		r.Form = cloneValues(r.Form)
		out[i] = r
	}
	return out
}

// Reset forgets the recorded requests. The engine's state (verifications,
// factors) and pending faults are kept.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = nil
}

// Delay makes every later request wait d before it is handled, until Clear.
// A client that gives up earlier gets no answer.
func (e *Emulator) Delay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delay = d
}

// Hang makes every later request block, unanswered, until the client gives
// up or the emulator shuts down, until Clear. Hung requests never reach the
// engine.
func (e *Emulator) Hang() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hang = true
}

// FailNext makes the next request whose path contains path answer status
// with body as is (for example a 503 with an HTML page, or an empty body),
// without reaching the engine. path may start with a method and a space
// ("DELETE /Factors/") to match that method only. Faults queue up in order.
func (e *Emulator) FailNext(path string, status int, body string) {
	method, p := splitMethod(path)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, fault{method: method, path: p, status: status, body: body})
}

// ErrorNext makes the next request whose path contains path answer a Twilio
// error body with code and status (HTTP status and the body's "status"),
// without reaching the engine. path is matched as by FailNext.
func (e *Emulator) ErrorNext(path string, code, status int) {
	method, p := splitMethod(path)
	body, _ := json.Marshal(errorBody(code, status, messageFor(code)))
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, fault{method: method, path: p, status: status, body: string(body), code: code})
}

// Clear removes every fault: delay, hang and queued failures.
func (e *Emulator) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delay, e.hang, e.faults = 0, false, nil
}

func splitMethod(p string) (method, path string) {
	if m, rest, ok := strings.Cut(p, " "); ok && m != "" && strings.ToUpper(m) == m && !strings.Contains(m, "/") {
		return m, rest
	}
	return "", p
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
	code   int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

// serve records the request, applies faults, authenticates and routes.
func (e *Emulator) serve(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, 64<<10)
	_ = r.ParseForm()
	form := r.Form
	if r.Method == http.MethodPost {
		form = r.PostForm
	}
	user, _, _ := r.BasicAuth()
	w := &statusWriter{ResponseWriter: rw}

	e.mu.Lock()
	idx := len(e.requests)
	e.requests = append(e.requests, Request{Method: r.Method, Path: r.URL.Path, Form: cloneValues(form), User: user})
	delay, hang := e.delay, e.hang
	var f *fault
	for i, ft := range e.faults {
		if strings.Contains(r.URL.Path, ft.path) && (ft.method == "" || ft.method == r.Method) {
			f = &ft
			e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
			break
		}
	}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if idx < len(e.requests) && r.Context().Err() == nil {
			e.requests[idx].Status, e.requests[idx].Code = w.status, w.code
		}
	}()

	if !e.wait(r.Context(), delay, hang) {
		if r.Context().Err() == nil { // shutting down
			e.writeError(w, 20500, http.StatusServiceUnavailable, "Service Unavailable")
		}
		return
	}
	if f != nil {
		w.code = f.code
		ct := "application/json"
		if !json.Valid([]byte(f.body)) {
			ct = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(f.body))
		return
	}
	if !e.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		e.writeError(w, 20003, http.StatusUnauthorized, "Authenticate")
		return
	}
	e.route(w, r)
}

// wait applies a delay or a hang; it reports false when the request must
// not be handled (client gone, or emulator shutting down).
func (e *Emulator) wait(ctx context.Context, delay time.Duration, hang bool) bool {
	if hang {
		select {
		case <-ctx.Done():
		case <-e.done:
		}
		return false
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		case <-e.done:
			return false
		}
	}
	return true
}

func (e *Emulator) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	o := e.opts
	return (user == o.AccountSID && pass == o.AuthToken) ||
		(o.APIKeySID != "" && o.APIKeySecret != "" && user == o.APIKeySID && pass == o.APIKeySecret)
}

var (
	servicePath = regexp.MustCompile(`^/v2/Services/([^/]+)(/.*)?$`)
	factorsPath = regexp.MustCompile(`^/Entities/([^/]+)/Factors$`)
	factorPath  = regexp.MustCompile(`^/Entities/([^/]+)/Factors/([^/]+)$`)
	challPath   = regexp.MustCompile(`^/Entities/([^/]+)/Challenges$`)
	identityRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

func (e *Emulator) route(w *statusWriter, r *http.Request) {
	if m := messagesPath.FindStringSubmatch(r.URL.Path); m != nil && m[1] == e.opts.AccountSID {
		if e.method(w, r, http.MethodPost) {
			e.createMessage(w, r)
		}
		return
	}
	m := servicePath.FindStringSubmatch(r.URL.Path)
	if m == nil || (m[1] != e.opts.ServiceSID && m[1] != e.opts.AnonServiceSID) {
		e.notFound(w, r)
		return
	}
	svc, rest := m[1], m[2]
	var sm []string
	match := func(re *regexp.Regexp) bool { sm = re.FindStringSubmatch(rest); return sm != nil }
	switch {
	case rest == "/Verifications":
		if e.method(w, r, http.MethodPost) {
			e.startVerification(w, r, svc)
		}
	case rest == "/VerificationCheck":
		if e.method(w, r, http.MethodPost) {
			e.checkVerification(w, r, svc)
		}
	case match(verificationPath):
		if e.method(w, r, http.MethodPost) {
			e.updateVerification(w, r, svc, sm[1])
		}
	case match(factorsPath):
		if e.method(w, r, http.MethodPost) && e.identity(w, sm[1]) {
			e.createFactor(w, r, sm[1])
		}
	case match(factorPath):
		if !e.identity(w, sm[1]) {
			return
		}
		switch r.Method {
		case http.MethodPost:
			e.updateFactor(w, r, sm[1], sm[2])
		case http.MethodDelete:
			e.deleteFactor(w, r, sm[1], sm[2])
		case http.MethodGet:
			e.fetchFactor(w, r, sm[1], sm[2])
		default:
			e.writeError(w, 20004, http.StatusMethodNotAllowed, "Method not allowed")
		}
	case match(challPath):
		if e.method(w, r, http.MethodPost) && e.identity(w, sm[1]) {
			e.createChallenge(w, r, sm[1])
		}
	default:
		e.notFound(w, r)
	}
}

func (e *Emulator) method(w *statusWriter, r *http.Request, want string) bool {
	if r.Method != want {
		e.writeError(w, 20004, http.StatusMethodNotAllowed, "Method not allowed")
		return false
	}
	return true
}

func (e *Emulator) identity(w *statusWriter, id string) bool {
	if !identityRe.MatchString(id) {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: Identity")
		return false
	}
	return true
}

func (e *Emulator) notFound(w *statusWriter, r *http.Request) {
	e.writeError(w, 20404, http.StatusNotFound,
		fmt.Sprintf("The requested resource %s was not found", strings.TrimPrefix(r.URL.Path, "/v2")))
}

// --- SMS ---------------------------------------------------------------

type verificationJSON struct {
	SID              string        `json:"sid"`
	ServiceSID       string        `json:"service_sid"`
	AccountSID       string        `json:"account_sid"`
	To               string        `json:"to"`
	Channel          string        `json:"channel"`
	Status           string        `json:"status"`
	Valid            bool          `json:"valid"`
	Lookup           any           `json:"lookup"`
	Amount           *string       `json:"amount"`
	Payee            *string       `json:"payee"`
	SendCodeAttempts []sendAttempt `json:"send_code_attempts"`
	DateCreated      string        `json:"date_created"`
	DateUpdated      string        `json:"date_updated"`
	Sna              any           `json:"sna"`
	URL              string        `json:"url"`
}

type verificationCheckJSON struct {
	SID                   string  `json:"sid"`
	ServiceSID            string  `json:"service_sid"`
	AccountSID            string  `json:"account_sid"`
	To                    string  `json:"to"`
	Channel               string  `json:"channel"`
	Status                string  `json:"status"`
	Valid                 bool    `json:"valid"`
	Amount                *string `json:"amount"`
	Payee                 *string `json:"payee"`
	DateCreated           string  `json:"date_created"`
	DateUpdated           string  `json:"date_updated"`
	SnaAttemptsErrorCodes []any   `json:"sna_attempts_error_codes"`
}

func (e *Emulator) startVerification(w *statusWriter, r *http.Request, svc string) {
	to, channel := r.PostForm.Get("To"), r.PostForm.Get("Channel")
	if to == "" || channel == "" {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: To and Channel are required")
		return
	}
	if channel != "sms" {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: Channel")
		return
	}
	v, err := e.engine.StartSMS(r.Context(), target(svc, to))
	if err != nil {
		e.engineError(w, err, 60202)
		return
	}
	now := e.now()
	e.mu.Lock()
	rec := e.verifications[v.SID]
	if rec == nil || v.Sends == 1 {
		rec = &verificationRec{sid: v.SID, to: to, service: svc, created: now}
		e.verifications[v.SID] = rec
	}
	rec.updated = now
	rec.attempts = append(rec.attempts, sendAttempt{Time: date(now), Channel: "sms", AttemptSID: "VL" + randomHex()})
	e.current[svc+"/"+to] = v.SID
	body := e.verificationJSON(rec, verify.StatusPending)
	e.mu.Unlock()
	writeJSON(w, http.StatusCreated, body)
}

// verificationJSON renders rec; the caller holds e.mu.
func (e *Emulator) verificationJSON(rec *verificationRec, status string) verificationJSON {
	return verificationJSON{
		SID: rec.sid, ServiceSID: rec.service, AccountSID: e.opts.AccountSID,
		To: rec.to, Channel: "sms", Status: status, Valid: status == verify.StatusApproved,
		Lookup:           map[string]any{"carrier": nil},
		SendCodeAttempts: append([]sendAttempt(nil), rec.attempts...),
		DateCreated:      date(rec.created), DateUpdated: date(rec.updated),
		URL: "https://verify.twilio.com/v2/Services/" + rec.service + "/Verifications/" + rec.sid,
	}
}

func (e *Emulator) checkVerification(w *statusWriter, r *http.Request, svc string) {
	to, sid, code := r.PostForm.Get("To"), r.PostForm.Get("VerificationSid"), r.PostForm.Get("Code")
	if code == "" || (to == "") == (sid == "") {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: Code and one of To or VerificationSid are required")
		return
	}
	if sid != "" {
		e.mu.Lock()
		rec := e.verifications[sid]
		if rec != nil && e.current[svc+"/"+rec.to] == sid {
			to = rec.to
		}
		e.mu.Unlock()
		if to == "" {
			e.notFound(w, r)
			return
		}
	}
	c, err := e.engine.CheckSMS(r.Context(), target(svc, to), code)
	if err != nil {
		e.engineError(w, err, 60202)
		return
	}
	status := verify.StatusPending
	if c.Approved {
		status = verify.StatusApproved
	}
	now := e.now()
	e.mu.Lock()
	rec := e.verifications[e.current[svc+"/"+to]]
	if rec == nil {
		rec = &verificationRec{sid: e.current[svc+"/"+to], to: to, service: svc, created: now}
	}
	rec.updated = now
	body := verificationCheckJSON{
		SID: rec.sid, ServiceSID: svc, AccountSID: e.opts.AccountSID,
		To: to, Channel: "sms", Status: status, Valid: c.Approved,
		DateCreated: date(rec.created), DateUpdated: date(now),
		SnaAttemptsErrorCodes: []any{},
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// --- TOTP --------------------------------------------------------------

type factorConfig struct {
	Alg        string `json:"alg"`
	Skew       int    `json:"skew"`
	CodeLength int    `json:"code_length"`
	TimeStep   int    `json:"time_step"`
}

type factorBinding struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
}

type factorJSON struct {
	SID          string         `json:"sid"`
	AccountSID   string         `json:"account_sid"`
	ServiceSID   string         `json:"service_sid"`
	EntitySID    string         `json:"entity_sid"`
	Identity     string         `json:"identity"`
	Binding      *factorBinding `json:"binding,omitempty"` // creation response only
	Options      any            `json:"options,omitempty"`
	DateCreated  string         `json:"date_created"`
	DateUpdated  string         `json:"date_updated"`
	FriendlyName string         `json:"friendly_name"`
	Status       string         `json:"status"`
	FactorType   string         `json:"factor_type"`
	Config       factorConfig   `json:"config"`
	Metadata     any            `json:"metadata"`
	URL          string         `json:"url"`
}

type challengeJSON struct {
	SID             string            `json:"sid"`
	AccountSID      string            `json:"account_sid"`
	ServiceSID      string            `json:"service_sid"`
	EntitySID       string            `json:"entity_sid"`
	Identity        string            `json:"identity"`
	FactorSID       string            `json:"factor_sid"`
	DateCreated     string            `json:"date_created"`
	DateUpdated     string            `json:"date_updated"`
	DateResponded   *string           `json:"date_responded"`
	ExpirationDate  string            `json:"expiration_date"`
	Status          string            `json:"status"`
	RespondedReason string            `json:"responded_reason"`
	Details         map[string]any    `json:"details"`
	HiddenDetails   map[string]any    `json:"hidden_details"`
	Metadata        any               `json:"metadata"`
	FactorType      string            `json:"factor_type"`
	URL             string            `json:"url"`
	Links           map[string]string `json:"links"`
}

func (e *Emulator) createFactor(w *statusWriter, r *http.Request, identity string) {
	typ, name := r.PostForm.Get("FactorType"), r.PostForm.Get("FriendlyName")
	if typ != "totp" {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: FactorType")
		return
	}
	if name == "" || len(name) > 64 {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: FriendlyName")
		return
	}
	f, err := e.engine.CreateTOTPFactor(r.Context(), identity, name)
	if err != nil {
		e.engineError(w, err, 60310)
		return
	}
	now := e.now()
	rec := &factorRec{identity: identity, friendlyName: name, status: "unverified", created: now, updated: now}
	e.mu.Lock()
	e.secrets[f.SID] = f.Secret
	e.factors[f.SID] = rec
	e.mu.Unlock()
	body := e.factorJSON(f.SID, rec)
	body.Binding = &factorBinding{Secret: f.Secret, URI: f.URI}
	writeJSON(w, http.StatusCreated, body)
}

func (e *Emulator) factorJSON(sid string, rec *factorRec) factorJSON {
	return factorJSON{
		SID: sid, AccountSID: e.opts.AccountSID, ServiceSID: e.opts.ServiceSID,
		EntitySID: e.entitySID(rec.identity), Identity: rec.identity,
		DateCreated: date(rec.created), DateUpdated: date(rec.updated),
		FriendlyName: rec.friendlyName, Status: rec.status, FactorType: "totp",
		Config: factorConfig{Alg: "sha1", Skew: 1, CodeLength: 6, TimeStep: 30},
		URL:    e.resourceURL("/Entities/" + rec.identity + "/Factors/" + sid),
	}
}

// factor returns a copy of the record of sid when it belongs to identity.
func (e *Emulator) factor(identity, sid string) (factorRec, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, ok := e.factors[sid]
	if !ok || rec.identity != identity {
		return factorRec{}, false
	}
	return *rec, true
}

func (e *Emulator) updateFactor(w *statusWriter, r *http.Request, identity, sid string) {
	payload := r.PostForm.Get("AuthPayload")
	if payload == "" {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: AuthPayload")
		return
	}
	c, err := e.engine.VerifyTOTPFactor(r.Context(), identity, sid, payload)
	if err != nil {
		e.engineError(w, err, 60310)
		return
	}
	now := e.now()
	e.mu.Lock()
	rec := e.factors[sid]
	if rec == nil { // the engine knows it; the emulator was not told
		rec = &factorRec{identity: identity, friendlyName: "", status: "unverified", created: now}
		e.factors[sid] = rec
	}
	rec.updated = now
	if c.Approved {
		rec.status = "verified"
	}
	snapshot := *rec
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, e.factorJSON(sid, &snapshot))
}

func (e *Emulator) fetchFactor(w *statusWriter, r *http.Request, identity, sid string) {
	rec, ok := e.factor(identity, sid)
	if !ok {
		e.notFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, e.factorJSON(sid, &rec))
}

func (e *Emulator) deleteFactor(w *statusWriter, r *http.Request, identity, sid string) {
	if err := e.engine.DeleteTOTPFactor(r.Context(), identity, sid); err != nil {
		e.engineError(w, err, 60310)
		return
	}
	e.mu.Lock()
	delete(e.factors, sid)
	e.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) createChallenge(w *statusWriter, r *http.Request, identity string) {
	sid, payload := r.PostForm.Get("FactorSid"), r.PostForm.Get("AuthPayload")
	if sid == "" || payload == "" {
		e.writeError(w, 60200, http.StatusBadRequest, "Invalid parameter: FactorSid and AuthPayload are required")
		return
	}
	c, err := e.engine.ChallengeTOTP(r.Context(), identity, sid, payload)
	if err != nil {
		e.engineError(w, err, 60310)
		return
	}
	now := e.now()
	ch := challengeJSON{
		SID: "YC" + randomHex(), AccountSID: e.opts.AccountSID, ServiceSID: e.opts.ServiceSID,
		EntitySID: e.entitySID(identity), Identity: identity, FactorSID: sid,
		DateCreated: date(now), DateUpdated: date(now),
		ExpirationDate: date(now.Add(5 * time.Minute)),
		Status:         verify.StatusPending, RespondedReason: "none",
		Details: map[string]any{"message": nil, "date": date(now), "fields": []any{}}, HiddenDetails: map[string]any{},
		FactorType: "totp",
	}
	if c.Approved {
		ch.Status = verify.StatusApproved
		d := date(now)
		ch.DateResponded = &d
	}
	ch.URL = e.resourceURL("/Entities/" + identity + "/Challenges/" + ch.SID)
	ch.Links = map[string]string{"notifications": ch.URL + "/Notifications"}
	writeJSON(w, http.StatusCreated, ch)
}

// --- helpers -----------------------------------------------------------

// engineError answers a refusal of the engine with Twilio's code;
// tooManyChecks is the code for verify.ErrTooManyChecks.
func (e *Emulator) engineError(w *statusWriter, err error, tooManyChecks int) {
	switch {
	case errors.Is(err, verify.ErrNotFound):
		e.writeError(w, 20404, http.StatusNotFound, "The requested resource was not found")
	case errors.Is(err, verify.ErrTooManyChecks):
		e.writeError(w, tooManyChecks, http.StatusTooManyRequests, messageFor(tooManyChecks))
	case errors.Is(err, verify.ErrTooManySends):
		e.writeError(w, 60203, http.StatusTooManyRequests, messageFor(60203))
	case errors.Is(err, verify.ErrInvalidParameter):
		e.writeError(w, 60200, http.StatusBadRequest, messageFor(60200))
	case errors.Is(err, verify.ErrRateLimited):
		e.writeError(w, 60212, http.StatusTooManyRequests, messageFor(60212))
	case errors.Is(err, verify.ErrBlocked):
		e.writeError(w, 60410, http.StatusForbidden, messageFor(60410))
	default:
		e.writeError(w, 20500, http.StatusInternalServerError, "Internal Server Error")
	}
}

type errorJSON struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func errorBody(code, status int, msg string) errorJSON {
	return errorJSON{Code: code, Message: msg, MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), Status: status}
}

func (e *Emulator) writeError(w *statusWriter, code, status int, msg string) {
	w.code = code
	writeJSON(w, status, errorBody(code, status, msg))
}

// messageFor returns Twilio's message for the codes the portal handles.
func messageFor(code int) string {
	switch code {
	case 20003:
		return "Authenticate"
	case 20404:
		return "The requested resource was not found"
	case 20429:
		return "Too Many Requests"
	case 60200:
		return "Invalid parameter"
	case 60202:
		return "Max check attempts reached"
	case 60203:
		return "Max send attempts reached"
	case 60212:
		return "Too many concurrent requests for phone number"
	case 60308, 60310:
		return "Max verification attempts reached"
	case 60410:
		return "Verification delivery attempt blocked"
	case 60605:
		return "Verification delivery to this country is blocked"
	}
	return "Error"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (e *Emulator) now() time.Time { return e.opts.Now().UTC() }

func (e *Emulator) resourceURL(rest string) string {
	return "https://verify.twilio.com/v2/Services/" + e.opts.ServiceSID + rest
}

// entitySID derives a stable YE sid for an identity.
func (e *Emulator) entitySID(identity string) string {
	h := sha256.Sum256([]byte(e.opts.ServiceSID + "/" + identity))
	return "YE" + hex.EncodeToString(h[:16])
}

// date formats t as Twilio does: RFC 3339, UTC, whole seconds.
func date(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func randomHex() string { return hex.EncodeToString(randomBytes(16)) }

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return url.Values{}
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
