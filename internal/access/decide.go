package access

import (
	"net"
	"strings"
)

// Request is the original request the proxy asks about.
type Request struct {
	Host   string // as sent: any case, optionally with a port or a trailing dot
	Path   string // the request target's path; a query after "?" is ignored
	Method string
}

// Subject is who asks. SignedIn is true only for a person signed in with
// both factors: a password-only session is not signed in.
type Subject struct {
	Email    string
	Groups   []string
	SignedIn bool
}

// Decide answers one request: the first rule matching the host, method,
// path and subject wins, and the default policy answers when none does. An
// anonymous visitor who reaches a rule with subjects must sign in, since the
// rule cannot be decided without an identity. The path is decided in every
// reading a backend might give it (see the package documentation) and the
// strictest answer wins. A host that is not a plain ASCII host name is
// denied.
func (r *Rules) Decide(req Request, sub Subject) Decision {
	if r == nil {
		return apply(policyTwoFactor, sub)
	}
	host, ok := requestHost(req.Host)
	if !ok {
		return Deny
	}
	paths, ok := pathReadings(req.Path)
	if !ok {
		return Deny
	}
	method := strings.ToUpper(req.Method)
	answer := Allow
	for _, p := range paths {
		if d := r.decideOne(host, p, method, sub); stricter(d, answer) {
			answer = d
		}
	}
	return answer
}

func (r *Rules) decideOne(host, path, method string, sub Subject) Decision {
	for _, ru := range r.rules {
		if !ru.matchHost(host) || !ru.matchMethod(method) || !ru.matchPath(path) {
			continue
		}
		if len(ru.subjects) > 0 {
			if !sub.SignedIn {
				return SignIn
			}
			if !ru.matchSubject(sub) {
				continue
			}
		}
		return apply(ru.policy, sub)
	}
	return apply(r.defaultPolicy, sub)
}

// apply turns a policy into a decision for the subject. A deny answers 403
// even to an anonymous visitor: signing in would not change it.
func apply(p policy, sub Subject) Decision {
	switch p {
	case policyBypass:
		return Allow
	case policyTwoFactor:
		if sub.SignedIn {
			return Allow
		}
		return SignIn
	}
	return Deny
}

func (ru rule) matchHost(host string) bool {
	for _, d := range ru.domains {
		if suffix, ok := strings.CutPrefix(d, "*"); ok {
			if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
				return true
			}
		} else if host == d {
			return true
		}
	}
	return false
}

func (ru rule) matchMethod(method string) bool {
	if len(ru.methods) == 0 {
		return true
	}
	for _, m := range ru.methods {
		if m == method {
			return true
		}
	}
	return false
}

func (ru rule) matchPath(path string) bool {
	if len(ru.resources) == 0 {
		return true
	}
	for _, re := range ru.resources {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

func (ru rule) matchSubject(sub Subject) bool {
	email := strings.ToLower(sub.Email)
	for _, s := range ru.subjects {
		if s.email != "" && s.email == email {
			return true
		}
		if s.group == "" {
			continue
		}
		for _, g := range sub.Groups {
			if g == s.group {
				return true
			}
		}
	}
	return false
}

// requestHost lowers the host and strips its port and one trailing dot.
func requestHost(h string) (string, bool) {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	return h, validHostname(h)
}
