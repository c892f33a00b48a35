package e2e

// Several Gatehouse instances behind one load balancer, sharing one
// PostgreSQL: two `gatehouse serve` processes on two ports, the same
// database, the same secret key and SMS outbox, and one cookie jar for both
// (cookies ignore ports), so that any request of a visitor may land on
// either instance, as behind a load balancer without sticky sessions.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"gatehouse/internal/store/storetest"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// miPassword is the password of every account the PostgreSQL tests create.
const miPassword = "marble-Harbour-2049"

// miSecretKey returns a fresh GATEHOUSE_SECRET_KEY.
func miSecretKey(t *testing.T) string {
	t.Helper()
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(k[:])
}

// miEnv is the environment of an instance on the database dbURL: what a
// load-balanced deployment sets on every instance alike.
func miEnv(dbURL, key, outbox string) []string {
	return []string{
		"GATEHOUSE_DATABASE_URL=" + dbURL,
		"GATEHOUSE_SECRET_KEY=" + key,
		"GATEHOUSE_SMS_OUTBOX=" + outbox,
		"GATEHOUSE_SMS_CONSOLE=false",
		"GATEHOUSE_CAPTCHA_POW_MAXNUMBER=1000",
		"GATEHOUSE_BASE_URL=http://gatehouse.test",
		"GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32",
	}
}

// miClient is one visitor: a cookie jar (possibly shared with another
// client: one browser, two tabs), no automatic redirects, a bound on every
// request, and the address the load balancer reports in X-Forwarded-For.
type miClient struct {
	t  *testing.T
	hc *http.Client
	ip string
}

// miNewClient returns a visitor from ip with a new cookie jar.
func miNewClient(t *testing.T, ip string) *miClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &miClient{t: t, ip: ip, hc: &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// miResp is a read response.
type miResp struct {
	status  int
	header  http.Header
	body    string
	elapsed time.Duration
}

func (r miResp) location() string { return r.header.Get("Location") }

// send sends a request and reads the answer; transport errors are returned,
// not fatal, for the fault test.
func (c *miClient) send(method, target, contentType, body string) (miResp, error) {
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		return miResp{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.ip != "" {
		req.Header.Set("X-Forwarded-For", c.ip)
	}
	start := time.Now()
	res, err := c.hc.Do(req)
	if err != nil {
		return miResp{elapsed: time.Since(start)}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return miResp{elapsed: time.Since(start)}, err
	}
	return miResp{status: res.StatusCode, header: res.Header, body: string(b), elapsed: time.Since(start)}, nil
}

// do is send that fails the test on a transport error or a 500.
func (c *miClient) do(method, target, contentType, body string) miResp {
	c.t.Helper()
	r, err := c.send(method, target, contentType, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, target, err)
	}
	if r.status == http.StatusInternalServerError {
		c.t.Fatalf("%s %s: 500\n%s", method, target, r.body)
	}
	return r
}

func (c *miClient) get(base, path string) miResp { return c.do(http.MethodGet, base+path, "", "") }

func (c *miClient) post(base, path string, f url.Values) miResp {
	return c.do(http.MethodPost, base+path, "application/x-www-form-urlencoded", f.Encode())
}

// miSolve solves a proof-of-work challenge in JSON as pow.js does: the
// number n with hex(SHA-256(salt + n)) = challenge, sent as base64 JSON.
func miSolve(body string) (string, error) {
	var ch struct {
		Algorithm, Challenge, Salt, Signature string
		MaxNumber                             int64 `json:"maxnumber"`
	}
	if err := json.Unmarshal([]byte(body), &ch); err != nil {
		return "", fmt.Errorf("challenge: %w", err)
	}
	for n := int64(0); n <= ch.MaxNumber; n++ {
		sum := sha256.Sum256([]byte(ch.Salt + strconv.FormatInt(n, 10)))
		if hex.EncodeToString(sum[:]) != ch.Challenge {
			continue
		}
		b, err := json.Marshal(map[string]any{"algorithm": ch.Algorithm, "challenge": ch.Challenge,
			"number": n, "salt": ch.Salt, "signature": ch.Signature})
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	return "", fmt.Errorf("challenge has no solution up to %d", ch.MaxNumber)
}

// captcha fetches a challenge from base and returns the solved token.
func (c *miClient) captcha(base string) string {
	c.t.Helper()
	r := c.get(base, "/captcha/challenge")
	if r.status != http.StatusOK {
		c.t.Fatalf("captcha challenge: %d %s", r.status, r.body)
	}
	tok, err := miSolve(r.body)
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

// miWant checks a response's status and, when location is set, its redirect.
func miWant(t *testing.T, what string, r miResp, status int, location string) {
	t.Helper()
	if r.status != status || (location != "" && r.location() != location) {
		t.Fatalf("%s: %d (Location %q), want %d %q\n%s", what, r.status, r.location(), status, location, r.body)
	}
}

// miJSON decodes a JSON answer.
func miJSON(t *testing.T, what string, r miResp) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("%s: not JSON (%d): %s", what, r.status, r.body)
	}
	return m
}

// miAccount is an account the tests create.
type miAccount struct {
	first, email, phone string // phone in E.164
}

// register runs the three registration steps: the first on start, the
// others on finish.
func (c *miClient) register(start, finish, outbox string, a miAccount) {
	c.t.Helper()
	miWant(c.t, "register "+a.email, c.post(start, "/register", url.Values{"first_name": {a.first},
		"last_name": {"Tester"}, "email": {a.email}, "captcha": {c.captcha(start)}}),
		http.StatusSeeOther, "/register/credentials")
	miWant(c.t, "credentials "+a.email, c.post(finish, "/register/credentials", url.Values{
		"password": {miPassword}, "phone": {a.phone}}), http.StatusSeeOther, "/register/verify")
	miWant(c.t, "verify "+a.email, c.post(finish, "/register/verify", url.Values{
		"code": {outboxCode(c.t, outbox, a.phone)}}), http.StatusSeeOther, "/login")
}

// password runs the password step on base.
func (c *miClient) password(base, email, pw string) miResp {
	c.t.Helper()
	return c.post(base, "/login", url.Values{"email": {email}, "password": {pw}, "captcha": {c.captcha(base)}})
}

// signIn runs the whole SMS sign-in: the password step on pw, the SMS step
// on sms, and returns the final redirect.
func (c *miClient) signIn(pw, sms, outbox string, a miAccount) {
	c.t.Helper()
	miWant(c.t, "password "+a.email, c.password(pw, a.email, miPassword), http.StatusSeeOther, "/login/mfa")
	miWant(c.t, "send code "+a.email, c.post(sms, "/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	miWant(c.t, "code "+a.email, c.post(sms, "/login/mfa/code", url.Values{"code": {outboxCode(c.t, outbox, a.phone)}}),
		http.StatusSeeOther, "/dashboard")
}

// miTOTP returns the authenticator code of secret for 30-second step n.
func miTOTP(t *testing.T, secret string, n int64) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, time.Unix(n*30, 0), totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// miStep is the current 30-second step.
func miStep() int64 { return time.Now().Unix() / 30 }

// TestMultiInstance runs two instances A and B on one fresh database.
func TestMultiInstance(t *testing.T) {
	dbURL := storetest.FreshDatabaseURL(t)
	key := miSecretKey(t)
	outbox := filepath.Join(t.TempDir(), "sms-outbox.jsonl")
	env := miEnv(dbURL, key, outbox)
	a := startPortal(t, env...)
	b := startPortal(t, env...)
	a.Outbox, b.Outbox = outbox, outbox
	A, B := a.URL, b.URL

	t.Run("registration started on A finishes on B", func(t *testing.T) {
		c := miNewClient(t, "198.51.100.1")
		acct := miAccount{"Ada", "ada@example.com", "+12015550101"}
		c.register(A, B, outbox, acct)
		// The account exists for both: the sign-in needs it.
		c.signIn(B, A, outbox, acct)
		miWant(t, "dashboard on B", c.get(B, "/dashboard"), http.StatusOK, "")
	})

	t.Run("login: password on A, SMS on B, dashboard on A", func(t *testing.T) {
		c := miNewClient(t, "198.51.100.2")
		acct := miAccount{"Grace", "grace@example.com", "+12015550102"}
		c.register(B, B, outbox, acct)
		miWant(t, "password on A", c.password(A, acct.email, miPassword), http.StatusSeeOther, "/login/mfa")
		miWant(t, "chooser on B", c.get(B, "/login/mfa"), http.StatusOK, "")
		miWant(t, "dashboard on B before the code", c.get(B, "/dashboard"), http.StatusSeeOther, "/login/mfa")
		miWant(t, "send code on B", c.post(B, "/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
		miWant(t, "code on B", c.post(B, "/login/mfa/code", url.Values{"code": {outboxCode(t, outbox, acct.phone)}}),
			http.StatusSeeOther, "/dashboard")
		r := c.get(A, "/dashboard")
		miWant(t, "dashboard on A", r, http.StatusOK, "")
		if !strings.Contains(r.body, "Grace") {
			t.Fatalf("dashboard on A does not show the account:\n%s", r.body)
		}
		// Sign-out on B ends the session on A too.
		miWant(t, "logout on B", c.post(B, "/logout", nil), http.StatusSeeOther, "/login")
		miWant(t, "dashboard on A after logout", c.get(A, "/dashboard"), http.StatusSeeOther, "")
	})

	t.Run("failures from one network split between A and B make it wait on both, not the owner", func(t *testing.T) {
		setup := miNewClient(t, "198.51.100.3")
		acct := miAccount{"Linus", "linus@example.com", "+12015550103"}
		setup.register(A, A, outbox, acct)
		c := miNewClient(t, "198.51.100.4")
		var wrongBefore miResp
		for i := range 5 {
			base := A
			if i%2 == 1 {
				base = B
			}
			r := c.password(base, acct.email, fmt.Sprintf("wrong-password-%d", i))
			miWant(t, fmt.Sprintf("wrong password %d", i+1), r, http.StatusUnauthorized, "")
			if i == 0 {
				wrongBefore = r
			}
		}
		if !strings.Contains(wrongBefore.body, "Incorrect email or password.") {
			t.Errorf("no refusal message:\n%s", wrongBefore.body)
		}
		for _, inst := range []struct{ name, base string }{{"A", A}, {"B", B}} {
			wrong := c.password(inst.base, acct.email, "wrong-password-x")
			right := c.password(inst.base, acct.email, miPassword)
			miWant(t, "wrong password from the waiting network on "+inst.name, wrong, http.StatusTooManyRequests, "")
			miWant(t, "right password from the waiting network on "+inst.name, right, http.StatusTooManyRequests, "")
			if right.body != wrong.body {
				t.Errorf("on %s the right password from a waiting network answers differently from a wrong one:\n"+
					"right:\n%s\nwrong:\n%s", inst.name, right.body, wrong.body)
			}
			if right.header.Get("Retry-After") == "" || !strings.Contains(right.body, "Try again in") {
				t.Errorf("on %s: no wait told:\n%s", inst.name, right.body)
			}
		}
		// The owner, from another network, signs in on both.
		owner := miNewClient(t, "203.0.113.40")
		owner.signIn(A, A, outbox, acct)
		miWant(t, "logout", owner.post(A, "/logout", nil), http.StatusSeeOther, "/login")
		owner2 := miNewClient(t, "203.0.113.41")
		miWant(t, "owner password on B", owner2.password(B, acct.email, miPassword), http.StatusSeeOther, "/login/mfa")
	})

	t.Run("a TOTP code accepted on A is refused on B", func(t *testing.T) {
		c := miNewClient(t, "198.51.100.5")
		acct := miAccount{"Katherine", "katherine@example.com", "+12015550104"}
		c.register(A, A, outbox, acct)
		c.signIn(A, A, outbox, acct)

		// Enrollment: the factor made on A is confirmed on B.
		r := c.post(A, "/generate-totp-factor/", nil)
		miWant(t, "generate factor on A", r, http.StatusOK, "")
		secret, _ := miJSON(t, "generate factor", r)["secret"].(string)
		if secret == "" {
			t.Fatalf("no secret in %s", r.body)
		}
		enrolled := miStep() - 1 // a step the provider accepts (one either side)
		r = c.post(B, "/confirm-totp-enrollment/", url.Values{"code": {miTOTP(t, secret, enrolled)}})
		miWant(t, "confirm on B", r, http.StatusOK, "")
		if ok, _ := miJSON(t, "confirm", r)["success"].(bool); !ok {
			t.Fatalf("confirm: %s", r.body)
		}
		miWant(t, "logout", c.post(A, "/logout", nil), http.StatusSeeOther, "/login")

		// Sign-in on A with the next step's code.
		used := max(enrolled+1, miStep()-1)
		code := miTOTP(t, secret, used)
		miWant(t, "password on A", c.password(A, acct.email, miPassword), http.StatusSeeOther, "/login/mfa")
		r = c.post(A, "/validate-totp-code/", url.Values{"totp_code": {code}})
		miWant(t, "code on A", r, http.StatusOK, "")
		if ok, _ := miJSON(t, "validate on A", r)["success"].(bool); !ok {
			t.Fatalf("validate on A: %s", r.body)
		}
		miWant(t, "dashboard on B", c.get(B, "/dashboard"), http.StatusOK, "")

		// Another browser signs in on B and replays the same code.
		thief := miNewClient(t, "198.51.100.6")
		miWant(t, "password on B", thief.password(B, acct.email, miPassword), http.StatusSeeOther, "/login/mfa")
		r = thief.post(B, "/validate-totp-code/", url.Values{"totp_code": {code}})
		miWant(t, "same code on B", r, http.StatusBadRequest, "")
		if _, ok := miJSON(t, "replay on B", r)["error"].(string); !ok {
			t.Fatalf("replay on B: no error message: %s", r.body)
		}
		miWant(t, "dashboard on B after the replay", thief.get(B, "/dashboard"), http.StatusSeeOther, "/login/mfa")
		// B accepts the next code: the refusal was the replay, not B.
		r = thief.post(B, "/validate-totp-code/", url.Values{"totp_code": {miTOTP(t, secret, max(used+1, miStep()-1))}})
		miWant(t, "next code on B", r, http.StatusOK, "")
		miWant(t, "dashboard on A", thief.get(A, "/dashboard"), http.StatusOK, "")
	})
}
