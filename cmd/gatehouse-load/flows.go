package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// errUnexpected is a response other than the one the flow expects.
var errUnexpected = errors.New("unexpected answer")

// answerError is an unexpected answer; got names it as the errors column
// does ("429", "303 /login").
type answerError struct {
	got, want string
	said      string // the page's error notice, if it shows one
}

func (e *answerError) Error() string {
	if e.said != "" {
		return fmt.Sprintf("%s: %s (want %s): %q", errUnexpected, e.got, e.want, e.said)
	}
	return fmt.Sprintf("%s: %s (want %s)", errUnexpected, e.got, e.want)
}

func (e *answerError) Unwrap() error { return errUnexpected }

// errKey names a failed step in the errors column: the answer it got, or
// "net" when no answer came.
func errKey(err error) string {
	var ae *answerError
	if errors.As(err, &ae) {
		return ae.got
	}
	return "net"
}

// visitor is one browser: its own cookie jar and client address, on the
// run's shared transport. Redirects are never followed: each answer is
// checked as the portal gives it.
type visitor struct {
	base string
	addr string // sent as X-Forwarded-For; "" sends none
	hc   *http.Client
}

// answer is a read response.
type answer struct {
	status   int
	location string
	body     []byte
}

// key names an answer in the errors column: its status, and where a
// redirect went when it is a redirect.
func (a answer) key() string {
	if a.location != "" {
		return strconv.Itoa(a.status) + " " + strings.SplitN(a.location, "?", 2)[0]
	}
	return strconv.Itoa(a.status)
}

// newVisitor returns a visitor with an empty cookie jar.
func (e *env) newVisitor(addr string) *visitor {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &visitor{base: e.base, addr: addr, hc: &http.Client{
		Jar:           jar,
		Transport:     e.transport,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends one request; a transport failure is an error, any status is not.
func (v *visitor) do(ctx context.Context, method, path string, form url.Values) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, v.base+path, body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if v.addr != "" {
		req.Header.Set("X-Forwarded-For", v.addr)
	}
	if path == authzPath {
		// What nginx's auth_request sends about the request it guards.
		req.Header.Set("X-Original-URL", "http://app.example.test/")
		req.Header.Set("X-Original-Method", http.MethodGet)
	}
	res, err := v.hc.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	return answer{status: res.StatusCode, location: res.Header.Get("Location"), body: b}, nil
}

// expect checks an answer's status and, for a redirect, its target path.
func expect(a answer, status int, location string) error {
	if a.status != status || (location != "" && strings.SplitN(a.location, "?", 2)[0] != location) {
		return &answerError{got: a.key(), want: strings.TrimSpace(strconv.Itoa(status) + " " + location), said: notice(a.body)}
	}
	return nil
}

// errorNotice is the start of the portal's error notice on a page.
const errorNotice = `class="notice notice-error" role="alert"`

// notice returns the text of the first error notice of a page, unescaped
// and cut at 200 bytes, or "" when it shows none.
func notice(page []byte) string {
	_, rest, ok := bytes.Cut(page, []byte(errorNotice))
	if !ok {
		return ""
	}
	_, rest, _ = bytes.Cut(rest, []byte(">"))
	text, _, _ := bytes.Cut(rest, []byte("<"))
	s := html.UnescapeString(strings.TrimSpace(string(text)))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// post sends a form and checks the answer.
func (v *visitor) post(ctx context.Context, path string, form url.Values, status int, location string) (answer, error) {
	a, err := v.do(ctx, http.MethodPost, path, form)
	if err != nil {
		return a, err
	}
	if err := expect(a, status, location); err != nil {
		return a, fmt.Errorf("POST %s: %w", path, err)
	}
	return a, nil
}

// captcha fetches a proof-of-work challenge and solves it by brute force,
// as the page's script does.
func (v *visitor) captcha(ctx context.Context) (string, error) {
	a, err := v.do(ctx, http.MethodGet, "/captcha/challenge", nil)
	if err != nil {
		return "", err
	}
	if err := expect(a, http.StatusOK, ""); err != nil {
		return "", fmt.Errorf("GET /captcha/challenge: %w", err)
	}
	var ch struct {
		Algorithm, Challenge, Salt, Signature string
		MaxNumber                             int64 `json:"maxnumber"`
	}
	if err := json.Unmarshal(a.body, &ch); err != nil {
		return "", fmt.Errorf("captcha challenge: %w", err)
	}
	buf := make([]byte, 0, len(ch.Salt)+20)
	for n := int64(0); n <= ch.MaxNumber; n++ {
		buf = strconv.AppendInt(append(buf[:0], ch.Salt...), n, 10)
		sum := sha256.Sum256(buf)
		if hex.EncodeToString(sum[:]) != ch.Challenge {
			continue
		}
		b, err := json.Marshal(map[string]any{"algorithm": ch.Algorithm, "challenge": ch.Challenge,
			"number": n, "salt": ch.Salt, "signature": ch.Signature})
		if err != nil {
			return "", fmt.Errorf("captcha solution: %w", err)
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	return "", errors.New("captcha challenge has no solution")
}

// loginForm is the password step's form with a solved CAPTCHA.
func (v *visitor) loginForm(ctx context.Context, u *user) (url.Values, error) {
	tok, err := v.captcha(ctx)
	if err != nil {
		return nil, err
	}
	return url.Values{"email": {u.email}, "password": {u.password}, "captcha": {tok}}, nil
}

// passwordStep signs in with the password and stops at the second factor.
func (v *visitor) passwordStep(ctx context.Context, u *user) error {
	f, err := v.loginForm(ctx, u)
	if err != nil {
		return err
	}
	_, err = v.post(ctx, "/login", f, http.StatusSeeOther, "/login/mfa")
	return err
}

// sendSMS asks for the sign-in code by SMS and reads it from the outbox.
func (v *visitor) sendSMS(ctx context.Context, box *outbox, u *user) (string, error) {
	mark := box.mark(u.phone)
	if _, err := v.post(ctx, "/login/mfa/sms", url.Values{}, http.StatusSeeOther, "/login/mfa/code"); err != nil {
		return "", err
	}
	return box.codeAfter(ctx, u.phone, mark)
}

// jsonPost posts a form to a JSON endpoint and decodes the answer.
func (v *visitor) jsonPost(ctx context.Context, path string, form url.Values, into any) error {
	a, err := v.post(ctx, path, form, http.StatusOK, "")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(a.body, into); err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	return nil
}
