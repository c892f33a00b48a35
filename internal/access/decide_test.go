package access

import "testing"

const exampleRules = `
default_policy: deny
rules:
  - domain: public.example.com
    policy: bypass
  - domain: "*.example.com"
    resources: ["^/admin(/|$)"]
    subjects: ["group:admins", "user:boss@example.com"]
    policy: two_factor
  - domain: "*.example.com"
    resources: ["^/admin(/|$)"]
    policy: deny
  - domain: [app.example.com, other.example.com]
    resources: ["^/public/"]
    policy: bypass
  - domain: app.example.com
    methods: [DELETE]
    policy: deny
  - domain: app.example.com
    policy: two_factor
  - domain: "*.internal.example.com"
    policy: bypass
`

var (
	anonymous = Subject{}
	member    = Subject{Email: "ann@example.com", Groups: []string{"staff"}, SignedIn: true}
	admin     = Subject{Email: "root@example.com", Groups: []string{"staff", "admins"}, SignedIn: true}
	boss      = Subject{Email: "Boss@Example.COM", SignedIn: true}
	// halfway has the admins group but has not finished the second factor.
	halfway = Subject{Email: "root@example.com", Groups: []string{"admins"}}
)

func mustParse(t *testing.T, doc string) *Rules {
	t.Helper()
	r, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDecide(t *testing.T) {
	r := mustParse(t, exampleRules)
	tests := []struct {
		name string
		req  Request
		sub  Subject
		want Decision
	}{
		{"bypass for anyone", Request{"public.example.com", "/", "GET"}, anonymous, Allow},
		{"exact domain does not cover subdomains", Request{"x.public.example.com", "/", "GET"}, anonymous, Deny},
		{"host case and port are ignored", Request{"PUBLIC.Example.com:8443", "/", "GET"}, anonymous, Allow},
		{"trailing dot on the host is ignored", Request{"public.example.com.", "/", "GET"}, anonymous, Allow},
		{"two_factor asks an anonymous visitor to sign in", Request{"app.example.com", "/", "GET"}, anonymous, SignIn},
		{"two_factor needs both factors", Request{"app.example.com", "/", "GET"}, halfway, SignIn},
		{"two_factor lets a signed-in person in", Request{"app.example.com", "/", "GET"}, member, Allow},
		{"second domain of a list", Request{"other.example.com", "/public/x", "GET"}, anonymous, Allow},
		{"the default denies an unlisted host", Request{"unlisted.example.org", "/", "GET"}, member, Deny},
		{"wildcard covers any depth", Request{"a.b.internal.example.com", "/", "GET"}, anonymous, Allow},
		{"wildcard does not cover the apex", Request{"internal.example.com", "/", "GET"}, anonymous, Deny},
		{"wildcard does not match a mere suffix", Request{"evilinternal.example.com", "/", "GET"}, member, Deny},
		{"subjects: anonymous must sign in to be decided", Request{"app.example.com", "/admin", "GET"}, anonymous, SignIn},
		{"subjects: a half-signed-in person must finish", Request{"app.example.com", "/admin", "GET"}, halfway, SignIn},
		{"subjects: group member", Request{"app.example.com", "/admin/users", "GET"}, admin, Allow},
		{"subjects: user, compared without case", Request{"app.example.com", "/admin", "GET"}, boss, Allow},
		{"subjects: others fall through to the deny", Request{"app.example.com", "/admin", "GET"}, member, Deny},
		{"first match wins over a later two_factor", Request{"app.example.com", "/admin/", "GET"}, member, Deny},
		{"resource regex anchors", Request{"app.example.com", "/administrator", "GET"}, member, Allow},
		{"query is not part of the path", Request{"app.example.com", "/x?p=/admin", "GET"}, member, Allow},
		{"query cannot fake a bypassed path", Request{"app.example.com", "/private?/public/", "GET"}, anonymous, SignIn},
		{"methods: listed method", Request{"app.example.com", "/doc", "delete"}, member, Deny},
		{"methods: other method", Request{"app.example.com", "/doc", "GET"}, member, Allow},
		{"host that is not a host name", Request{"app.example.com\x00.evil", "/", "GET"}, member, Deny},
		{"IDN host", Request{"аpp.example.com", "/", "GET"}, member, Deny},
		{"empty host", Request{"", "/", "GET"}, member, Deny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Decide(tt.req, tt.sub); got != tt.want {
				t.Errorf("Decide(%+v) = %v, want %v", tt.req, got, tt.want)
			}
		})
	}
}

// Tricks that make one path read as another must not escape the admin rule.
func TestDecidePathTricksDoNotBypassTheAdminRule(t *testing.T) {
	r := mustParse(t, exampleRules)
	paths := []string{
		"/admin",
		"//admin",
		"/./admin",
		"/public/../admin",
		"/public/%2e%2e/admin",
		"/public/%2E%2E/admin",
		"/public/.%2e/admin",
		"/public/%2e%2e%2fadmin",
		"/public/%252e%252e/admin",
		"/public/%25252e%25252e/admin",
		"/%61dmin",
		"/public/..\\admin",
		"/public/%5c..%5cadmin",
		"/admin;jsessionid=1",
		"/public/..;/admin",
		"/admin/..%2fpublic/",
		"/admin%2f..%2fpublic/",
		"/public/x/../../admin/",
		"admin",
		"/public/../../../admin",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			req := Request{Host: "app.example.com", Path: p, Method: "GET"}
			if got := r.Decide(req, member); got != Deny {
				t.Errorf("member: %q = %v, want deny", p, got)
			}
			if got := r.Decide(req, anonymous); got == Allow {
				t.Errorf("anonymous: %q = allow", p)
			}
			if got := r.Decide(req, admin); got != Allow {
				t.Errorf("admin: %q = %v, want allow", p, got)
			}
		})
	}
}

func TestDecideRefusesMalformedPaths(t *testing.T) {
	r := mustParse(t, exampleRules)
	for _, p := range []string{"/public/%zz", "/public/%", "/public/%00", "/public/\x00", "/public/%0a", "/public/%250a", "/public/\x7f"} {
		if got := r.Decide(Request{Host: "app.example.com", Path: p, Method: "GET"}, admin); got != Deny {
			t.Errorf("%q = %v, want deny", p, got)
		}
	}
}

func TestDecidePlainPathsStayPlain(t *testing.T) {
	r := mustParse(t, exampleRules)
	for _, p := range []string{"/public/a", "/public/a%20b", "/public/%E2%9C%93", "/public/", "/public/a/./b", "/public/%25zz"} {
		if got := r.Decide(Request{Host: "app.example.com", Path: p, Method: "GET"}, anonymous); got != Allow {
			t.Errorf("%q = %v, want allow", p, got)
		}
	}
}

func TestDecideWithoutRulesFile(t *testing.T) {
	var r *Rules
	req := Request{Host: "anything.example.net", Path: "/admin", Method: "GET"}
	if got := r.Decide(req, member); got != Allow {
		t.Errorf("signed in: %v, want allow", got)
	}
	if got := r.Decide(req, halfway); got != SignIn {
		t.Errorf("password only: %v, want sign-in", got)
	}
	if got := r.Decide(req, anonymous); got != SignIn {
		t.Errorf("anonymous: %v, want sign-in", got)
	}
}

func TestDecideDefaultPolicies(t *testing.T) {
	req := Request{Host: "app.example.com", Path: "/", Method: "GET"}
	for _, tt := range []struct {
		policy    string
		anonymous Decision
		member    Decision
	}{
		{"deny", Deny, Deny},
		{"two_factor", SignIn, Allow},
		{"bypass", Allow, Allow},
	} {
		r := mustParse(t, "default_policy: "+tt.policy+"\n")
		if got := r.Decide(req, anonymous); got != tt.anonymous {
			t.Errorf("%s, anonymous: %v, want %v", tt.policy, got, tt.anonymous)
		}
		if got := r.Decide(req, member); got != tt.member {
			t.Errorf("%s, member: %v, want %v", tt.policy, got, tt.member)
		}
	}
}
