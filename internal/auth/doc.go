// Package auth is the portal's domain: registration, the sign-in state
// machine (anonymous → pre-auth → signed in), SMS multi-factor
// authentication, phone number change and every abuse limit. It knows
// nothing of HTTP: the web layer keeps the small state values this package
// returns (Registration, PreAuth, PhoneChange) in the server-side session and
// hands them back on the next step.
package auth
