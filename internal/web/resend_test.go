package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// resendFlow is a flow with a code page: start sends the first code and
// returns the browser on it.
type resendFlow struct {
	name, page, resend, form string
	start                    func(h *harness) *client
}

var resendFlows = []resendFlow{
	{"sign-in", "/login/mfa/code", "/login/mfa/resend", `action="/login/mfa/code"`, func(h *harness) *client {
		h.client().register("ada@example.com", phoneA, phoneAE164)
		h.clock.Advance(time.Minute)
		c := h.client()
		expect(h.t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
		expect(h.t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
		return c
	}},
	{"registration", "/register/verify", "/register/resend", `action="/register/verify"`, func(h *harness) *client {
		c := h.client()
		c.startRegistration("ada@example.com")
		expect(h.t, c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
			http.StatusSeeOther, "/register/verify")
		return c
	}},
	{"phone change", "/account/phone/verify", "/account/phone/resend", `action="/account/phone/verify"`, func(h *harness) *client {
		c := h.member("ada@example.com")
		expect(h.t, c.post("/account/phone", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/account/phone/verify")
		return c
	}},
	{"password reset", "/password/reset/code", "/password/reset/sms", `action="/password/reset/code"`, func(h *harness) *client {
		h.client().register("ada@example.com", phoneA, phoneAE164)
		h.clock.Advance(time.Minute)
		c, link := h.openReset("ada@example.com")
		expect(h.t, c.get(link), http.StatusOK, "")
		expect(h.t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset/code")
		return c
	}},
}

var resendIn = regexp.MustCompile(`<button type="submit" class="link-button" data-resend(?: data-resend-in="(\d+)")?>Resend code</button>`)

// countdown returns the seconds the page's resend button counts down, 0
// when it has none; the page must have the button.
func countdown(t *testing.T, body string) int {
	t.Helper()
	m := resendIn.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no resend button\n%s", body)
	}
	if m[1] == "" {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestResendCountdown: every code page counts down the wait before a
// resend right after a send, and not once it has passed; an early resend
// (a browser without the script) is refused with the wait, on the code
// page, still counting down.
func TestResendCountdown(t *testing.T) {
	for _, f := range resendFlows {
		t.Run(f.name, func(t *testing.T) {
			h := newHarness(t)
			c := f.start(h)
			r := c.get(f.page)
			expect(t, r, http.StatusOK, "")
			if n := countdown(t, r.body); n < 1 || n > 30 {
				t.Fatalf("right after a send the button counts down %d s, want 1-30", n)
			}

			h.clock.Advance(10 * time.Second)
			before := h.sends()
			r = c.post(f.resend, nil)
			expect(t, r, http.StatusTooManyRequests, "")
			if h.sends() != before {
				t.Fatal("an early resend reached the provider")
			}
			wait, err := strconv.Atoi(r.header.Get("Retry-After"))
			if err != nil || wait < 1 || wait > 20 {
				t.Fatalf("Retry-After = %q, want 1-20 s", r.header.Get("Retry-After"))
			}
			contains(t, r.body, "Please wait before requesting another code. Try again in "+strconv.Itoa(wait)+" seconds.",
				f.form, `name="code"`)
			if n := countdown(t, r.body); n != wait {
				t.Errorf("the refused page counts down %d s, Retry-After says %d", n, wait)
			}

			h.clock.Advance(time.Duration(wait) * time.Second)
			if n := countdown(t, c.get(f.page).body); n != 0 {
				t.Fatalf("past the cooldown the button still counts down %d s", n)
			}
			expect(t, c.post(f.resend, nil), http.StatusSeeOther, f.page)
			if h.sends() != before+1 {
				t.Fatal("resend did not send")
			}
			// The cooldown doubles with each send.
			if n := countdown(t, c.get(f.page).body); n <= 30 || n > 60 {
				t.Errorf("after a resend the button counts down %d s, want 31-60", n)
			}
		})
	}
}

// TestResendRefusedByCapCountsItsWait: a resend refused by a longer limit
// than the cooldown (the cap on sends to one number) counts down that
// limit's wait, so the button does not come back before the server would
// send.
func TestResendRefusedByCapCountsItsWait(t *testing.T) {
	h := newHarness(t)
	c := resendFlows[1].start(h) // registration: 5 sends to the number per hour
	cool := 30 * time.Second
	for range 4 {
		h.clock.Advance(cool + time.Second) // past the cooldown, which doubles
		expect(t, c.post("/register/resend", nil), http.StatusSeeOther, "/register/verify")
		cool *= 2
	}
	h.clock.Advance(cool + time.Second)
	r := c.post("/register/resend", nil)
	expect(t, r, http.StatusTooManyRequests, "")
	wait, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || wait <= 30*60 {
		t.Fatalf("Retry-After = %q, want the hour cap's wait", r.header.Get("Retry-After"))
	}
	contains(t, r.body, "Too many codes were sent to this number.", `name="code"`)
	if n := countdown(t, r.body); n != wait {
		t.Errorf("the refused page counts down %d s, Retry-After says %d", n, wait)
	}
}
