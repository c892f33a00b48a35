//go:build unix

package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestProxyBrowserNginx is a person's journey through nginx.
func TestProxyBrowserNginx(t *testing.T) {
	rp := proxyPortalSetup(t)
	proxyStartNginx(t, rp.p)
	proxyBrowserJourney(t, rp, "nginx")
}

// TestProxyBrowserCaddy is a person's journey through Caddy.
func TestProxyBrowserCaddy(t *testing.T) {
	rp := proxyPortalSetup(t)
	proxyStartCaddy(t, rp.p)
	proxyBrowserJourney(t, rp, "caddy")
}

// proxyBrowserJourney: open the app through the proxy, be sent to the
// portal, sign in with password and SMS code, land back on the app which
// shows Remote-User; a denied page is a 403; signing out of the portal
// makes the app ask again.
func proxyBrowserJourney(t *testing.T, rp realProxy, name string) {
	c := rp.client(t, "198.51.100.41")
	c.register(rp.p.Portal, rp.p.Portal, rp.portal.Outbox, proxyAnn)
	rp.setGroups(t, proxyAnn.email, "staff,dev")
	ctx := browserWith(t, 1280, 900, chromedp.Flag("host-resolver-rules", "MAP *.example.test 127.0.0.1"))
	_, port, _ := strings.Cut(rp.p.Listen, ":")
	app := "http://app.example.test:" + port
	portal := rp.p.Portal

	do(t, ctx, "open the app", chromedp.Navigate(app+"/home"), waitFor(`input[name=email]`))
	wantPath(t, ctx, portal, "/login")
	if loc := location(t, ctx); !strings.Contains(loc, "rd=") {
		t.Fatalf("the portal was opened without rd: %s", loc)
	}
	do(t, ctx, "password",
		shot(t, "proxy-"+name+"-01-login"),
		fill(`input[name=email]`, proxyAnn.email),
		fill(`input[name=password]`, miPassword),
		solved(),
		chromedp.WaitEnabled(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		submit("/login"),
	)
	wantPath(t, ctx, portal, "/login/mfa")
	do(t, ctx, "choose SMS", waitFor(`form[action="/login/mfa/sms"] button`), submit("/login/mfa/sms"))
	wantPath(t, ctx, portal, "/login/mfa/code")
	do(t, ctx, "SMS code",
		waitFor(`input[name=code]`),
		fill(`input[name=code]`, rp.portal.lastCode(t, proxyAnn.phone)),
		shot(t, "proxy-"+name+"-02-code"),
		submit("/login/mfa/code"),
	)
	wantPath(t, ctx, app, "/home")
	do(t, ctx, "back at the app", waitFor(`body`), shot(t, "proxy-"+name+"-03-app"))
	if s := text(t, ctx, "body"); !strings.Contains(s, `"Remote-User":["ann@example.test"]`) {
		t.Fatalf("the app does not show Remote-User: %s", s)
	}

	do(t, ctx, "a denied page", chromedp.Navigate(app+"/admin"), waitFor(`body`), shot(t, "proxy-"+name+"-04-denied"))
	if s := text(t, ctx, "body"); !strings.Contains(s, "403") && !strings.Contains(s, "do not have access") {
		t.Fatalf("the denied page is not a 403: %s", s)
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch(location.href).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Fatalf("denied page status %d, %v; want 403", status, err)
	}

	do(t, ctx, "sign out from the app's link",
		chromedp.Navigate(portal+"/logout?rd="+app+"/home"),
		waitFor(`#logout-confirm button`),
		shot(t, "proxy-"+name+"-05-logout-confirm"),
		chromedp.Click(chromedp.CSS(`#logout-confirm button`)),
	)
	wantPath(t, ctx, portal, "/login")
	do(t, ctx, "asked again", waitFor(`input[name=email]`), shot(t, "proxy-"+name+"-06-asked-again"))
	if loc := location(t, ctx); !strings.Contains(loc, "rd=") {
		t.Fatalf("after signing out the app did not ask to sign in: %s", loc)
	}
}
