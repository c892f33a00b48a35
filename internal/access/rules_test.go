package access

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAcceptsTheDocumentedExample(t *testing.T) {
	r, err := Parse([]byte(`
default_policy: deny
rules:
  - domain: public.example.com
    policy: bypass
  - domain: ["*.example.com", Other.Example.ORG.]
    resources: ["^/admin(/|$)"]
    methods: [get, POST]
    subjects: ["group:admins", "user:Ann@Example.com"]
    policy: two_factor
  - domain: app.example.com
    policy: two_factor
`))
	if err != nil {
		t.Fatal(err)
	}
	if r.defaultPolicy != policyDeny || len(r.rules) != 3 {
		t.Fatalf("default %v, %d rules", r.defaultPolicy, len(r.rules))
	}
	second := r.rules[1]
	if got := strings.Join(second.domains, " "); got != "*.example.com other.example.org" {
		t.Errorf("domains normalised to %q", got)
	}
	if got := strings.Join(second.methods, " "); got != "GET POST" {
		t.Errorf("methods normalised to %q", got)
	}
	if second.subjects[1].email != "ann@example.com" || second.subjects[0].group != "admins" {
		t.Errorf("subjects %+v", second.subjects)
	}
}

func TestParseDefaultPolicyIsDenyWhenLeftOut(t *testing.T) {
	r, err := Parse([]byte("rules: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Decide(Request{Host: "app.example.com", Path: "/"}, Subject{SignedIn: true}); got != Deny {
		t.Errorf("got %v, want deny", got)
	}
}

// Every problem in one file is reported in one error, each naming where.
func TestParseReportsEveryErrorAtOnce(t *testing.T) {
	_, err := Parse([]byte(`
default_policy: allow
rules:
  - policy: two_factor
  - domain: "exa mple.com"
    policy: bypass
  - domain: ["ok.example.com", "*", "a.*.example.com", "host:8080"]
    resources: ["^/admin(", "^/ok"]
    subjects: ["admins", "user:", "group:"]
    methods: ["FETCH"]
    policy: one_factor
  - domain: app.example.com
  - domain: app.example.com
    subjects: ["group:admins"]
    policy: bypass
`))
	if !errors.Is(err, ErrInvalidRules) {
		t.Fatalf("err = %v, want ErrInvalidRules", err)
	}
	want := []string{
		"default_policy: \"allow\" is not one of",
		"rules[0].domain: is required",
		"rules[1].domain[0]: \"exa mple.com\"",
		"rules[2].domain[1]: \"*\"",
		"rules[2].domain[2]: \"a.*.example.com\"",
		"rules[2].domain[3]: \"host:8080\"",
		"rules[2].resources[0]: error parsing regexp",
		"rules[2].subjects[0]: \"admins\"",
		"rules[2].subjects[1]: \"user:\"",
		"rules[2].subjects[2]: \"group:\"",
		"rules[2].methods[0]: \"FETCH\"",
		"rules[2].policy: \"one_factor\"",
		"rules[3].policy: is required",
		"rules[4].policy: bypass cannot be combined with subjects",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q", w)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != len(want) {
		t.Errorf("%d problems reported, want %d:\n%s", n, len(want), msg)
	}
	if strings.Contains(msg, "resources[1]") || strings.Contains(msg, "domain[0]: \"ok") {
		t.Errorf("a valid entry was reported:\n%s", msg)
	}
}

func TestParseRefusesMalformedDocuments(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"empty", "", "empty"},
		{"unknown top-level key", "default_policy: deny\nrulez: []\n", "field rulez not found"},
		{"unknown rule key", "rules:\n  - domain: a.example.com\n    policy: bypass\n    subject: [x]\n", "field subject not found"},
		{"domain of the wrong shape", "rules:\n  - domain: {a: b}\n    policy: bypass\n", "a string or a list"},
		{"two documents", "default_policy: deny\n---\ndefault_policy: bypass\n", "more than one"},
		{"not YAML", "rules: [\n", "did not find"},
		{"rules not a list", "rules: deny\n", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if !errors.Is(err, ErrInvalidRules) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidRules mentioning %q", err, tt.want)
			}
		})
	}
}

func TestPolicyAndDecisionNames(t *testing.T) {
	for p, want := range map[policy]string{policyDeny: "deny", policyTwoFactor: "two_factor", policyBypass: "bypass", policy(9): "policy(9)"} {
		if p.String() != want {
			t.Errorf("%d: %q, want %q", int(p), p.String(), want)
		}
	}
	for d, want := range map[Decision]string{Deny: "deny", SignIn: "sign-in", Allow: "allow", Decision(9): "Decision(9)"} {
		if d.String() != want {
			t.Errorf("%d: %q, want %q", int(d), d.String(), want)
		}
	}
}
