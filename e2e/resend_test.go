package e2e

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestResendWaitFromServer: right after the code is sent, the real code
// page holds the resend button back for the cooldown the server set (no
// script injected), with the seconds left on the button.
func TestResendWaitFromServer(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	const email = "wait@example.com"
	registerAccount(t, ctx, p, email)
	passwordStep(t, ctx, p, email)
	do(t, ctx, "choose SMS", waitFor(`form[action="/login/mfa/sms"] button`), submit("/login/mfa/sms"))
	wantPath(t, ctx, p.URL, "/login/mfa/code")
	do(t, ctx, "code page", waitFor(`input[name=code]`), waitFor(`[data-resend][data-resend-in]`))

	in, err := strconv.Atoi(eval[string](t, ctx, `document.querySelector('[data-resend]').getAttribute('data-resend-in')`))
	if err != nil || in < 1 || in > 30 {
		t.Fatalf("data-resend-in = %d (%v), want the cooldown of 1-30 s", in, err)
	}
	m := regexp.MustCompile(`^Resend code in (\d+) s$`).FindStringSubmatch(text(t, ctx, "[data-resend]"))
	if m == nil {
		t.Fatalf("resend button says %q, want a countdown", text(t, ctx, "[data-resend]"))
	}
	if n, _ := strconv.Atoi(m[1]); n < 1 || n > in {
		t.Errorf("the button counts down %d s, the server said %d", n, in)
	}
	if !eval[bool](t, ctx, `document.querySelector('[data-resend]').disabled`) {
		t.Error("the resend button is enabled during the cooldown")
	}
	do(t, ctx, "countdown shot", chromedp.Focus(css(`input[name=code]`)), shot(t, "resend-wait-login"))
}
