package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// What people see: both colour schemes at desktop and phone widths, the
// popup as a real modal, and the small texts that tell a person what the
// page waits for.

// scheme emulates prefers-color-scheme ("light" or "dark").
func scheme(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: name}},
		})
		return err
	})
}

// uiChecks are the layout rules every page keeps at 375 px: nothing
// overflows sideways, and no masked phone number, "Sign out" button,
// stepper label or non-breaking phrase is split across lines. It returns
// the broken rules.
const uiChecks = `(() => {
  const lines = el => {
    const r = document.createRange();
    r.selectNodeContents(el);
    return new Set(Array.from(r.getClientRects()).filter(x => x.width > 0).map(x => Math.round(x.top))).size;
  };
  const bad = [];
  if (document.documentElement.scrollWidth > window.innerWidth) bad.push('page overflows sideways');
  const one = (sel, what) => document.querySelectorAll(sel).forEach(el => {
    if (el.getClientRects().length && lines(el) > 1) bad.push(what + ' wraps: ' + JSON.stringify(el.textContent.trim()));
  });
  one('.number, .on-file-number, .method-number', 'phone number');
  one('.topnav button, .topnav a', 'header item');
  one('.steps li > span:last-child', 'step label');
  one('.nowrap', 'phrase');
  document.querySelectorAll('.number, .on-file-number').forEach(el => {
    if (el.getClientRects().length && Number(getComputedStyle(el).fontWeight) < 600) bad.push('phone number not bold: ' + el.textContent);
  });
  return bad;
})()`

// looks screenshots the page in the light and dark schemes at 1280 and 375
// px (name-light-1280.png …), checking uiChecks at 375 px, and leaves the
// page light at 1280 px.
func looks(t *testing.T, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		defer func() {
			_, _ = scheme("light")(ctx, tg)
			_, _ = chromedp.EmulateViewport(1280, 900)(ctx, tg)
		}()
		for _, sc := range []string{"light", "dark"} {
			if _, err := scheme(sc)(ctx, tg); err != nil {
				return err
			}
			for _, w := range []int64{1280, 375} {
				h := int64(900)
				if w == 375 {
					h = 812
				}
				if _, err := chromedp.EmulateViewport(w, h)(ctx, tg); err != nil {
					return err
				}
				if _, err := settled()(ctx, tg); err != nil {
					return err
				}
				if _, err := shot(t, fmt.Sprintf("ui-%s-%s-%d", name, sc, w))(ctx, tg); err != nil {
					return err
				}
				if w != 375 {
					continue
				}
				bad, err := chromedp.Evaluate[[]string](uiChecks)(ctx, tg)
				if err != nil {
					return err
				}
				if len(bad) > 0 {
					return fmt.Errorf("%s at 375 px: %s", name, strings.Join(bad, "; "))
				}
			}
		}
		return nil
	})
}

// contrastJS returns, for each selector present in the page, the WCAG
// contrast ratio of its text on the first opaque background behind it.
const contrastJS = `(sels => {
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).slice(0, 3).map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const opaque = c => { const v = rgb(c); return v.length === 3 || (v.length === 4 && v[3] === 1); };
  const out = {};
  for (const sel of sels) {
    const el = document.querySelector(sel);
    if (!el) continue;
    let bg = el;
    while (bg && !opaque(getComputedStyle(bg).backgroundColor)) bg = bg.parentElement;
    const back = bg ? getComputedStyle(bg).backgroundColor : getComputedStyle(document.documentElement).backgroundColor;
    const a = lum(getComputedStyle(el).color), b = lum(back);
    out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return out;
})`

// secondaryText are the quiet texts that must still read at 4.5:1.
var secondaryText = []string{".footer p", ".lead", ".hint", ".switch", ".steps li", ".fact dt", ".panel-text", ".method-desc", ".on-file-label", "label"}

// contrast fails the test for any secondary text under 4.5:1 in either
// colour scheme on the current page.
func contrast(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for _, sc := range []string{"light", "dark"} {
		do(t, ctx, "scheme "+sc, scheme(sc))
		do(t, ctx, "settle "+sc, settled())
		sels := `['` + strings.Join(secondaryText, `','`) + `']`
		for sel, r := range eval[map[string]float64](t, ctx, contrastJS+`(`+sels+`)`) {
			if r < 4.5 {
				t.Errorf("%s, %s: %s has contrast %.2f:1, want 4.5:1", page, sc, sel, r)
			}
		}
	}
	do(t, ctx, "scheme light", scheme("light"))
}

// headerHeight is the height of the top bar at 375 px.
func headerHeight(t *testing.T, ctx context.Context) float64 {
	t.Helper()
	do(t, ctx, "narrow", chromedp.EmulateViewport(375, 812))
	defer do(t, ctx, "wide", chromedp.EmulateViewport(1280, 900))
	return eval[float64](t, ctx, `document.querySelector('.topbar').getBoundingClientRect().height`)
}

// activeIn reports whether the focused element is inside sel.
func activeIn(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	return eval[bool](t, ctx, `!!document.activeElement && !!document.activeElement.closest(`+jsString(sel)+`)`)
}

// script runs js in the page as a step.
func script(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(ctx, tg)
		return err
	})
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestUIScreens walks the main pages in both colour schemes and at both
// widths: sign-in, registration, the method chooser, the code pages,
// the dashboard and Account settings, with the layout rules at 375 px.
func TestUIScreens(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	base := p.URL
	const email = "ui@example.com"

	do(t, ctx, "login", chromedp.Navigate(base+"/login"), waitFor(`input[name=email]`), solved(), looks(t, "login"))
	contrast(t, ctx, "login")
	guest := headerHeight(t, ctx)
	do(t, ctx, "register", chromedp.Navigate(base+"/register"), waitFor(`input[name=first_name]`), solved(), looks(t, "register"))
	contrast(t, ctx, "register")

	// Asked for less motion, the page has no transitions or animations.
	do(t, ctx, "reduced motion", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return err
	}))
	if d := eval[string](t, ctx, `[...document.querySelectorAll('*')].map(e => getComputedStyle(e)).filter(c => c.transitionDuration.split(',').some(v => parseFloat(v) > 0) || c.animationName !== 'none').length + ''`); d != "0" {
		t.Errorf("%s elements still move with prefers-reduced-motion: reduce", d)
	}
	do(t, ctx, "motion back", scheme("light"))

	// The disabled Submit says what it waits for.
	do(t, ctx, "empty login", chromedp.Navigate(base+"/login"), waitFor(`input[name=email]`), solved())
	const button = `form[action="/login"] button[type=submit]`
	if s := text(t, ctx, button); s != "Fill in email address and password" {
		t.Errorf("disabled Submit says %q", s)
	}
	do(t, ctx, "filled login", fill(`input[name=email]`, email), fill(`input[name=password]`, password),
		chromedp.WaitEnabled(css(button)))
	if s := text(t, ctx, button); s != "Submit" {
		t.Errorf("enabled Submit says %q", s)
	}
	// The proof of work starts again (as before its token expires).
	eval[bool](t, ctx, `(() => { const b = document.querySelector('[data-captcha]'); b.classList.remove('is-solved'); b.classList.add('is-solving'); return true; })()`)
	do(t, ctx, "check running", waitFor(button+":disabled"))
	if s := text(t, ctx, button); s != "Waiting for the security check…" {
		t.Errorf("Submit during the security check says %q", s)
	}
	do(t, ctx, "waiting shot", shot(t, "ui-login-waiting-for-check"))

	// Registration, with each step of the stepper.
	do(t, ctx, "registration details",
		chromedp.Navigate(base+"/register"), waitFor(`input[name=first_name]`),
		fill(`input[name=first_name]`, "Ursula"), fill(`input[name=last_name]`, "Franklin"),
		fill(`input[name=email]`, email), solved(), submit("/register"))
	wantPath(t, ctx, base, "/register/credentials")
	do(t, ctx, "registration credentials", waitFor(`input[name=password]`), looks(t, "register-credentials"),
		fill(`input[name=password]`, password), fill(`input[name=phone]`, phoneUI), submit("/register/credentials"))
	wantPath(t, ctx, base, "/register/verify")
	do(t, ctx, "registration code", waitFor(`input[name=code]`), looks(t, "register-verify"),
		fill(`input[name=code]`, p.lastCode(t, phoneE164)), submit("/register/verify"))
	wantPath(t, ctx, base, "/login")
	passwordStep(t, ctx, p, email)
	do(t, ctx, "chooser", waitFor(`form[action="/login/mfa/sms"] button`), looks(t, "mfa-chooser"))
	contrast(t, ctx, "chooser")
	do(t, ctx, "choose SMS", submit("/login/mfa/sms"))
	wantPath(t, ctx, base, "/login/mfa/code")
	do(t, ctx, "code page", waitFor(`input[name=code]`), looks(t, "mfa-code"),
		fill(`input[name=code]`, "000000"), submit("/login/mfa/code"),
		waitFor(`input[name=code][aria-invalid=true]`), looks(t, "mfa-code-wrong"),
		chromedp.Clear(css(`input[name=code]`)), fill(`input[name=code]`, p.lastCode(t, phoneE164)),
		submit("/login/mfa/code"))
	wantPath(t, ctx, base, "/dashboard")
	do(t, ctx, "dashboard", waitFor(`.card`), looks(t, "dashboard"))
	if member := headerHeight(t, ctx); member != guest {
		t.Errorf("header is %.1f px signed in and %.1f px signed out", member, guest)
	}

	// Account settings, then a set of backup codes, so the chooser offers
	// all its methods.
	do(t, ctx, "account page", chromedp.Navigate(base+"/account"), waitFor(`#authenticator`))
	contrast(t, ctx, "account")
	do(t, ctx, "account", looks(t, "account"),
		click(`#backup-codes [data-backup-start]`), waitFor(`form[data-backup-generate] button`),
		click(`form[data-backup-generate] button`), waitFor(`[data-backup-list] li`),
		looks(t, "account-backup-codes"), click(`[data-backup-done]`))
	do(t, ctx, "enable app", click(`form[data-totp-enable] button`),
		waitFor(`[data-qr-img][src^="data:image/png;base64,"]`), looks(t, "account-enroll"))
	do(t, ctx, "phone change", chromedp.Navigate(base+"/account/phone"), waitFor(`input[name=phone]`), looks(t, "account-phone"))
	logout(t, ctx, p)

	passwordStep(t, ctx, p, email)
	do(t, ctx, "chooser with backup codes", waitFor(`a[href="/login/mfa/backup"]`), looks(t, "mfa-chooser-all"),
		click(`a[href="/login/mfa/backup"]`))
	wantPath(t, ctx, base, "/login/mfa/backup")
	do(t, ctx, "backup page", waitFor(`input[name=code]`), looks(t, "mfa-backup"))
	attrs := eval[string](t, ctx, `(() => { const i = document.querySelector('input[name=code]'); return [i.autocapitalize, i.spellcheck, i.autocomplete].join(' '); })()`)
	if attrs != "none false one-time-code" {
		t.Errorf("backup code field: autocapitalize, spellcheck, autocomplete = %q", attrs)
	}
	// A backup code keeps its letters and dashes as typed.
	do(t, ctx, "type a backup code", fill(`input[name=code]`, "k7qm-2x9p"))
	if v := eval[string](t, ctx, `document.querySelector('input[name=code]').value`); v != "k7qm-2x9p" {
		t.Errorf("backup code field holds %q", v)
	}
}

// TestUIModalChooser checks the method chooser is a real modal dialog with
// scripts on (focus inside, Tab cycles, Escape cancels) and a plain page
// with scripts off.
func TestUIModalChooser(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	const email = "modal@example.com"
	registerAccount(t, ctx, p, email)
	passwordStep(t, ctx, p, email)

	// Without JavaScript: the dialog is open in the page, not modal, and
	// its methods work.
	do(t, ctx, "no-JS chooser", scripts(false), chromedp.Navigate(p.URL+"/login/mfa"),
		waitFor(`form[action="/login/mfa/sms"] button`))
	if !eval[bool](t, ctx, `document.querySelector('dialog').open && !document.querySelector('dialog').matches(':modal')`) {
		t.Error("without JavaScript the chooser is not an open, non-modal dialog")
	}
	do(t, ctx, "no-JS shot", looks(t, "mfa-chooser-nojs"))
	do(t, ctx, "scripts on", scripts(true), chromedp.Navigate(p.URL+"/login/mfa"),
		waitFor(`form[action="/login/mfa/sms"] button`))

	if !eval[bool](t, ctx, `document.querySelector('dialog').matches(':modal')`) {
		t.Fatal("the chooser is not a modal dialog")
	}
	if !activeIn(t, ctx, "dialog") {
		t.Fatalf("focus is not in the dialog on open: %s", eval[string](t, ctx, `document.activeElement.outerHTML`))
	}
	n := eval[int](t, ctx, `Array.from(document.querySelectorAll('dialog a[href], dialog button')).filter(e => !e.disabled).length`)
	if n < 2 {
		t.Fatalf("%d focusable controls in the dialog", n)
	}
	first := eval[string](t, ctx, `document.activeElement.outerHTML`)
	for i := 0; i < n; i++ {
		do(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
		if !activeIn(t, ctx, "dialog") {
			t.Fatalf("Tab %d left the dialog for %s", i+1, eval[string](t, ctx, `document.activeElement.outerHTML`))
		}
	}
	if now := eval[string](t, ctx, `document.activeElement.outerHTML`); now != first {
		t.Errorf("after %d Tabs focus is on %s, want back on the first control", n, now)
	}
	do(t, ctx, "Shift+Tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if !eval[bool](t, ctx, `document.activeElement.matches('[data-modal-cancel]')`) {
		t.Errorf("Shift+Tab from the first control reaches %s, want the last (Cancel)", eval[string](t, ctx, `document.activeElement.outerHTML`))
	}
	do(t, ctx, "modal shot", shot(t, "ui-modal-focus-cancel"))

	// Escape does what Cancel does: back to the sign-in, focus on its
	// first field, the pending sign-in gone.
	do(t, ctx, "Escape", chromedp.KeyEvent(kb.Escape))
	wantPath(t, ctx, p.URL, "/login")
	do(t, ctx, "login after Escape", waitFor(`input[name=email]`))
	if !eval[bool](t, ctx, `document.activeElement === document.querySelector('input[name=email]')`) {
		t.Errorf("after Escape focus is on %s", eval[string](t, ctx, `document.activeElement.outerHTML`))
	}
	do(t, ctx, "chooser after cancel", chromedp.Navigate(p.URL+"/login/mfa"))
	wantPath(t, ctx, p.URL, "/login")

	// The set-up popup of an account without SMS verification: focus on
	// its phone field.
	setMFA(t, p, false)
	passwordStep(t, ctx, p, email)
	do(t, ctx, "set-up popup", waitFor(`form[action="/login/mfa/setup"] input[name=phone]`), looks(t, "mfa-setup"))
	if !eval[bool](t, ctx, `document.querySelector('dialog').matches(':modal') && document.activeElement === document.querySelector('dialog input[name=phone]')`) {
		t.Errorf("set-up popup: modal with focus on the phone field? focus on %s", eval[string](t, ctx, `document.activeElement.outerHTML`))
	}
	if s := text(t, ctx, `form[action="/login/mfa/setup"] button[type=submit]`); s != "Fill in phone number" {
		t.Errorf("disabled Send Verification Code says %q", s)
	}
}

// TestUIResendCountdown gives the resend button a wait (as the server
// will, with data-resend-in) and checks it counts down, disabled, then
// turns back into "Resend code".
func TestUIResendCountdown(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	const email = "resend@example.com"
	registerAccount(t, ctx, p, email)
	passwordStep(t, ctx, p, email)
	do(t, ctx, "wait of 3 s", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// Runs before app.js: deferred scripts wait for the document to be
		// interactive.
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `document.addEventListener('readystatechange', () => {
  if (document.readyState === 'interactive') document.querySelectorAll('[data-resend]').forEach(b => b.setAttribute('data-resend-in', '3'));
});`,
		})
		return err
	}), waitFor(`form[action="/login/mfa/sms"] button`), submit("/login/mfa/sms"))
	wantPath(t, ctx, p.URL, "/login/mfa/code")
	do(t, ctx, "countdown", waitFor(`[data-resend]`))
	if s := text(t, ctx, "[data-resend]"); !regexp.MustCompile(`^Resend code in [1-3] s$`).MatchString(s) {
		t.Errorf("resend button says %q", s)
	}
	if !eval[bool](t, ctx, `document.querySelector('[data-resend]').disabled`) {
		t.Error("the resend button is enabled during the wait")
	}
	do(t, ctx, "countdown shot", shot(t, "ui-resend-countdown"))
	do(t, ctx, "wait over", chromedp.WaitEnabled(css(`[data-resend]`)))
	if s := text(t, ctx, "[data-resend]"); s != "Resend code" {
		t.Errorf("resend button after the wait says %q", s)
	}
}

// TestUIEnrollOnPhone checks the authenticator set-up at phone width: the
// countdown speaks twice (when the code shows and when it hides), not
// every second; Reveal leaves focus on the code field; the card offers
// "Open in authenticator app" and "Copy key".
func TestUIEnrollOnPhone(t *testing.T) {
	ctx := browser(t, 375, 812)
	p := startPortal(t)
	const email = "phone@example.com"
	registerAccount(t, ctx, p, email)
	passwordStep(t, ctx, p, email)
	smsStep(t, ctx, p)

	do(t, ctx, "enable", chromedp.EmulateViewport(375, 812), chromedp.Navigate(p.URL+"/account"), waitFor(`form[data-totp-enable] button`),
		script(`window.__said = []; new MutationObserver(() => window.__said.push(document.querySelector('[data-qr-status]').textContent)).observe(document.querySelector('[data-qr-status]'), {childList: true, characterData: true, subtree: true}); true`),
		click(`form[data-totp-enable] button`),
		waitFor(`[data-qr-img][src^="data:image/png;base64,"]`),
		waitFor(`[data-qr-open]`), waitFor(`[data-copy-key]`),
		shot(t, "ui-enroll-phone"),
	)
	if h := eval[string](t, ctx, `document.querySelector('[data-qr-open]').getAttribute('href')`); !strings.HasPrefix(h, "otpauth://totp/") {
		t.Errorf("Open in authenticator app links to %q", h)
	}
	if !eval[bool](t, ctx, `document.querySelector('[data-qr-timer]').getAttribute('aria-hidden') === 'true'`) {
		t.Error("the visible countdown is not hidden from screen readers")
	}
	do(t, ctx, "copy key", click(`[data-copy-key]`), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`document.querySelector('[data-copy-status]').textContent !== ''`)(ctx, tg)
		return err
	}))
	doWithin(t, ctx, 45*time.Second, "QR code hides", waitFor(`[data-qr-reveal]`), shot(t, "ui-enroll-phone-hidden"))
	said := eval[[]string](t, ctx, `window.__said`)
	if len(said) != 2 || !strings.Contains(said[0], "shown") || !strings.Contains(said[1], "hidden") {
		t.Errorf("the live region said %q, want one sentence on show and one on hide", said)
	}
	do(t, ctx, "reveal", click(`[data-qr-reveal]`), chromedp.WaitNotVisible(css(`[data-qr-reveal]`)))
	if !eval[bool](t, ctx, `document.activeElement === document.querySelector('#totp-enroll-code')`) {
		t.Errorf("after Reveal focus is on %s", eval[string](t, ctx, `document.activeElement.outerHTML`))
	}
}
