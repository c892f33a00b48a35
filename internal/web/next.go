package web

import (
	"net/url"
	"strings"
	"unicode"
)

// safeNext returns raw when it is a same-origin relative path to go to
// after signing in, and "" otherwise. raw is accepted only when both raw
// and its fully percent-decoded form start with exactly one "/" followed
// by a character other than "/" or "\", and neither holds a backslash, a
// control character or a scheme: "//evil", "/\evil", "/%2F%2Fevil",
// "https:evil" and "javascript:…" are all refused.
func safeNext(raw string) string {
	if raw == "" || len(raw) > 2048 {
		return ""
	}
	s := raw
	for i := 0; ; i++ {
		if !relativePath(s) {
			return ""
		}
		d, err := url.PathUnescape(s)
		if err != nil || i == 8 {
			return ""
		}
		if d == s {
			return raw
		}
		s = d
	}
}

// relativePath checks one decoding of a next value.
func relativePath(s string) bool {
	if len(s) < 2 || s[0] != '/' || s[1] == '/' || s[1] == '\\' {
		return false
	}
	if strings.ContainsRune(s, '\\') || strings.ContainsFunc(s, unicode.IsControl) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}
