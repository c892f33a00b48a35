// Package web is the portal's HTTP layer: the pages and actions of
// registration, sign-in with a second factor, the dashboard and account
// settings, with the middleware that guards them (security headers, body
// limit, client IP, cross-origin protection, server-side sessions and the
// sign-in gates). Handlers are thin: they parse a form, call package auth and
// render a page or redirect. Only the server decides how far a sign-in got;
// that state lives in the server-side session.
//
// Every route is listed in routes.go. Pages are html/template files under
// templates/ and static files under static/, both embedded in the binary;
// no page carries inline script or style, so the Content-Security-Policy
// stays strict.
package web
