//go:build unix

package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// proxyRules guard app.example.test: /public/ is open, /home is for the
// staff group, /admin for admins, the rest for anyone signed in; any other
// host is denied.
const proxyRules = `default_policy: deny
rules:
  - domain: app.example.test
    resources: ["^/public/"]
    policy: bypass
  - domain: app.example.test
    resources: ["^/home"]
    subjects: ["group:staff"]
    policy: two_factor
  - domain: app.example.test
    resources: ["^/home"]
    policy: deny
  - domain: app.example.test
    resources: ["^/admin"]
    subjects: ["group:admins"]
    policy: two_factor
  - domain: app.example.test
    resources: ["^/admin"]
    policy: deny
  - domain: app.example.test
    policy: two_factor
`

// Accounts of the real-portal proxy tests.
var (
	proxyAnn = miAccount{"Ann", "ann@example.test", "+12015550131"}
	proxyBob = miAccount{"Bob", "bob@example.test", "+12015550132"}
)

// proxyAnnIdentity is what an application behind the proxy learns of Ann.
var proxyAnnIdentity = map[string]string{
	"Remote-User":   proxyAnn.email,
	"Remote-Email":  proxyAnn.email,
	"Remote-Name":   "Ann Tester",
	"Remote-Groups": "dev,staff",
}

// realProxy is the real portal, as login.example.test, guarding the echo
// app for a proxy on p.Listen.
type realProxy struct {
	p      proxyPorts
	app    *proxyEcho
	portal *portal
}

// proxyPortalSetup starts the real portal with cookie domain example.test,
// the proxy rules and the proxy on 127.0.0.1 trusted.
func proxyPortalSetup(t *testing.T) realProxy {
	t.Helper()
	addr := freePort(t)
	_, port, _ := strings.Cut(addr, ":")
	base := "http://login.example.test:" + port
	rules := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(rules, []byte(proxyRules), 0o600); err != nil {
		t.Fatal(err)
	}
	pt := startPortalAt(t, addr,
		"GATEHOUSE_BASE_URL="+base,
		"GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32",
		"GATEHOUSE_COOKIE_DOMAIN=example.test",
		"GATEHOUSE_ACCESS_RULES="+rules,
		"GATEHOUSE_CAPTCHA_POW_MAXNUMBER=1000",
		"GATEHOUSE_SMS_CONSOLE=false",
	)
	app := proxyStartEcho(t)
	return realProxy{
		p: proxyPorts{
			Listen: proxyFreePort(t), Host: "app.example.test", Authz: addr,
			App: strings.TrimPrefix(app.URL, "http://"), Portal: base,
		},
		app: app, portal: pt,
	}
}

// client returns a visitor of login.example.test: its requests for any
// *.example.test name go to the portal's address, so that the cookie set
// for example.test lands in its jar.
func (rp realProxy) client(t *testing.T, ip string) *miClient {
	t.Helper()
	c := miNewClient(t, ip)
	portalAddr := rp.p.Authz
	c.hc.Transport = &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, portalAddr)
	}}
	return c
}

// signedIn registers a, gives it groups, signs it in and returns its
// session token.
func (rp realProxy) signedIn(t *testing.T, a miAccount, ip string, groups string) string {
	t.Helper()
	c := rp.client(t, ip)
	c.register(rp.p.Portal, rp.p.Portal, rp.portal.Outbox, a)
	if groups != "" {
		rp.setGroups(t, a.email, groups)
	}
	c.signIn(rp.p.Portal, rp.p.Portal, rp.portal.Outbox, a)
	u, _ := url.Parse(rp.p.Portal)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "gatehouse_session" {
			return ck.Value
		}
	}
	t.Fatalf("%s: no session cookie after signing in", a.email)
	return ""
}

// setGroups runs `gatehouse user groups` beside the running portal.
func (rp realProxy) setGroups(t *testing.T, email, groups string) {
	t.Helper()
	cmd := exec.Command(binary, "user", "groups", "--email", email, "--set", groups)
	cmd.Env = append(os.Environ(), "GATEHOUSE_DATA_DIR="+rp.portal.DataDir, "GATEHOUSE_SMS_CONSOLE=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user groups: %v\n%s", err, out)
	}
}

// realSessions signs Ann (staff, dev) and Bob (no groups) in.
func (rp realProxy) realSessions(t *testing.T) proxySessions {
	t.Helper()
	return proxySessions{
		good:     rp.signedIn(t, proxyAnn, "198.51.100.31", "staff,dev"),
		badGroup: rp.signedIn(t, proxyBob, "198.51.100.32", ""),
		identity: proxyAnnIdentity,
	}
}

// TestProxyNginxPortal runs the proxy contract with nginx asking the real
// portal's auth-request endpoint.
func TestProxyNginxPortal(t *testing.T) {
	rp := proxyPortalSetup(t)
	proxyStartNginx(t, rp.p)
	who := rp.realSessions(t)
	proxyContract(t, rp.p, rp.app, who, nil)
	proxyPost(t, rp, who)
	proxySignOutEverywhere(t, rp, who.good)
}

// TestProxyCaddyPortal runs the proxy contract with Caddy asking the real
// portal's forward-auth endpoint.
func TestProxyCaddyPortal(t *testing.T) {
	rp := proxyPortalSetup(t)
	proxyStartCaddy(t, rp.p)
	who := rp.realSessions(t)
	proxyContract(t, rp.p, rp.app, who, nil)
	proxyPost(t, rp, who)
	proxySignOutEverywhere(t, rp, who.good)
}

// proxySignOutEverywhere: after signing out of the portal, the old session
// no longer passes the proxy.
func proxySignOutEverywhere(t *testing.T, rp realProxy, token string) {
	t.Run("signed out of the portal is signed out of the app", func(t *testing.T) {
		proxyGet(t, rp.p, rp.app, "/home", token, nil, true)
		c := rp.client(t, "198.51.100.33")
		u, _ := url.Parse(rp.p.Portal)
		c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_session", Value: token, Path: "/"}})
		miWant(t, "sign out", c.post(rp.p.Portal, "/logout", url.Values{"rd": {"http://app.example.test/home"}}),
			http.StatusSeeOther, "http://app.example.test/home")
		resp, _ := proxyGet(t, rp.p, rp.app, "/home", token, nil, false)
		proxyWantLogin(t, rp.p, resp, "http://app.example.test/home")
	})
}

// proxyPost: a POST to the app is checked like a GET, whatever method the
// proxy asks with, and its body reaches the app only when allowed.
func proxyPost(t *testing.T, rp realProxy, who proxySessions) {
	t.Run("a POST is checked too", func(t *testing.T) {
		for _, c := range []struct {
			session string
			status  int
		}{{who.good, http.StatusOK}, {who.badGroup, http.StatusForbidden}, {"", 0}} {
			req, err := http.NewRequest(http.MethodPost, "http://"+rp.p.Listen+"/home", strings.NewReader("a=1"))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = rp.p.Host
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if c.session != "" {
				req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: c.session})
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			before := rp.app.hits.Load()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			reached := rp.app.hits.Load() > before
			switch {
			case c.status == 0 && (resp.StatusCode != http.StatusFound || reached):
				t.Errorf("signed out POST: status %d, reached %v; want 302 to the portal", resp.StatusCode, reached)
			case c.status != 0 && (resp.StatusCode != c.status || reached != (c.status == http.StatusOK)):
				t.Errorf("POST: status %d, reached %v; want %d", resp.StatusCode, reached, c.status)
			}
		}
	})
}
