package access

import (
	"net/url"
	"path"
	"strings"
)

// maxDecodes bounds how many layers of percent-encoding are peeled off.
const maxDecodes = 3

// pathReadings returns the readings of a request path that a backend might
// act on: as sent, percent-decoded once, twice and three times, each also
// with backslashes as slashes and with ";parameters" cut from its segments,
// and each of those both as it stands and cleaned of dot segments, for
// backends that route on the path before cleaning it. It fails when the path
// as sent is not valid percent-encoding and on a control byte in any
// reading; a later layer that does not decode is taken literally.
func pathReadings(raw string) ([]string, bool) {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	layers := []string{raw}
	for cur := raw; len(layers) <= maxDecodes && strings.Contains(cur, "%"); {
		next, err := url.PathUnescape(cur)
		if err != nil && len(layers) == 1 {
			return nil, false
		}
		if err != nil {
			break
		}
		layers = append(layers, next)
		cur = next
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range layers {
		if hasControl(l) {
			return nil, false
		}
		slashed := strings.ReplaceAll(l, `\`, "/")
		for _, v := range []string{l, slashed, cutParams(l), cutParams(slashed)} {
			for _, c := range []string{rooted(v), cleanPath(v)} {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
	}
	return out, true
}

// rooted gives the path a leading slash.
func rooted(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return "/" + p
}

// cleanPath roots the path and removes "." and ".." segments and repeated
// slashes, keeping a trailing slash.
func cleanPath(p string) string {
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// cutParams removes ";..." from every segment, as servlet containers do.
func cutParams(p string) string {
	if !strings.Contains(p, ";") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return strings.Join(segs, "/")
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
