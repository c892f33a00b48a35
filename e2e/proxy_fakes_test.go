package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gatehouse/internal/access"
)

// proxyIdentity is what the fake authorisation server answers for a good
// session. Remote-Name is empty on purpose: an empty value must arrive empty.
var proxyIdentity = map[string]string{
	"Remote-User":   "ann@example.test",
	"Remote-Email":  "ann@example.test",
	"Remote-Name":   "",
	"Remote-Groups": "staff,dev",
}

// proxyEcho is the protected application: it answers with the headers it
// received, as JSON, and counts the requests that reached it.
type proxyEcho struct {
	*httptest.Server
	hits atomic.Int64
}

func proxyStartEcho(t *testing.T) *proxyEcho {
	t.Helper()
	e := &proxyEcho{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Header)
	}))
	t.Cleanup(e.Close)
	return e
}

// proxyAuthz is a stand-in for Gatehouse's authorisation endpoints that
// keeps their contract: a NUL or control byte in a forwarded header is a
// 400; cookie gatehouse_session=good is allowed with identity headers,
// =bad-group is a 403, and no session must sign in (302 to the portal for
// forward-auth, 401 for auth-request). Paths under /public/ are a bypass:
// 200 with the identity headers present and empty.
type proxyAuthz struct {
	*httptest.Server
	mu   sync.Mutex
	last http.Header
}

func proxyStartAuthz(t *testing.T, portal string) *proxyAuthz {
	t.Helper()
	a := &proxyAuthz{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/authz/forward-auth", func(w http.ResponseWriter, r *http.Request) {
		original := r.Header.Get("X-Forwarded-Proto") + "://" + r.Header.Get("X-Forwarded-Host") + r.Header.Get("X-Forwarded-Uri")
		a.answer(w, r, []string{"X-Forwarded-Method", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri"}, original, func() {
			http.Redirect(w, r, portal+"/login?rd="+url.QueryEscape(original), http.StatusFound)
		})
	})
	mux.HandleFunc("GET /api/authz/auth-request", func(w http.ResponseWriter, r *http.Request) {
		a.answer(w, r, []string{"X-Original-URL", "X-Original-Method"}, r.Header.Get("X-Original-URL"), func() {
			w.WriteHeader(http.StatusUnauthorized)
		})
	})
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

func (a *proxyAuthz) answer(w http.ResponseWriter, r *http.Request, forwarded []string, original string, signIn func()) {
	a.mu.Lock()
	a.last = r.Header.Clone()
	a.mu.Unlock()
	for _, h := range forwarded {
		if access.CleanHeader(r.Header.Get(h)) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	}
	u, err := url.Parse(original)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	identity := func(values map[string]string) {
		for _, h := range []string{"Remote-User", "Remote-Email", "Remote-Name", "Remote-Groups"} {
			w.Header()[h] = []string{values[h]}
		}
		w.WriteHeader(http.StatusOK)
	}
	cookie, _ := r.Cookie("gatehouse_session")
	switch {
	case strings.HasPrefix(u.Path, "/public/"):
		identity(nil)
	case cookie == nil:
		signIn()
	case cookie.Value == "good":
		identity(proxyIdentity)
	default:
		w.WriteHeader(http.StatusForbidden)
	}
}

// lastSeen returns the headers of the last question the proxy asked.
func (a *proxyAuthz) lastSeen() http.Header {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}
