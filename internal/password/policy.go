package password

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length bounds, in Unicode code points.
const (
	MinLength = 8
	MaxLength = 256
)

// Check applies the policy to pw and returns the reason it is refused, or
// "" when it is acceptable. personal holds the user's own details (email,
// names): a password equal to one of them is refused too. Any printable
// Unicode is allowed; NUL and the C0 and C1 control characters are not.
func Check(pw string, personal ...string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw) || strings.IndexFunc(pw, unicode.IsControl) >= 0:
		return "Password contains invalid characters."
	case n < MinLength:
		return "Password must be at least 8 characters."
	case n > MaxLength:
		return "Password must be at most 256 characters."
	}
	lower := strings.ToLower(pw)
	if isCommon(lower) {
		return "This password is too common and easy to guess. Choose another."
	}
	if isRepetitive(lower) {
		return "This password is too easy to guess (repeated or sequential characters). Choose another."
	}
	for _, p := range personal {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if lower == p || (strings.Contains(p, "@") && lower == strings.SplitN(p, "@", 2)[0]) {
			return "Password must not be your name or email address."
		}
	}
	return ""
}

// isRepetitive reports a password made of one repeated character or a
// straight run such as "12345678" or "abcdefgh".
func isRepetitive(s string) bool {
	r := []rune(s)
	same, up, down := true, true, true
	for i := 1; i < len(r); i++ {
		same = same && r[i] == r[0]
		up = up && r[i] == r[i-1]+1
		down = down && r[i] == r[i-1]-1
	}
	return same || up || down
}
