package twiliotest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"gatehouse/internal/verify/twilio/twiliotest"
)

const (
	phone    = "+15005550006"
	identity = "0d9c3f5e-2b1a-4f6e-8d7c-6b5a4f3e2d1c"
)

// raw sends a form request as the SDK does and decodes the JSON answer.
type raw struct {
	t  *testing.T
	em *twiliotest.Emulator
}

func (r raw) do(method, path string, form url.Values, user, pass string) (int, http.Header, map[string]any, string) {
	r.t.Helper()
	var body io.Reader
	u := r.em.URL() + path
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		u += "?" + form.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 && json.Valid(b) {
		if err := json.Unmarshal(b, &m); err != nil {
			r.t.Fatal(err)
		}
	}
	return resp.StatusCode, resp.Header, m, string(b)
}

func (r raw) post(path string, form url.Values) (int, map[string]any) {
	r.t.Helper()
	status, _, m, _ := r.do(http.MethodPost, r.svc()+path, form, r.em.AccountSID(), r.em.AuthToken())
	return status, m
}

func (r raw) svc() string { return "/v2/Services/" + r.em.ServiceSID() }

// wantError checks a Twilio error body.
func wantError(t *testing.T, status int, m map[string]any, wantStatus, wantCode int) {
	t.Helper()
	if status != wantStatus || m["code"] != float64(wantCode) || m["status"] != float64(wantStatus) ||
		m["message"] == "" || m["more_info"] != "https://www.twilio.com/docs/errors/"+itoa(wantCode) {
		t.Fatalf("answer %d %v, want %d with code %d", status, m, wantStatus, wantCode)
	}
}

// other returns a code of the same length that differs from c.
func other(c string) string { return string('0'+(c[0]-'0'+1)%10) + c[1:] }

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func wantDate(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		s, _ := m[k].(string)
		if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Fatalf("%s = %q, want an RFC 3339 UTC date", k, s)
		}
	}
}

func TestAuthAndRouting(t *testing.T) {
	em := twiliotest.New(t, twiliotest.Options{})
	r := raw{t, em}
	form := url.Values{"To": {phone}, "Channel": {"sms"}}

	status, h, m, _ := r.do(http.MethodPost, r.svc()+"/Verifications", form, "", "")
	wantError(t, status, m, 401, 20003)
	if h.Get("WWW-Authenticate") == "" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", h)
	}
	status, _, m, _ = r.do(http.MethodPost, r.svc()+"/Verifications", form, em.AccountSID(), "nope")
	wantError(t, status, m, 401, 20003)
	status, _, m, _ = r.do(http.MethodPost, "/v2/Services/VAffffffffffffffffffffffffffffffff/Verifications", form, em.AccountSID(), em.AuthToken())
	wantError(t, status, m, 404, 20404)
	status, _, m, _ = r.do(http.MethodPost, r.svc()+"/Nothing", form, em.AccountSID(), em.AuthToken())
	wantError(t, status, m, 404, 20404)
	if _, ok := em.LastCode(phone); ok {
		t.Fatal("a refused request sent an SMS")
	}
	reqs := em.Requests()
	if len(reqs) != 4 || reqs[0].User != "" || reqs[1].User != em.AccountSID() || reqs[0].Status != 401 || reqs[0].Code != 20003 {
		t.Fatalf("requests = %+v", reqs)
	}
	em.Reset()
	if n := len(em.Requests()); n != 0 {
		t.Fatalf("Reset kept %d requests", n)
	}
}

func TestVerificationWire(t *testing.T) {
	clk := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	em := twiliotest.New(t, twiliotest.Options{Now: func() time.Time { return clk }})
	r := raw{t, em}

	status, m := r.post("/Verifications", url.Values{"To": {phone}, "Channel": {"sms"}})
	sid, _ := m["sid"].(string)
	if status != 201 || !strings.HasPrefix(sid, "VE") || len(sid) != 34 || m["to"] != phone || m["channel"] != "sms" ||
		m["status"] != "pending" || m["valid"] != false || m["service_sid"] != em.ServiceSID() || m["account_sid"] != em.AccountSID() ||
		m["url"] != "https://verify.twilio.com/v2/Services/"+em.ServiceSID()+"/Verifications/"+sid {
		t.Fatalf("verification %d %v", status, m)
	}
	wantDate(t, m, "date_created", "date_updated")
	if a, _ := m["send_code_attempts"].([]any); len(a) != 1 {
		t.Fatalf("send_code_attempts = %v", m["send_code_attempts"])
	}
	code, ok := em.LastCode(phone)
	if !ok || len(code) != 6 {
		t.Fatalf("LastCode = %q, %v", code, ok)
	}

	// A wrong code: 200 pending. Checking by VerificationSid works too.
	status, m = r.post("/VerificationCheck", url.Values{"To": {phone}, "Code": {other(code)}})
	if status != 200 || m["status"] != "pending" || m["valid"] != false || m["sid"] != sid {
		t.Fatalf("wrong check %d %v", status, m)
	}
	status, m = r.post("/VerificationCheck", url.Values{"VerificationSid": {sid}, "Code": {code}})
	if status != 200 || m["status"] != "approved" || m["valid"] != true || m["to"] != phone {
		t.Fatalf("right check %d %v", status, m)
	}
	wantDate(t, m, "date_created", "date_updated")
	status, m = r.post("/VerificationCheck", url.Values{"To": {phone}, "Code": {code}})
	wantError(t, status, m, 404, 20404)

	// Expiry.
	r.post("/Verifications", url.Values{"To": {phone}, "Channel": {"sms"}})
	code, _ = em.LastCode(phone)
	clk = clk.Add(10*time.Minute + time.Second)
	status, m = r.post("/VerificationCheck", url.Values{"To": {phone}, "Code": {code}})
	wantError(t, status, m, 404, 20404)

	// Parameters.
	status, m = r.post("/Verifications", url.Values{"To": {phone}, "Channel": {"call"}})
	wantError(t, status, m, 400, 60200)
	status, m = r.post("/Verifications", url.Values{"To": {"12345"}, "Channel": {"sms"}})
	wantError(t, status, m, 400, 60200)
}

func TestVerificationCaps(t *testing.T) {
	em := twiliotest.New(t, twiliotest.Options{})
	r := raw{t, em}
	for i := 1; i <= 5; i++ {
		status, m := r.post("/Verifications", url.Values{"To": {phone}, "Channel": {"sms"}})
		if a, _ := m["send_code_attempts"].([]any); status != 201 || len(a) != i {
			t.Fatalf("send %d: %d %v", i, status, m)
		}
	}
	status, m := r.post("/Verifications", url.Values{"To": {phone}, "Channel": {"sms"}})
	wantError(t, status, m, 429, 60203)

	code, _ := em.LastCode(phone)
	bad := "00000"
	if code[:5] == bad {
		bad = "11111"
	}
	for i := range 5 {
		if status, m := r.post("/VerificationCheck", url.Values{"To": {phone}, "Code": {bad + "0"}}); status != 200 || m["status"] != "pending" {
			t.Fatalf("wrong check %d: %d %v", i+1, status, m)
		}
	}
	status, m = r.post("/VerificationCheck", url.Values{"To": {phone}, "Code": {code}})
	wantError(t, status, m, 429, 60202)
}

func TestFactorWire(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	em := twiliotest.New(t, twiliotest.Options{Now: func() time.Time { return now }})
	r := raw{t, em}
	base := "/Entities/" + identity

	status, m := r.post(base+"/Factors", url.Values{"FactorType": {"totp"}, "FriendlyName": {"Gatehouse"}})
	sid, _ := m["sid"].(string)
	b, _ := m["binding"].(map[string]any)
	cfg, _ := m["config"].(map[string]any)
	entity, _ := m["entity_sid"].(string)
	if status != 201 || !strings.HasPrefix(sid, "YF") || !strings.HasPrefix(entity, "YE") || m["identity"] != identity ||
		m["status"] != "unverified" || m["factor_type"] != "totp" || m["friendly_name"] != "Gatehouse" ||
		b["secret"] == nil || !strings.HasPrefix(b["uri"].(string), "otpauth://totp/") ||
		cfg["alg"] != "sha1" || cfg["skew"] != 1.0 || cfg["code_length"] != 6.0 || cfg["time_step"] != 30.0 ||
		m["url"] != "https://verify.twilio.com/v2/Services/"+em.ServiceSID()+base+"/Factors/"+sid {
		t.Fatalf("factor %d %v", status, m)
	}
	wantDate(t, m, "date_created", "date_updated")
	secret, ok := em.FactorSecret(sid)
	if !ok || secret != b["secret"] || !strings.Contains(b["uri"].(string), "secret="+secret) {
		t.Fatalf("FactorSecret = %q, binding %v", secret, b)
	}
	code := func() string {
		c, err := totp.GenerateCodeCustom(secret, now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	status, m = r.post(base+"/Factors/"+sid, url.Values{"AuthPayload": {other(code())}})
	if status != 200 || m["status"] != "unverified" || m["binding"] != nil {
		t.Fatalf("wrong update %d %v", status, m)
	}
	status, m = r.post(base+"/Factors/"+sid, url.Values{"AuthPayload": {code()}})
	if status != 200 || m["status"] != "verified" || m["binding"] != nil {
		t.Fatalf("right update %d %v", status, m)
	}
	status, _, m, _ = r.do(http.MethodGet, r.svc()+base+"/Factors/"+sid, nil, em.AccountSID(), em.AuthToken())
	if status != 200 || m["status"] != "verified" || m["binding"] != nil {
		t.Fatalf("fetch %d %v", status, m)
	}

	now = now.Add(30 * time.Second)
	status, m = r.post(base+"/Challenges", url.Values{"FactorSid": {sid}, "AuthPayload": {code()}})
	csid, _ := m["sid"].(string)
	if status != 201 || !strings.HasPrefix(csid, "YC") || m["status"] != "approved" || m["factor_sid"] != sid || m["entity_sid"] != entity {
		t.Fatalf("challenge %d %v", status, m)
	}
	wantDate(t, m, "date_created", "date_updated", "date_responded", "expiration_date")
	now = now.Add(30 * time.Second)
	status, m = r.post(base+"/Challenges", url.Values{"FactorSid": {sid}, "AuthPayload": {other(code())}})
	if status != 201 || m["status"] != "pending" || m["date_responded"] != nil {
		t.Fatalf("wrong challenge %d %v", status, m)
	}
	// Another identity cannot use the factor.
	status, m = r.post("/Entities/someone-else/Challenges", url.Values{"FactorSid": {sid}, "AuthPayload": {code()}})
	wantError(t, status, m, 404, 20404)

	status, _, _, body := r.do(http.MethodDelete, r.svc()+base+"/Factors/"+sid, nil, em.AccountSID(), em.AuthToken())
	if status != 204 || body != "" {
		t.Fatalf("delete %d %q", status, body)
	}
	status, _, m, _ = r.do(http.MethodDelete, r.svc()+base+"/Factors/"+sid, nil, em.AccountSID(), em.AuthToken())
	wantError(t, status, m, 404, 20404)

	status, m = r.post(base+"/Factors", url.Values{"FactorType": {"push"}, "FriendlyName": {"x"}})
	wantError(t, status, m, 400, 60200)
}

func TestFaults(t *testing.T) {
	em := twiliotest.New(t, twiliotest.Options{})
	r := raw{t, em}
	send := url.Values{"To": {phone}, "Channel": {"sms"}}

	em.FailNext("/Verifications", 503, "<html>down</html>")
	em.ErrorNext("/Verifications", 60410, 403)
	status, h, _, body := r.do(http.MethodPost, r.svc()+"/Verifications", send, em.AccountSID(), em.AuthToken())
	if status != 503 || body != "<html>down</html>" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("FailNext: %d %q %v", status, body, h)
	}
	status, m := r.post("/Verifications", send)
	wantError(t, status, m, 403, 60410)
	if _, ok := em.LastCode(phone); ok {
		t.Fatal("a faulted request reached the engine")
	}
	if status, _ := r.post("/Verifications", send); status != 201 {
		t.Fatalf("after the faults: %d", status)
	}

	// A method-qualified fault waits for its method.
	em.FailNext("DELETE /Factors/", 500, "")
	if status, _ := r.post("/Entities/"+identity+"/Factors", url.Values{"FactorType": {"totp"}, "FriendlyName": {"G"}}); status != 201 {
		t.Fatalf("POST hit a DELETE fault: %d", status)
	}
	status, _, _, _ = r.do(http.MethodDelete, r.svc()+"/Entities/"+identity+"/Factors/YF0", nil, em.AccountSID(), em.AuthToken())
	if status != 500 {
		t.Fatalf("DELETE fault: %d", status)
	}

	// Delay, then Hang cut by the client, then Clear.
	em.Delay(150 * time.Millisecond)
	start := time.Now()
	if status, _ := r.post("/VerificationCheck", url.Values{"To": {phone}, "Code": {"123456"}}); status != 200 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("Delay: %d after %v", status, time.Since(start))
	}
	em.Hang()
	em.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, em.URL()+r.svc()+"/Verifications", strings.NewReader(send.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(em.AccountSID(), em.AuthToken())
	start = time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil || time.Since(start) > time.Second {
		t.Fatalf("Hang: err %v after %v", err, time.Since(start))
	}
	em.Clear()
	if status, _ := r.post("/Verifications", send); status != 201 {
		t.Fatalf("after Clear: %d", status)
	}
	reqs := em.Requests()
	if len(reqs) != 2 || reqs[0].Form.Get("To") != phone || reqs[1].Status != 201 {
		t.Fatalf("requests = %+v", reqs)
	}
}

// TestHangReleasedAtShutdown: a hung request does not block the test's
// cleanup.
func TestHangReleasedAtShutdown(t *testing.T) {
	done := make(chan struct{})
	t.Run("inner", func(t *testing.T) {
		em := twiliotest.New(t, twiliotest.Options{})
		em.Hang()
		go func() {
			defer close(done)
			resp, err := http.Post(em.URL()+"/v2/Services/x/Verifications", "application/x-www-form-urlencoded", nil)
			if err == nil {
				resp.Body.Close()
			}
		}()
		time.Sleep(50 * time.Millisecond)
	})
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("hung request not released at shutdown")
	}
}

func TestAPIKeyCredentials(t *testing.T) {
	em := twiliotest.New(t, twiliotest.Options{APIKeySID: "SKfedcba9876543210fedcba9876543210", APIKeySecret: "keysecret"})
	r := raw{t, em}
	status, _, m, _ := r.do(http.MethodPost, r.svc()+"/Verifications", url.Values{"To": {phone}, "Channel": {"sms"}},
		"SKfedcba9876543210fedcba9876543210", "keysecret")
	if status != 201 {
		t.Fatalf("API key refused: %d %v", status, m)
	}
	status, _, m, _ = r.do(http.MethodPost, r.svc()+"/Verifications", url.Values{"To": {phone}, "Channel": {"sms"}},
		"SKfedcba9876543210fedcba9876543210", em.AuthToken())
	wantError(t, status, m, 401, 20003)
}
