package access

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rules is a validated, immutable set of access rules. The nil *Rules is the
// behaviour without a rules file: a signed-in person is allowed everywhere,
// everyone else must sign in.
type Rules struct {
	defaultPolicy policy
	rules         []rule
}

// rule is one validated entry of the rules list.
type rule struct {
	domains   []string // exact names, or "*.name" for any name below it
	resources []*regexp.Regexp
	methods   []string
	subjects  []subject
	policy    policy
}

// subject is one "user:EMAIL" or "group:NAME" entry.
type subject struct {
	email string // lower case; empty for a group
	group string
}

// file is the YAML document as written.
type file struct {
	DefaultPolicy string     `yaml:"default_policy"`
	Rules         []fileRule `yaml:"rules"`
}

type fileRule struct {
	Domain    stringList `yaml:"domain"`
	Resources []string   `yaml:"resources"`
	Methods   []string   `yaml:"methods"`
	Subjects  []string   `yaml:"subjects"`
	Policy    string     `yaml:"policy"`
}

// stringList accepts either one string or a list of strings.
type stringList []string

// UnmarshalYAML reads a scalar as a list of one.
func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = s
	return nil
}

// Load reads and validates the rules file at path.
func Load(path string) (*Rules, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("access rules: %w", err)
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Parse validates a rules document. Unknown keys are errors, and every
// problem is reported at once, each naming the rule index and field; the
// error wraps ErrInvalidRules.
func Parse(b []byte) (*Rules, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the document is empty", ErrInvalidRules)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidRules, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrInvalidRules)
	}
	return f.validate()
}

func (f file) validate() (*Rules, error) {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidRules, field, fmt.Sprintf(format, a...)))
	}
	r := &Rules{defaultPolicy: policyDeny}
	if f.DefaultPolicy != "" {
		p, err := parsePolicy(f.DefaultPolicy)
		if err != nil {
			bad("default_policy", "%v", err)
		}
		r.defaultPolicy = p
	}
	for i, fr := range f.Rules {
		at := func(field string) string { return fmt.Sprintf("rules[%d].%s", i, field) }
		var ru rule
		if len(fr.Domain) == 0 {
			bad(at("domain"), "is required")
		}
		for j, d := range fr.Domain {
			n, ok := ruleDomain(d)
			if !ok {
				bad(fmt.Sprintf("%s[%d]", at("domain"), j), "%q is not a host name or *.host name", d)
			}
			ru.domains = append(ru.domains, n)
		}
		for j, s := range fr.Resources {
			re, err := regexp.Compile(s)
			if err != nil {
				bad(fmt.Sprintf("%s[%d]", at("resources"), j), "%v", err)
			}
			ru.resources = append(ru.resources, re)
		}
		for j, m := range fr.Methods {
			if !validMethod(m) {
				bad(fmt.Sprintf("%s[%d]", at("methods"), j), "%q is not an HTTP method", m)
			}
			ru.methods = append(ru.methods, strings.ToUpper(m))
		}
		for j, s := range fr.Subjects {
			sub, err := parseSubject(s)
			if err != nil {
				bad(fmt.Sprintf("%s[%d]", at("subjects"), j), "%v", err)
			}
			ru.subjects = append(ru.subjects, sub)
		}
		p, err := parsePolicy(fr.Policy)
		switch {
		case fr.Policy == "":
			bad(at("policy"), "is required")
		case err != nil:
			bad(at("policy"), "%v", err)
		case p == policyBypass && len(fr.Subjects) > 0:
			bad(at("policy"), "bypass cannot be combined with subjects: a bypass needs no identity")
		}
		ru.policy = p
		r.rules = append(r.rules, ru)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// ruleDomain normalises a rule's domain: lower case, no trailing dot, and
// an optional "*." in front of a host name.
func ruleDomain(d string) (string, bool) {
	d = strings.TrimSuffix(strings.ToLower(d), ".")
	name := strings.TrimPrefix(d, "*.")
	return d, validHostname(name)
}

func parseSubject(s string) (subject, error) {
	kind, value, _ := strings.Cut(s, ":")
	value = strings.TrimSpace(value)
	switch {
	case kind == "user" && strings.Contains(value, "@") && !strings.ContainsAny(value, " \t"):
		return subject{email: strings.ToLower(value)}, nil
	case kind == "group" && value != "":
		return subject{group: value}, nil
	}
	return subject{}, fmt.Errorf("%q is not user:EMAIL or group:NAME", s)
}

// validMethod accepts the standard methods, in any case.
func validMethod(m string) bool {
	switch strings.ToUpper(m) {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// validHostname reports whether s is a lower-case host name of letters,
// digits and hyphens, with labels of 1 to 63 bytes and at most 253 in all.
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
