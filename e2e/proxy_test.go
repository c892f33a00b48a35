//go:build unix

package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// proxyForged are identity headers a client makes up, in the spellings an
// application might read as Remote-User.
var proxyForged = map[string]string{
	"Remote-User":   "admin",
	"Remote-Email":  "admin@evil.test",
	"Remote-Name":   "Administrator",
	"Remote-Groups": "admins",
	"Remote_User":   "admin",
	"Remote_Groups": "admins",
}

// TestProxyNginx runs nginx with auth_request in front of the echo app,
// asking the fake authorisation server, which records what nginx sends.
func TestProxyNginx(t *testing.T) {
	p, app, authz := proxySetup(t)
	proxyStartNginx(t, p)
	proxyContract(t, p, app, authz.sessions(), map[string]string{
		"X-Original-URL":    "http://app.example.test/some/page?x=1",
		"X-Original-Method": "GET",
	})
	t.Run("the auth location is internal", func(t *testing.T) {
		resp, _ := proxyGet(t, p, app, "/internal/gatehouse", "good", nil, false)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
}

// TestProxyCaddy runs Caddy with forward_auth in front of the echo app,
// asking the fake authorisation server, which records what Caddy sends.
func TestProxyCaddy(t *testing.T) {
	p, app, authz := proxySetup(t)
	proxyStartCaddy(t, p)
	proxyContract(t, p, app, authz.sessions(), map[string]string{
		"X-Forwarded-Method": "GET",
		"X-Forwarded-Proto":  "http",
		"X-Forwarded-Host":   "app.example.test",
		"X-Forwarded-Uri":    "/some/page?x=1",
	})
}

// TestProxyDocShowsTheTestedConfigs holds docs/PROXY.md to the
// configurations these tests run, directive for directive.
func TestProxyDocShowsTheTestedConfigs(t *testing.T) {
	b, err := os.ReadFile("../docs/PROXY.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	p := proxyPorts{Host: "app.example.com", Authz: "127.0.0.1:8080", App: "127.0.0.1:3000", Portal: "https://login.example.com"}
	if want := proxyIndent(proxyNginxLocations(p), "    "); !strings.Contains(doc, want) {
		t.Errorf("docs/PROXY.md lacks the tested nginx locations:\n%s", want)
	}
	if want := proxyIndent(proxyCaddySite(p), "\t"); !strings.Contains(doc, want) {
		t.Errorf("docs/PROXY.md lacks the tested Caddy site:\n%s", want)
	}
}

func proxySetup(t *testing.T) (proxyPorts, *proxyEcho, *proxyAuthz) {
	t.Helper()
	portal := "http://login.example.test"
	app, authz := proxyStartEcho(t), proxyStartAuthz(t, portal)
	p := proxyPorts{
		Listen: proxyFreePort(t),
		Host:   "app.example.test",
		Authz:  strings.TrimPrefix(authz.URL, "http://"),
		App:    strings.TrimPrefix(app.URL, "http://"),
		Portal: portal,
	}
	return p, app, authz
}

// proxySessions are the sessions the contract runs with.
type proxySessions struct {
	good     string            // a session allowed on /home
	badGroup string            // a signed-in session refused on /home
	identity map[string]string // what the app must see for good
	// lastSeen returns the headers of the proxy's last question; nil
	// when the authorisation server does not record them.
	lastSeen func() http.Header
}

// sessions are the fake's sessions.
func (a *proxyAuthz) sessions() proxySessions {
	return proxySessions{good: "good", badGroup: "bad-group", identity: proxyIdentity, lastSeen: a.lastSeen}
}

// proxyContract is what every protecting proxy must do, whichever way it
// asks; askedWith is what the authorisation server must have been told
// about GET /some/page?x=1.
func proxyContract(t *testing.T, p proxyPorts, app *proxyEcho, who proxySessions, askedWith map[string]string) {
	t.Run("signed out is sent to the portal with rd", func(t *testing.T) {
		resp, _ := proxyGet(t, p, app, "/some/page?x=1", "", nil, false)
		proxyWantLogin(t, p, resp, "http://app.example.test/some/page?x=1")
		if who.lastSeen == nil {
			return
		}
		seen := who.lastSeen()
		for h, want := range askedWith {
			if got := seen.Get(h); got != want {
				t.Errorf("authz got %s %q, want %q", h, got, want)
			}
		}
	})
	t.Run("forged forwarded headers buy no bypass", func(t *testing.T) {
		forged := map[string]string{
			"X-Original-URL":     "http://app.example.test/public/x",
			"X-Forwarded-Uri":    "/public/x",
			"X-Forwarded-Host":   "app.example.test",
			"X-Forwarded-Proto":  "https",
			"X-Original-Method":  "OPTIONS",
			"X-Forwarded-Method": "OPTIONS",
		}
		resp, _ := proxyGet(t, p, app, "/private", "", forged, false)
		proxyWantLogin(t, p, resp, "http://app.example.test/private")
	})
	t.Run("signed in reaches the app as Gatehouse says, not as the client says", func(t *testing.T) {
		resp, seen := proxyGet(t, p, app, "/home", who.good, proxyForged, true)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		proxyWantIdentity(t, seen, who.identity)
	})
	t.Run("a bypass carries no client-made identity", func(t *testing.T) {
		resp, seen := proxyGet(t, p, app, "/public/x", "", proxyForged, true)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		proxyWantIdentity(t, seen, nil)
	})
	t.Run("another host name does not reach the app", func(t *testing.T) {
		other := p
		other.Host = "public.example.test"
		proxyGet(t, other, app, "/public/x", who.good, nil, false)
	})
	t.Run("not allowed is a 403 that never reaches the app", func(t *testing.T) {
		resp, _ := proxyGet(t, p, app, "/home", who.badGroup, proxyForged, false)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
	})
}

// proxyGet sends GET path for p.Host through the proxy, with the session
// cookie when set, and returns the response and, when the request reached
// the app, the headers the app saw. It fails the test when reachesApp is
// not what happened.
func proxyGet(t *testing.T, p proxyPorts, app *proxyEcho, path, session string, headers map[string]string, reachesApp bool) (*http.Response, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+p.Listen+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = p.Host
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: session})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	before := app.hits.Load()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if reached := app.hits.Load() > before; reached != reachesApp {
		t.Fatalf("%s: reached the app = %v, want %v (status %d)", path, reached, reachesApp, resp.StatusCode)
	}
	if !reachesApp {
		return resp, nil
	}
	var seen http.Header
	if err := json.NewDecoder(resp.Body).Decode(&seen); err != nil {
		t.Fatalf("app answer: %v", err)
	}
	return resp, seen
}

// proxyWantLogin checks for a redirect to the portal's login page whose rd
// is the original URL.
func proxyWantLogin(t *testing.T, p proxyPorts, resp *http.Response, rd string) {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != p.Portal+"/login" {
		t.Errorf("redirect to %q, want %q", got, p.Portal+"/login")
	}
	if got := loc.Query().Get("rd"); got != rd {
		t.Errorf("rd = %q, want %q", got, rd)
	}
}

// proxyWantIdentity checks the identity headers the app saw: each of the
// four as Gatehouse sent it (empty or absent when Gatehouse sent it empty),
// no unfilled placeholder, and no underscore spelling at all.
func proxyWantIdentity(t *testing.T, seen http.Header, want map[string]string) {
	t.Helper()
	for _, h := range []string{"Remote-User", "Remote-Email", "Remote-Name", "Remote-Groups"} {
		got := strings.Join(seen.Values(h), ",")
		if got != want[h] {
			t.Errorf("app saw %s %q, want %q", h, got, want[h])
		}
	}
	for k, vs := range seen {
		if strings.HasPrefix(strings.ToLower(k), "remote_") {
			t.Errorf("app saw client-made %s: %q", k, vs)
		}
		for _, v := range vs {
			if strings.Contains(v, "{http.") {
				t.Errorf("app saw an unfilled placeholder in %s: %q", k, v)
			}
		}
	}
}
