package access

import "fmt"

// Policy is what a rule demands of a request it matches.
type Policy int

const (
	// PolicyDeny refuses the request, whoever asks.
	PolicyDeny Policy = iota
	// PolicyTwoFactor lets through a person signed in with both factors.
	PolicyTwoFactor
	// PolicyBypass lets the request through without an identity.
	PolicyBypass
)

var policyNames = map[string]Policy{
	"deny":       PolicyDeny,
	"two_factor": PolicyTwoFactor,
	"bypass":     PolicyBypass,
}

// String returns the policy as the rules file spells it.
func (p Policy) String() string {
	switch p {
	case PolicyDeny:
		return "deny"
	case PolicyTwoFactor:
		return "two_factor"
	case PolicyBypass:
		return "bypass"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

func parsePolicy(s string) (Policy, error) {
	p, ok := policyNames[s]
	if !ok {
		return PolicyDeny, fmt.Errorf("%q is not one of deny, two_factor, bypass", s)
	}
	return p, nil
}

// Decision is the answer for one request.
type Decision int

const (
	// Deny means the request must not reach the application (403). It is
	// the zero value, so a forgotten assignment refuses.
	Deny Decision = iota
	// SignIn means the visitor must sign in first (302 to the portal, or
	// 401); after signing in the request is decided again.
	SignIn
	// Allow means the request may reach the application (200).
	Allow
)

// String names the decision.
func (d Decision) String() string {
	switch d {
	case Allow:
		return "allow"
	case SignIn:
		return "sign-in"
	case Deny:
		return "deny"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// stricter reports whether a is a stricter answer than b.
func stricter(a, b Decision) bool {
	rank := func(d Decision) int {
		switch d {
		case Allow:
			return 0
		case SignIn:
			return 1
		}
		return 2
	}
	return rank(a) > rank(b)
}
