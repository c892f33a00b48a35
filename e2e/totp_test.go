package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"gatehouse/internal/store"
)

// Helpers of the authenticator journey.

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(css(sel)) }

// doWithin is do with a longer deadline, for the steps that wait on the
// page's own timers.
func doWithin(t *testing.T, ctx context.Context, d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		_ = chromedp.Do(ctx, shot(t, "FAILED-"+strings.ReplaceAll(t.Name(), "/", "-")))
		t.Fatalf("%s: %v (at %s)", what, err, location(t, ctx))
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// shots saves a full-page screenshot at the window's width and another at
// 375 px (name-375), plus one of the element sel at each width
// (name-card, name-card-375), and fails when the narrow page overflows.
func shots(t *testing.T, name, sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		el := func(suffix string) error {
			if sel == "" {
				return nil
			}
			buf, err := chromedp.Screenshot(css(sel), chromedp.NodeVisible)(ctx, tg)
			if err != nil {
				return fmt.Errorf("screenshot %s of %s: %w", name, sel, err)
			}
			return os.WriteFile(filepath.Join(artifacts(t), name+"-card"+suffix+".png"), buf, 0o644)
		}
		if _, err := shot(t, name)(ctx, tg); err != nil {
			return err
		}
		if err := el(""); err != nil {
			return err
		}
		w, err := chromedp.Evaluate[int64](`window.innerWidth`)(ctx, tg)
		if err != nil {
			return err
		}
		h, err := chromedp.Evaluate[int64](`window.innerHeight`)(ctx, tg)
		if err != nil {
			return err
		}
		if _, err := chromedp.EmulateViewport(375, 812)(ctx, tg); err != nil {
			return err
		}
		defer func() {
			_, _ = chromedp.EmulateViewport(w, h)(ctx, tg)
			_, _ = settled()(ctx, tg)
		}()
		if _, err := settled()(ctx, tg); err != nil {
			return err
		}
		if _, err := shot(t, name+"-375")(ctx, tg); err != nil {
			return err
		}
		if err := el("-375"); err != nil {
			return err
		}
		over, err := chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)(ctx, tg)
		if err != nil {
			return err
		}
		if over {
			return fmt.Errorf("%s overflows horizontally at 375 px", name)
		}
		return nil
	})
}

// registerAccount runs the registration of email as a person does.
func registerAccount(t *testing.T, ctx context.Context, p *portal, email string) {
	t.Helper()
	do(t, ctx, "registration details",
		chromedp.Navigate(p.URL+"/register"),
		waitFor(`input[name=first_name]`),
		fill(`input[name=first_name]`, "Grace"),
		fill(`input[name=last_name]`, "Hopper"),
		fill(`input[name=email]`, email),
		solved(),
		submit("/register"),
	)
	wantPath(t, ctx, p.URL, "/register/credentials")
	do(t, ctx, "registration credentials",
		waitFor(`input[name=password]`),
		fill(`input[name=password]`, password),
		fill(`input[name=phone]`, phoneUI),
		submit("/register/credentials"),
	)
	wantPath(t, ctx, p.URL, "/register/verify")
	do(t, ctx, "registration code",
		waitFor(`input[name=code]`),
		fill(`input[name=code]`, p.lastCode(t, phoneE164)),
		submit("/register/verify"),
	)
	wantPath(t, ctx, p.URL, "/login")
}

// passwordStep signs in with the password and stops at the method chooser.
func passwordStep(t *testing.T, ctx context.Context, p *portal, email string) {
	t.Helper()
	do(t, ctx, "password step",
		chromedp.Navigate(p.URL+"/login"),
		waitFor(`input[name=email]`),
		fill(`input[name=email]`, email),
		fill(`input[name=password]`, password),
		solved(),
		chromedp.WaitEnabled(css(`form[action="/login"] button[type=submit]`)),
		submit("/login"),
	)
	wantPath(t, ctx, p.URL, "/login/mfa")
}

// smsStep chooses SMS in the method chooser and enters the code.
func smsStep(t *testing.T, ctx context.Context, p *portal) {
	t.Helper()
	do(t, ctx, "choose SMS", waitFor(`form[action="/login/mfa/sms"] button`), submit("/login/mfa/sms"))
	wantPath(t, ctx, p.URL, "/login/mfa/code")
	do(t, ctx, "SMS code",
		waitFor(`input[name=code]`),
		fill(`input[name=code]`, p.lastCode(t, phoneE164)),
		submit("/login/mfa/code"),
	)
	wantPath(t, ctx, p.URL, "/dashboard")
}

func logout(t *testing.T, ctx context.Context, p *portal) {
	t.Helper()
	do(t, ctx, "sign out", waitFor(`form[action="/logout"] button`), submit("/logout"))
	wantPath(t, ctx, p.URL, "/login")
}

// codeAfter returns a code of the authenticator for a time step later than
// the one of after (codes of a spent step are refused): the current step
// when it is later, else the next one, which the portal accepts as one step
// of drift.
func codeAfter(t *testing.T, secret string, after time.Time) string {
	t.Helper()
	now := time.Now()
	if now.Unix()/30 <= after.Unix()/30 {
		now = now.Add(30 * time.Second)
	}
	c, err := totp.GenerateCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	// The code of an hour ago matches no step near now.
	c, err := totp.GenerateCode(secret, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAuthenticatorAppAndBackupCodes is the journey of seed 000 and 004:
// enroll an authenticator app from the page (reading the secret as a
// person who cannot scan would), sign in with it, sign in with a backup
// code, fail to reuse that code, and remove the app, with screenshots of
// each state of the card at desktop and phone widths.
func TestAuthenticatorAppAndBackupCodes(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	base := p.URL
	const email = "grace@example.com"
	const card = "#authenticator"

	registerAccount(t, ctx, p, email)
	passwordStep(t, ctx, p, email)
	smsStep(t, ctx, p)

	// Account settings: the card under the phone section, not set up.
	do(t, ctx, "account",
		chromedp.Navigate(base+"/account"),
		waitFor(`[data-totp][data-state="off"] form[data-totp-enable] button`),
		shots(t, "totp-01-not-set-up", card),
	)
	if s := text(t, ctx, card); !strings.Contains(s, "Not set up") || !strings.Contains(s, "Enable") {
		t.Fatalf("card: %q", s)
	}
	if !eval[bool](t, ctx, `document.querySelector('#phone-title').compareDocumentPosition(document.querySelector('#authenticator')) & Node.DOCUMENT_POSITION_FOLLOWING ? true : false`) {
		t.Error("the Authenticator App card is not under the phone number section")
	}

	// Enable: the QR code and the secret, for 30 seconds.
	do(t, ctx, "enable",
		click(`form[data-totp-enable] button`),
		waitFor(`[data-qr-img][src^="data:image/png;base64,"]`),
		waitFor(`#totp-enroll-code`),
		shots(t, "totp-02-qr", card),
	)
	if s := text(t, ctx, "[data-qr-timer]"); !regexp.MustCompile(`^QR code hides in (30|29|28)s$`).MatchString(s) {
		t.Errorf("timer %q", s)
	}
	shown := text(t, ctx, "[data-qr-secret]")
	if !regexp.MustCompile(`^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$`).MatchString(shown) {
		t.Fatalf("secret %q is not in groups of four", shown)
	}
	secret := strings.ReplaceAll(shown, " ", "")

	// After 30 seconds the QR code and the secret blur; Reveal restarts it.
	doWithin(t, ctx, 45*time.Second, "QR code hides",
		waitFor(`[data-qr-reveal]`),
		shots(t, "totp-03-qr-blurred", card),
	)
	if !eval[bool](t, ctx, `document.querySelector('[data-qr]').classList.contains('is-hidden') && document.querySelector('[data-qr-secret]').classList.contains('is-hidden')`) {
		t.Error("the QR code and the secret are not blurred after 30 s")
	}
	do(t, ctx, "reveal",
		click(`[data-qr-reveal]`),
		chromedp.WaitNotVisible(css(`[data-qr-reveal]`)),
		shots(t, "totp-04-qr-revealed", card),
	)
	if s := text(t, ctx, "[data-qr-timer]"); !regexp.MustCompile(`^QR code hides in (30|29|28)s$`).MatchString(s) {
		t.Errorf("timer after Reveal %q", s)
	}

	// A wrong code keeps the QR step; the right one flips the card.
	do(t, ctx, "wrong enrollment code",
		fill(`#totp-enroll-code`, wrongCode(t, secret)),
		click(`form[data-totp-confirm] button[type=submit]`),
		waitFor(`#totp-enroll-code-error`),
		shots(t, "totp-05-wrong-code", card),
	)
	if s := text(t, ctx, "#totp-enroll-code-error"); s != "That code is not correct. Check the code and try again." {
		t.Errorf("wrong code message %q", s)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "confirm",
		chromedp.Clear(css(`#totp-enroll-code`)),
		fill(`#totp-enroll-code`, code),
		click(`form[data-totp-confirm] button[type=submit]`),
		waitFor(`[data-totp][data-state="on"] [data-totp-remove]`),
		waitFor(`[data-backup-prompt]`),
		shots(t, "totp-06-active", card),
	)
	enrolled := time.Now()
	if s := text(t, ctx, card); !strings.Contains(s, "Authenticator App Active") || !strings.Contains(s, "Remove") {
		t.Fatalf("active card: %q", s)
	}
	// Enrolling an app is not signing in with it: the session keeps its method.
	if s := text(t, ctx, "[data-session-method]"); s != "SMS code" {
		t.Errorf("session method %q", s)
	}
	if loc := location(t, ctx); !strings.HasSuffix(loc, "/account") {
		t.Errorf("the page reloaded or moved: %s", loc)
	}

	// Right after enrollment: create backup codes (warning, then the codes).
	dl := t.TempDir()
	do(t, ctx, "backup codes",
		click(`[data-backup-prompt] [data-backup-start]`),
		waitFor(`[data-backup-when="confirm"] form[data-backup-generate] button`),
		shots(t, "totp-07-backup-confirm", "#backup-codes"),
		click(`form[data-backup-generate] button`),
		waitFor(`[data-backup-when="codes"] [data-backup-list] li`),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			allow := true
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl, EventsEnabled: &allow,
			})
			return err
		}),
		click(`[data-backup-download]`),
		shots(t, "totp-08-backup-codes", "#backup-codes"),
	)
	codes := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-backup-list] code')).map(c => c.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d backup codes on the page", len(codes))
	}
	if s := text(t, ctx, "[data-backup-left]"); s != "10 codes left" {
		t.Errorf("codes left %q", s)
	}
	var file []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if file, err = os.ReadFile(filepath.Join(dl, "gatehouse-backup-codes.txt")); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || !strings.Contains(string(file), codes[0]) || !strings.Contains(string(file), codes[9]) {
		t.Errorf("downloaded file: %v\n%s", err, file)
	}
	do(t, ctx, "copy and done",
		click(`[data-backup-copy]`),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.querySelector('[data-backup-status]').textContent !== ''`)(ctx, tg)
			return err
		}),
		click(`[data-backup-done]`),
		waitFor(`[data-backup-when="idle"] [data-backup-start]`),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-backup-list] li').length`); n != 0 {
		t.Error("the backup codes stay on the page after Done")
	}
	logout(t, ctx, p)

	// Sign in with the authenticator: offered first, no SMS sent.
	passwordStep(t, ctx, p, email)
	do(t, ctx, "method chooser", waitFor(`a[href="/login/mfa/totp"]`), shots(t, "totp-09-choose-method", "dialog"))
	if !eval[bool](t, ctx, `(() => { const m = [...document.querySelectorAll('.methods .method')]; const i = s => m.findIndex(e => e.matches(s) || e.closest(s)); return i('a[href="/login/mfa/totp"]') === 0 && i('form[action="/login/mfa/sms"]') === 1 && i('a[href="/login/mfa/backup"]') > 1; })()`) {
		t.Error("method order: want authenticator, SMS, then backup code")
	}
	sms, _ := os.ReadFile(p.Outbox)
	do(t, ctx, "choose TOTP", click(`a[href="/login/mfa/totp"]`))
	wantPath(t, ctx, base, "/login/mfa/totp")
	do(t, ctx, "wrong TOTP code",
		waitFor(`input[name=totp_code]`),
		fill(`input[name=totp_code]`, wrongCode(t, secret)),
		submit("/validate-totp-code/"),
		waitFor(`#totp_code-error`),
		shots(t, "totp-10-login-wrong-code", ""),
	)
	if s := text(t, ctx, "#totp_code-error"); !strings.Contains(s, "not correct") {
		t.Errorf("wrong TOTP code message %q", s)
	}
	wantPath(t, ctx, base, "/login/mfa/totp")
	do(t, ctx, "TOTP code",
		chromedp.Clear(css(`input[name=totp_code]`)),
		fill(`input[name=totp_code]`, codeAfter(t, secret, enrolled)),
		submit("/validate-totp-code/"),
	)
	wantPath(t, ctx, base, "/dashboard")
	do(t, ctx, "dashboard after TOTP", waitFor(`body`), shots(t, "totp-11-dashboard-totp", ""))
	if s := text(t, ctx, "body"); !strings.Contains(s, "Verified with Authenticator app") {
		t.Errorf("dashboard: %q", s)
	}
	if now, _ := os.ReadFile(p.Outbox); len(now) != len(sms) {
		t.Error("signing in with the authenticator sent an SMS")
	}
	logout(t, ctx, p)

	// Sign in with a backup code, once.
	passwordStep(t, ctx, p, email)
	do(t, ctx, "choose backup code", waitFor(`a[href="/login/mfa/backup"]`), click(`a[href="/login/mfa/backup"]`))
	wantPath(t, ctx, base, "/login/mfa/backup")
	do(t, ctx, "backup code",
		waitFor(`input[name=code]`),
		shots(t, "totp-12-backup-login", ""),
		fill(`input[name=code]`, codes[0]),
		submit("/login/mfa/backup"),
	)
	wantPath(t, ctx, base, "/dashboard")
	if s := text(t, ctx, "body"); !strings.Contains(s, "Verified with backup code") {
		t.Errorf("dashboard: %q", s)
	}
	logout(t, ctx, p)
	passwordStep(t, ctx, p, email)
	do(t, ctx, "reused backup code",
		chromedp.Navigate(base+"/login/mfa/backup"),
		waitFor(`input[name=code]`),
		fill(`input[name=code]`, codes[0]),
		submit("/login/mfa/backup"),
		waitFor(`input[name=code][aria-invalid=true]`),
		shots(t, "totp-13-backup-reused", ""),
	)
	wantPath(t, ctx, base, "/login/mfa/backup")

	// The same login goes on with SMS; then remove the app.
	do(t, ctx, "other method", click(`a[href="/login/mfa"]`))
	wantPath(t, ctx, base, "/login/mfa")
	smsStep(t, ctx, p)
	do(t, ctx, "account with the app",
		chromedp.Navigate(base+"/account"),
		waitFor(`[data-totp][data-state="on"] [data-totp-remove]`),
		click(`[data-totp-remove]`),
		waitFor(`form[data-totp-remove-confirm] button`),
		shots(t, "totp-14-remove-confirm", card),
		click(`[data-totp-remove-cancel]`),
		waitFor(`[data-totp][data-state="on"] [data-totp-remove]`),
	)
	if s := text(t, ctx, "#backup-codes"); !strings.Contains(s, "9 codes left") {
		t.Errorf("backup card: %q", s)
	}
	do(t, ctx, "remove",
		click(`[data-totp-remove]`),
		waitFor(`form[data-totp-remove-confirm] button`),
		click(`form[data-totp-remove-confirm] button`),
		waitFor(`[data-totp][data-state="off"] form[data-totp-enable] button`),
		shots(t, "totp-15-removed", card),
	)
	if s := text(t, ctx, card); !strings.Contains(s, "Not set up") {
		t.Errorf("card after removal: %q", s)
	}
	// Nothing reloaded, and the server agrees.
	if loc := location(t, ctx); !strings.HasSuffix(loc, "/account") {
		t.Errorf("at %s", loc)
	}
	do(t, ctx, "reload", chromedp.Reload(), waitFor(`[data-totp][data-state="off"]`))
}

// scripts turns JavaScript in the page on or off.
func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

// setMFA switches the account's SMS verification in the portal's database,
// as an administrator would: no page of the portal turns it off.
func setMFA(t *testing.T, p *portal, on bool) {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(p.DataDir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().Exec(`UPDATE users SET mfa_enabled = ?`, on); err != nil {
		t.Fatal(err)
	}
}

// TestAuthenticatorWithoutJavaScript walks the same flows with scripts off
// in the page (on only for the CAPTCHA of the password step): every step is
// a plain form; only the 30-second blur of the QR code needs JavaScript.
// It also shows the locked card of an account without SMS verification.
func TestAuthenticatorWithoutJavaScript(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	base := p.URL
	const email = "ada@example.com"

	registerAccount(t, ctx, p, email)
	passwordStep(t, ctx, p, email)
	smsStep(t, ctx, p)

	setMFA(t, p, false)
	do(t, ctx, "locked card",
		chromedp.Navigate(base+"/account"),
		waitFor(`[data-totp][data-state="locked"]`),
		shots(t, "nojs-01-locked", "#authenticator"),
	)
	if ok := eval[bool](t, ctx, `document.querySelector('[data-state="locked"] button.button-black').disabled`); !ok {
		t.Error("the locked card's Enable button is enabled")
	}
	setMFA(t, p, true)

	do(t, ctx, "enable without JavaScript",
		scripts(false),
		chromedp.Navigate(base+"/account"),
		waitFor(`[data-totp][data-state="off"] form[data-totp-enable] button`),
		click(`form[data-totp-enable] button`),
	)
	wantPath(t, ctx, base, "/generate-totp-factor/")
	do(t, ctx, "QR page", waitFor(`img.qr-img[src^="data:image/png;base64,"]`), shots(t, "nojs-02-qr-page", ""))
	secret := strings.ReplaceAll(text(t, ctx, "[data-qr-secret]"), " ", "")
	do(t, ctx, "wrong code",
		fill(`input[name=code]`, wrongCode(t, secret)),
		submit("/confirm-totp-enrollment/"),
		waitFor(`input[name=code][aria-invalid=true]`),
		shots(t, "nojs-03-wrong-code", ""),
	)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "confirm", fill(`input[name=code]`, code), submit("/confirm-totp-enrollment/"))
	enrolled := time.Now()
	wantPath(t, ctx, base, "/account#backup-codes")
	do(t, ctx, "active", waitFor(`[data-totp][data-state="on"]`), shots(t, "nojs-04-active", ""))
	if s := text(t, ctx, "body"); !strings.Contains(s, "Your authenticator app is set up.") {
		t.Errorf("no message after enrollment: %q", s)
	}

	do(t, ctx, "backup codes", click(`#backup-codes [data-backup-start]`))
	wantPath(t, ctx, base, "/account/backup-codes")
	do(t, ctx, "backup warning", waitFor(`form[data-backup-generate] button`), shots(t, "nojs-05-backup-warning", ""),
		click(`form[data-backup-generate] button`))
	wantPath(t, ctx, base, "/generate-backup-codes/")
	do(t, ctx, "backup codes page", waitFor(`[data-backup-list] li`), shots(t, "nojs-06-backup-codes", ""))
	codes := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-backup-list] code')).map(c => c.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d codes", len(codes))
	}
	do(t, ctx, "scripts on for the CAPTCHA", scripts(true), submit("/logout"))
	wantPath(t, ctx, base, "/login")

	// Sign in with the authenticator: the page posts a plain form.
	passwordStep(t, ctx, p, email)
	do(t, ctx, "TOTP without JavaScript", scripts(false), chromedp.Navigate(base+"/login/mfa"),
		waitFor(`a[href="/login/mfa/totp"]`), click(`a[href="/login/mfa/totp"]`))
	wantPath(t, ctx, base, "/login/mfa/totp")
	do(t, ctx, "wrong TOTP code",
		waitFor(`input[name=totp_code]`),
		fill(`input[name=totp_code]`, wrongCode(t, secret)),
		submit("/validate-totp-code/"),
		waitFor(`input[name=totp_code][aria-invalid=true]`),
		shots(t, "nojs-07-login-wrong-code", ""),
	)
	wantPath(t, ctx, base, "/validate-totp-code/") // a page, not a script's fetch
	do(t, ctx, "TOTP code", fill(`input[name=totp_code]`, codeAfter(t, secret, enrolled)), submit("/validate-totp-code/"))
	wantPath(t, ctx, base, "/dashboard")
	if s := text(t, ctx, "body"); !strings.Contains(s, "Verified with Authenticator app") {
		t.Errorf("dashboard: %q", s)
	}

	// Remove: a confirmation page.
	do(t, ctx, "remove", chromedp.Navigate(base+"/account"), waitFor(`[data-totp-remove]`), click(`[data-totp-remove]`))
	wantPath(t, ctx, base, "/account/authenticator/remove")
	do(t, ctx, "remove page", waitFor(`form[action="/remove-totp-device/"] button`), shots(t, "nojs-08-remove", ""),
		submit("/remove-totp-device/"))
	wantPath(t, ctx, base, "/account")
	do(t, ctx, "removed", waitFor(`[data-totp][data-state="off"]`), shots(t, "nojs-09-removed", "#authenticator"))
	if s := text(t, ctx, "body"); !strings.Contains(s, "Your authenticator app has been removed.") || !strings.Contains(s, "Verified with SMS code") {
		t.Errorf("account after removal: %q", s)
	}
	do(t, ctx, "scripts back on", scripts(true))
}
