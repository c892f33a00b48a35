package access

import "fmt"

// policy is what a rule demands of a request it matches.
type policy int

const (
	// policyDeny refuses the request, whoever asks.
	policyDeny policy = iota
	// policyTwoFactor lets through a person signed in with both factors.
	policyTwoFactor
	// policyBypass lets the request through without an identity.
	policyBypass
)

var policyNames = map[string]policy{
	"deny":       policyDeny,
	"two_factor": policyTwoFactor,
	"bypass":     policyBypass,
}

// String returns the policy as the rules file spells it.
func (p policy) String() string {
	switch p {
	case policyDeny:
		return "deny"
	case policyTwoFactor:
		return "two_factor"
	case policyBypass:
		return "bypass"
	}
	return fmt.Sprintf("policy(%d)", int(p))
}

func parsePolicy(s string) (policy, error) {
	p, ok := policyNames[s]
	if !ok {
		return policyDeny, fmt.Errorf("%q is not one of deny, two_factor, bypass", s)
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
