// Package access decides whether a request that a reverse proxy forwards to
// Gatehouse may reach the application behind it.
//
// It holds the access rules (a YAML file named by GATEHOUSE_ACCESS_RULES),
// the check of the return address a person is sent back to after signing in
// (rd, limited to GATEHOUSE_COOKIE_DOMAIN), and the check of the forwarded
// headers the proxy describes the original request with. It knows nothing of
// HTTP handlers or sessions: the web layer turns a request and a session into
// a Request and a Subject and answers according to the Decision.
//
// # Paths
//
// A rule's resources are regular expressions matched against the path of the
// request, without its query. Backends read a path in different ways, so the
// path is read the ways a backend might: as sent, percent-decoded (up to
// three times, for double encoding), with backslashes as slashes and with
// ";parameters" cut from each segment, each reading both as it stands and
// cleaned of "." and ".." segments. Every reading is decided and the strictest answer wins (Deny over
// SignIn over Allow), so "/public/%2e%2e/admin" is held to the rule for
// "/admin" and "/admin/..%2fpublic" to the rules for both. A path that is not
// valid percent-encoding, or holds a control byte once decoded, is denied.
// Regular expressions are case-sensitive; write (?i) for a case-insensitive
// backend.
package access
