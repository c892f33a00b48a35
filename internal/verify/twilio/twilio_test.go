package twilio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/twilio/twilio-go/client"

	"gatehouse/internal/fakeclock"
	"gatehouse/internal/verify"
	"gatehouse/internal/verify/twilio"
	"gatehouse/internal/verify/twilio/twiliotest"
)

const (
	phone    = "+15005550006"
	identity = "3f2c1d9e-8b7a-4c6d-9e0f-1a2b3c4d5e6f"
	email    = "alice@example.com"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	c     *twilio.Client
	em    *twiliotest.Emulator
	clock *fakeclock.Clock
	logs  *syncBuffer
}

// newFixture returns an adapter talking to a fresh emulator through the
// real SDK. edit changes the adapter's options before New.
func newFixture(t *testing.T, edit ...func(*twilio.Options)) *fixture {
	t.Helper()
	f := &fixture{clock: fakeclock.New(time.Date(2026, 3, 1, 12, 0, 15, 0, time.UTC)), logs: &syncBuffer{}}
	f.em = twiliotest.New(t, twiliotest.Options{Now: f.clock.Now})
	o := twilio.Options{
		AccountSID: f.em.AccountSID(),
		AuthToken:  f.em.AuthToken(),
		ServiceSID: f.em.ServiceSID(),
		BaseURL:    f.em.URL(),
		Timeout:    2 * time.Second,
		// The second service, for the flows anyone may start.
		AnonServiceSID: f.em.ClientOptions().AnonServiceSID,
		Log:            slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, fn := range edit {
		fn(&o)
	}
	c, err := twilio.New(o)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

func (f *fixture) code(t *testing.T, to string) string {
	t.Helper()
	code, ok := f.em.LastCode(to)
	if !ok {
		t.Fatalf("no SMS sent to %s", to)
	}
	return code
}

// wrong returns a six-digit code different from code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func (f *fixture) totp(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, f.clock.Now(), totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// requests returns "METHOD path-suffix" of every recorded request, the
// service prefix stripped.
func (f *fixture) requests() []string {
	var out []string
	prefix := "/v2/Services/" + f.em.ServiceSID()
	for _, r := range f.em.Requests() {
		out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, prefix))
	}
	return out
}

func wantRequests(t *testing.T, f *fixture, want ...string) {
	t.Helper()
	got := f.requests()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n got %q\nwant %q", got, want)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func TestSMSApproveThenNotFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	v, err := f.c.StartSMS(ctx, login(phone))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.SID, "VE") || v.To != phone || v.Status != verify.StatusPending || v.Sends != 1 {
		t.Fatalf("verification = %+v", v)
	}
	code := f.code(t, phone)
	c, err := f.c.CheckSMS(ctx, login(phone), code)
	if err != nil || !c.Approved {
		t.Fatalf("check = %+v, %v; want approved", c, err)
	}
	_, err = f.c.CheckSMS(ctx, login(phone), code)
	wantErr(t, err, verify.ErrNotFound)
	var te *client.TwilioRestError
	if !errors.As(err, &te) || te.Code != 20404 {
		t.Fatalf("err = %v, want a TwilioRestError 20404", err)
	}
	wantRequests(t, f, "POST /Verifications", "POST /VerificationCheck", "POST /VerificationCheck")
	reqs := f.em.Requests()
	if got := reqs[0].Form; got.Get("To") != phone || got.Get("Channel") != "sms" {
		t.Fatalf("send form = %v", got)
	}
	if got := reqs[1].Form; got.Get("To") != phone || got.Get("Code") != code {
		t.Fatalf("check form = %v", got)
	}
	if reqs[0].User != f.em.AccountSID() || reqs[0].Status != 201 || reqs[2].Status != 404 || reqs[2].Code != 20404 {
		t.Fatalf("requests = %+v", reqs)
	}
	if strings.Contains(f.logs.String(), code) || strings.Contains(f.logs.String(), phone) {
		t.Fatalf("logs reveal the code or the number:\n%s", f.logs)
	}
	if strings.Contains(err.Error(), phone) {
		t.Fatalf("error text reveals the number: %v", err)
	}
}

func TestSMSWrongCodeIsNotAnError(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.c.StartSMS(ctx, login(phone)); err != nil {
		t.Fatal(err)
	}
	code := f.code(t, phone)
	c, err := f.c.CheckSMS(ctx, login(phone), wrong(code))
	if err != nil || c.Approved {
		t.Fatalf("wrong code: %+v, %v; want not approved, no error", c, err)
	}
	c, err = f.c.CheckSMS(ctx, login(phone), code)
	if err != nil || !c.Approved {
		t.Fatalf("right code after a wrong one: %+v, %v", c, err)
	}
}

func TestSMSSixthCheckTooManyChecks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.c.StartSMS(ctx, login(phone)); err != nil {
		t.Fatal(err)
	}
	code := f.code(t, phone)
	for i := range 5 {
		if c, err := f.c.CheckSMS(ctx, login(phone), wrong(code)); err != nil || c.Approved {
			t.Fatalf("check %d: %+v, %v", i+1, c, err)
		}
	}
	_, err := f.c.CheckSMS(ctx, login(phone), code)
	wantErr(t, err, verify.ErrTooManyChecks)
}

func TestSMSSixthSendTooManySends(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var first string
	for i := 1; i <= 5; i++ {
		v, err := f.c.StartSMS(ctx, login(phone))
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if v.Sends != i {
			t.Fatalf("send %d: Sends = %d", i, v.Sends)
		}
		if i == 1 {
			first = v.SID
		} else if v.SID != first {
			t.Fatalf("resend %d changed the verification sid", i)
		}
	}
	_, err := f.c.StartSMS(ctx, login(phone))
	wantErr(t, err, verify.ErrTooManySends)
	// The code of the fifth send still works.
	if c, err := f.c.CheckSMS(ctx, login(phone), f.code(t, phone)); err != nil || !c.Approved {
		t.Fatalf("check after refused send: %+v, %v", c, err)
	}
}

func TestSMSExpiredCode(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.c.StartSMS(ctx, login(phone)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(11 * time.Minute)
	_, err := f.c.CheckSMS(ctx, login(phone), f.code(t, phone))
	wantErr(t, err, verify.ErrNotFound)
}

func TestTOTPLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fa, err := f.c.CreateTOTPFactor(ctx, identity, email)
	if err != nil {
		t.Fatal(err)
	}
	secret, ok := f.em.FactorSecret(fa.SID)
	if !ok || secret == "" || fa.Secret != secret || !strings.HasPrefix(fa.SID, "YF") {
		t.Fatalf("factor = %+v, emulator secret %q", fa, secret)
	}
	if want := f.clock.Now().Add(twilio.FactorTTL); !fa.ExpiresAt.Equal(want) {
		t.Fatalf("ExpiresAt = %v, want %v", fa.ExpiresAt, want)
	}
	u, err := url.Parse(fa.URI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Gatehouse:"+email ||
		q.Get("issuer") != "Gatehouse" || q.Get("secret") != secret ||
		q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Fatalf("uri = %s", fa.URI)
	}
	if strings.Contains(fa.URI, twiliotest.DefaultIssuer) || strings.Contains(fa.URI, "Emulated") {
		t.Fatalf("uri keeps Twilio's issuer: %s", fa.URI)
	}
	// The email never reaches Twilio.
	for _, r := range f.em.Requests() {
		if strings.Contains(r.Path, email) || strings.Contains(r.Form.Encode(), url.QueryEscape(email)) {
			t.Fatalf("request carries the email: %+v", r)
		}
	}

	// Enrollment: a wrong first code, then the right one.
	c, err := f.c.VerifyTOTPFactor(ctx, identity, fa.SID, wrong(f.totp(t, secret)))
	if err != nil || c.Approved {
		t.Fatalf("verify with a wrong code: %+v, %v", c, err)
	}
	c, err = f.c.VerifyTOTPFactor(ctx, identity, fa.SID, f.totp(t, secret))
	if err != nil || !c.Approved {
		t.Fatalf("verify with the right code: %+v, %v", c, err)
	}

	// Login: a challenge with the next step's code, then a wrong one.
	f.clock.Advance(30 * time.Second)
	c, err = f.c.ChallengeTOTP(ctx, identity, fa.SID, f.totp(t, secret))
	if err != nil || !c.Approved {
		t.Fatalf("challenge with the right code: %+v, %v", c, err)
	}
	f.clock.Advance(30 * time.Second)
	c, err = f.c.ChallengeTOTP(ctx, identity, fa.SID, wrong(f.totp(t, secret)))
	if err != nil || c.Approved || c.Drift != 0 {
		t.Fatalf("challenge with a wrong code: %+v, %v", c, err)
	}

	// Removal, twice.
	if err := f.c.DeleteTOTPFactor(ctx, identity, fa.SID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.c.DeleteTOTPFactor(ctx, identity, fa.SID), verify.ErrNotFound)
	_, err = f.c.ChallengeTOTP(ctx, identity, fa.SID, f.totp(t, secret))
	wantErr(t, err, verify.ErrNotFound)

	wantRequests(t, f,
		"POST /Entities/"+identity+"/Factors",
		"POST /Entities/"+identity+"/Factors/"+fa.SID,
		"POST /Entities/"+identity+"/Factors/"+fa.SID,
		"POST /Entities/"+identity+"/Challenges",
		"POST /Entities/"+identity+"/Challenges",
		"DELETE /Entities/"+identity+"/Factors/"+fa.SID,
		"DELETE /Entities/"+identity+"/Factors/"+fa.SID,
		"POST /Entities/"+identity+"/Challenges",
	)
	reqs := f.em.Requests()
	if r := reqs[0].Form; r.Get("FactorType") != "totp" || r.Get("FriendlyName") != "Gatehouse" {
		t.Fatalf("create form = %v", r)
	}
	if r := reqs[3].Form; r.Get("FactorSid") != fa.SID || len(r.Get("AuthPayload")) != 6 {
		t.Fatalf("challenge form = %v", r)
	}
	if reqs[5].Status != 204 || reqs[6].Code != 20404 {
		t.Fatalf("delete answers: %+v, %+v", reqs[5], reqs[6])
	}
	if strings.Contains(f.logs.String(), secret) {
		t.Fatal("logs reveal the secret")
	}
}

func TestTOTPFactorExpires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fa, err := f.c.CreateTOTPFactor(ctx, identity, email)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(11 * time.Minute)
	_, err = f.c.VerifyTOTPFactor(ctx, identity, fa.SID, f.totp(t, fa.Secret))
	wantErr(t, err, verify.ErrNotFound)
}

func TestTOTPChallengeWrongCodeCap(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fa, err := f.c.CreateTOTPFactor(ctx, identity, email)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.c.VerifyTOTPFactor(ctx, identity, fa.SID, f.totp(t, fa.Secret)); err != nil || !c.Approved {
		t.Fatalf("verify: %+v, %v", c, err)
	}
	f.clock.Advance(30 * time.Second)
	for i := range 5 {
		if c, err := f.c.ChallengeTOTP(ctx, identity, fa.SID, wrong(f.totp(t, fa.Secret))); err != nil || c.Approved {
			t.Fatalf("wrong challenge %d: %+v, %v", i+1, c, err)
		}
	}
	_, err = f.c.ChallengeTOTP(ctx, identity, fa.SID, f.totp(t, fa.Secret))
	wantErr(t, err, verify.ErrTooManyChecks)
}

// TestErrorMapping injects every Twilio code of the mapping table into each
// operation.
func TestErrorMapping(t *testing.T) {
	cases := []struct {
		code, status int
		want         error
	}{
		{20404, 404, verify.ErrNotFound},
		{60200, 400, verify.ErrInvalidParameter},
		{60202, 429, verify.ErrTooManyChecks},
		{60308, 429, verify.ErrTooManyChecks},
		{60310, 429, verify.ErrTooManyChecks},
		{60203, 429, verify.ErrTooManySends},
		{60212, 429, verify.ErrRateLimited},
		{20429, 429, verify.ErrRateLimited},
		{60410, 403, verify.ErrBlocked},
		{60605, 403, verify.ErrBlocked},
		{20003, 401, verify.ErrUnavailable},
		{20500, 500, verify.ErrUnavailable},
		{21211, 400, verify.ErrUnavailable}, // a code outside the table
	}
	f := newFixture(t)
	ctx := context.Background()
	fa, err := f.c.CreateTOTPFactor(ctx, identity, email)
	if err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name, path string
		call       func() error
	}{
		{"StartSMS", "/Verifications", func() error { _, err := f.c.StartSMS(ctx, login(phone)); return err }},
		{"CheckSMS", "/VerificationCheck", func() error { _, err := f.c.CheckSMS(ctx, login(phone), "123456"); return err }},
		{"CreateTOTPFactor", "/Factors", func() error { _, err := f.c.CreateTOTPFactor(ctx, identity, email); return err }},
		{"VerifyTOTPFactor", "/Factors/", func() error { _, err := f.c.VerifyTOTPFactor(ctx, identity, fa.SID, "123456"); return err }},
		{"ChallengeTOTP", "/Challenges", func() error { _, err := f.c.ChallengeTOTP(ctx, identity, fa.SID, "123456"); return err }},
		{"DeleteTOTPFactor", "/Factors/", func() error { return f.c.DeleteTOTPFactor(ctx, identity, fa.SID) }},
	}
	for _, op := range ops {
		for _, tc := range cases {
			if op.name == "DeleteTOTPFactor" && tc.status >= 500 {
				continue // retried: see TestDeleteRetriedOnceOn5xx
			}
			t.Run(fmt.Sprintf("%s/%d", op.name, tc.code), func(t *testing.T) {
				f.em.Reset()
				f.em.ErrorNext(op.path, tc.code, tc.status)
				err := op.call()
				wantErr(t, err, tc.want)
				var te *client.TwilioRestError
				if !errors.As(err, &te) || te.Code != tc.code || te.Status != tc.status {
					t.Fatalf("err = %v, want the TwilioRestError %d", err, tc.code)
				}
				if n := len(f.em.Requests()); n != 1 {
					t.Fatalf("%d requests, want 1 (no retry of a Twilio refusal)", n)
				}
			})
		}
	}
	if !strings.Contains(f.logs.String(), "twilio credentials rejected") {
		t.Fatalf("20003 was not logged as rejected credentials:\n%s", f.logs)
	}
}

// TestServerFailuresUnavailableNoRetry: 5xx answers, with or without a JSON
// body, are unavailable, and no POST is ever sent twice.
func TestServerFailuresUnavailableNoRetry(t *testing.T) {
	failures := []struct {
		name   string
		status int
		body   string
	}{
		{"500 json", 500, `{"code":20500,"message":"Internal Server Error","more_info":"https://www.twilio.com/docs/errors/20500","status":500}`},
		{"503 html", 503, `<html><body>Service Unavailable</body></html>`},
		{"502 empty", 502, ``},
		{"400 html", 400, `<html>Bad Request</html>`},
		{"302 redirect", 302, ``},
	}
	f := newFixture(t)
	ctx := context.Background()
	fa, err := f.c.CreateTOTPFactor(ctx, identity, email)
	if err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name, path string
		call       func() error
	}{
		{"StartSMS", "/Verifications", func() error { _, err := f.c.StartSMS(ctx, login(phone)); return err }},
		{"CheckSMS", "/VerificationCheck", func() error { _, err := f.c.CheckSMS(ctx, login(phone), "123456"); return err }},
		{"CreateTOTPFactor", "/Factors", func() error { _, err := f.c.CreateTOTPFactor(ctx, identity, email); return err }},
		{"VerifyTOTPFactor", "/Factors/", func() error { _, err := f.c.VerifyTOTPFactor(ctx, identity, fa.SID, "123456"); return err }},
		{"ChallengeTOTP", "/Challenges", func() error { _, err := f.c.ChallengeTOTP(ctx, identity, fa.SID, "123456"); return err }},
	}
	for _, op := range ops {
		for _, fl := range failures {
			t.Run(op.name+"/"+fl.name, func(t *testing.T) {
				f.em.Reset()
				f.em.FailNext(op.path, fl.status, fl.body)
				wantErr(t, op.call(), verify.ErrUnavailable)
				reqs := f.em.Requests()
				if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Status != fl.status {
					t.Fatalf("requests = %+v, want exactly one POST", reqs)
				}
			})
		}
	}
}

func TestDeleteRetriedOnceOn5xx(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fa, err := f.c.CreateTOTPFactor(ctx, identity, email)
	if err != nil {
		t.Fatal(err)
	}
	del := "DELETE /Entities/" + identity + "/Factors/" + fa.SID

	// Two failures: one retry, then unavailable.
	f.em.Reset()
	f.em.FailNext("DELETE /Factors/", 503, "<html>busy</html>")
	f.em.FailNext("DELETE /Factors/", 500, `{"code":20500,"message":"Internal Server Error","more_info":"","status":500}`)
	wantErr(t, f.c.DeleteTOTPFactor(ctx, identity, fa.SID), verify.ErrUnavailable)
	wantRequests(t, f, del, del)

	// One failure: the retry deletes.
	f.em.Reset()
	f.em.FailNext("DELETE /Factors/", 503, "")
	if err := f.c.DeleteTOTPFactor(ctx, identity, fa.SID); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, f, del, del)

	// A 4xx refusal is not retried.
	f.em.Reset()
	wantErr(t, f.c.DeleteTOTPFactor(ctx, identity, fa.SID), verify.ErrNotFound)
	wantRequests(t, f, del)
}

func TestDeleteRetriedOnceOnConnectionError(t *testing.T) {
	f := newFixture(t, func(o *twilio.Options) {
		o.BaseURL = "http://127.0.0.1:1" // nothing listens
		o.Timeout = time.Second
	})
	start := time.Now()
	err := f.c.DeleteTOTPFactor(context.Background(), identity, "YF0123456789abcdef0123456789abcdef")
	wantErr(t, err, verify.ErrUnavailable)
	if time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("took %v", time.Since(start))
	}
	if !strings.Contains(f.logs.String(), "retrying once") {
		t.Fatalf("no retry logged:\n%s", f.logs)
	}
}

func TestWrongCredentials(t *testing.T) {
	f := newFixture(t, func(o *twilio.Options) { o.AuthToken = "wrongtoken0123456789abcdef012345" })
	_, err := f.c.StartSMS(context.Background(), login(phone))
	wantErr(t, err, verify.ErrUnavailable)
	var te *client.TwilioRestError
	if !errors.As(err, &te) || te.Code != 20003 || te.Status != 401 {
		t.Fatalf("err = %v, want TwilioRestError 20003/401", err)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "twilio credentials rejected") || !strings.Contains(logs, "level=ERROR") {
		t.Fatalf("credentials failure not logged loudly:\n%s", logs)
	}
	if strings.Contains(logs, "wrongtoken") || strings.Contains(logs, f.em.AuthToken()) {
		t.Fatalf("logs reveal a token:\n%s", logs)
	}
	if _, ok := f.em.LastCode(phone); ok {
		t.Fatal("an SMS was sent with wrong credentials")
	}
}

func TestAPIKeyAuth(t *testing.T) {
	const keySID, keySecret = "SKfedcba9876543210fedcba9876543210", "apikeysecret0123456789abcdefABCD"
	clk := fakeclock.New(time.Now())
	em := twiliotest.New(t, twiliotest.Options{APIKeySID: keySID, APIKeySecret: keySecret, Now: clk.Now})
	newClient := func(secret string) *twilio.Client {
		c, err := twilio.New(twilio.Options{
			AccountSID: em.AccountSID(), APIKeySID: keySID, APIKeySecret: secret,
			ServiceSID: em.ServiceSID(), BaseURL: em.URL(), Timeout: 2 * time.Second,
			Log: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newClient(keySecret)
	ctx := context.Background()
	if _, err := c.StartSMS(ctx, login(phone)); err != nil {
		t.Fatal(err)
	}
	code, _ := em.LastCode(phone)
	if ch, err := c.CheckSMS(ctx, login(phone), code); err != nil || !ch.Approved {
		t.Fatalf("check: %+v, %v", ch, err)
	}
	for _, r := range em.Requests() {
		if r.User != keySID {
			t.Fatalf("request authenticated as %q, want the API key", r.User)
		}
	}
	_, err := newClient("wrongsecret").StartSMS(ctx, login(phone))
	wantErr(t, err, verify.ErrUnavailable)
}

func TestUnknownServiceNotFound(t *testing.T) {
	f := newFixture(t, func(o *twilio.Options) { o.ServiceSID = "VAffffffffffffffffffffffffffffffff" })
	_, err := f.c.StartSMS(context.Background(), login(phone))
	wantErr(t, err, verify.ErrNotFound)
	if !strings.Contains(f.logs.String(), "twilio verify service not found") {
		t.Fatalf("unknown service not logged:\n%s", f.logs)
	}
}

func TestEmulatorClientOptions(t *testing.T) {
	em := twiliotest.New(t, twiliotest.Options{})
	c, err := twilio.New(em.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartSMS(context.Background(), login(phone)); err != nil {
		t.Fatal(err)
	}
}

func TestHangCutAtTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	f := newFixture(t, func(o *twilio.Options) { o.Timeout = timeout })
	f.em.Hang()
	ctx := context.Background()
	calls := map[string]func() error{
		"StartSMS": func() error { _, err := f.c.StartSMS(ctx, login(phone)); return err },
		"CheckSMS": func() error { _, err := f.c.CheckSMS(ctx, login(phone), "123456"); return err },
		"CreateTOTPFactor": func() error {
			_, err := f.c.CreateTOTPFactor(ctx, identity, email)
			return err
		},
		"DeleteTOTPFactor": func() error {
			return f.c.DeleteTOTPFactor(ctx, identity, "YF0123456789abcdef0123456789abcdef")
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			f.em.Reset()
			start := time.Now()
			err := call()
			took := time.Since(start)
			wantErr(t, err, verify.ErrUnavailable)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
			}
			if took < timeout-50*time.Millisecond || took > timeout+time.Second {
				t.Fatalf("took %v, want about %v", took, timeout)
			}
			if n := len(f.em.Requests()); n != 1 {
				t.Fatalf("%d requests, want 1 (a timed-out call is not retried)", n)
			}
		})
	}
}

func TestDelayWithinTimeout(t *testing.T) {
	f := newFixture(t, func(o *twilio.Options) { o.Timeout = 500 * time.Millisecond })
	f.em.Delay(100 * time.Millisecond)
	if _, err := f.c.StartSMS(context.Background(), login(phone)); err != nil {
		t.Fatal(err)
	}
	f.em.Delay(2 * time.Second)
	_, err := f.c.CheckSMS(context.Background(), login(phone), f.code(t, phone))
	wantErr(t, err, verify.ErrUnavailable)
	f.em.Clear()
	if c, err := f.c.CheckSMS(context.Background(), login(phone), f.code(t, phone)); err != nil || !c.Approved {
		t.Fatalf("after Clear: %+v, %v", c, err)
	}
}

func TestContextCancellation(t *testing.T) {
	f := newFixture(t, func(o *twilio.Options) { o.Timeout = 10 * time.Second })
	f.em.Hang()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := f.c.StartSMS(ctx, login(phone))
	wantErr(t, err, verify.ErrUnavailable)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want it to wrap context.Canceled", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("cancellation took %v", took)
	}

	// A context already done makes no request at all.
	f.em.Reset()
	err = f.c.DeleteTOTPFactor(ctx, identity, "YF0123456789abcdef0123456789abcdef")
	wantErr(t, err, verify.ErrUnavailable)
	if n := len(f.em.Requests()); n != 0 {
		t.Fatalf("%d requests with a canceled context", n)
	}

	// The caller's deadline applies when shorter than Timeout.
	ctx, cancel = context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = f.c.CheckSMS(ctx, login(phone), "123456")
	wantErr(t, err, verify.ErrUnavailable)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("caller deadline ignored: took %v", took)
	}
}

func TestInvalidArgumentsMakeNoCall(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const sid = "YF0123456789abcdef0123456789abcdef"
	calls := map[string]func() error{
		"StartSMS not E.164":  func() error { _, err := f.c.StartSMS(ctx, login("5005550006")); return err },
		"CheckSMS bad number": func() error { _, err := f.c.CheckSMS(ctx, login("+1 500"), "123456"); return err },
		"CheckSMS bad code":   func() error { _, err := f.c.CheckSMS(ctx, login(phone), "12a456"); return err },
		"Create bad identity": func() error { _, err := f.c.CreateTOTPFactor(ctx, "../x", email); return err },
		"Create no name":      func() error { _, err := f.c.CreateTOTPFactor(ctx, identity, ""); return err },
		"Verify bad sid":      func() error { _, err := f.c.VerifyTOTPFactor(ctx, identity, "YF/../x", "123456"); return err },
		"Verify bad code":     func() error { _, err := f.c.VerifyTOTPFactor(ctx, identity, sid, "1234567"); return err },
		"Challenge identity":  func() error { _, err := f.c.ChallengeTOTP(ctx, "a/b", sid, "123456"); return err },
		"Delete bad sid":      func() error { return f.c.DeleteTOTPFactor(ctx, identity, "YC0123456789abcdef0123456789abcdef") },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { wantErr(t, call(), verify.ErrInvalidParameter) })
	}
	if n := len(f.em.Requests()); n != 0 {
		t.Fatalf("%d requests for invalid arguments", n)
	}
}

// TestConcurrentCalls runs calls with different contexts in parallel (run
// with -race): each call's context reaches only its own requests.
func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			ctx := context.Background()
			if i%4 == 0 {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			to := fmt.Sprintf("+1500555%04d", i)
			_, err := f.c.StartSMS(ctx, login(to))
			switch {
			case i%4 == 0 && !errors.Is(err, context.Canceled):
				errs <- fmt.Errorf("call %d: canceled context gave %v", i, err)
			case i%4 != 0 && err != nil:
				errs <- fmt.Errorf("call %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(f.em.Requests()); n != 15 {
		t.Fatalf("%d requests, want 15", n)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	_, err := twilio.New(twilio.Options{BaseURL: "ftp://x", Timeout: -1})
	if err == nil {
		t.Fatal("New accepted empty options")
	}
	for _, want := range []string{"AccountSID", "ServiceSID", "AuthToken", "BaseURL", "Timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	ok := twilio.Options{
		AccountSID: twiliotest.DefaultAccountSID, AuthToken: "abc123", ServiceSID: twiliotest.DefaultServiceSID,
	}
	if _, err := twilio.New(ok); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	both := ok
	both.APIKeySID, both.APIKeySecret = "SKfedcba9876543210fedcba9876543210", "secret"
	if _, err := twilio.New(both); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("AuthToken with an API key: %v", err)
	}
	badKey := ok
	badKey.AuthToken, badKey.APIKeySID, badKey.APIKeySecret = "", "AC123", "s3cr3t!"
	if _, err := twilio.New(badKey); err == nil ||
		!strings.Contains(err.Error(), "APIKeySID") || !strings.Contains(err.Error(), "APIKeySecret") {
		t.Fatalf("malformed API key: %v", err)
	}
}
