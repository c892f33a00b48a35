// Package useragent names the browser and operating system of a User-Agent
// header, for lists people read (signed-in sessions, remembered devices).
// It knows the common browsers only; anything else is "Unknown browser".
package useragent

import "strings"

// Agent is what a User-Agent header says, for people.
type Agent struct {
	Browser string // "Firefox 126", "Unknown browser"
	OS      string // "Windows", "" when unknown
}

// String is "Browser on OS", or the browser alone.
func (a Agent) String() string {
	if a.OS == "" {
		return a.Browser
	}
	return a.Browser + " on " + a.OS
}

// browsers are matched in order: Chromium-based browsers name Chrome and
// Safari too, Chrome names Safari.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
	{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
	{"Vivaldi/", "Vivaldi"}, {"YaBrowser/", "Yandex Browser"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"HeadlessChrome/", "Headless Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
	{"Version/", "Safari"},
	{"curl/", "curl"}, {"Wget/", "Wget"}, {"Go-http-client/", "Go HTTP client"},
}

// systems are matched in order: iOS and Android name Mac OS X and Linux.
var systems = []struct{ token, name string }{
	{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
	{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"}, {"FreeBSD", "FreeBSD"},
}

// Parse reads a User-Agent header.
func Parse(ua string) Agent {
	a := Agent{Browser: "Unknown browser"}
	for _, b := range browsers {
		i := strings.Index(ua, b.token)
		if i < 0 || (b.name == "Safari" && !strings.Contains(ua, "Safari/")) {
			continue
		}
		a.Browser = b.name
		if v := major(ua[i+len(b.token):]); v != "" {
			a.Browser += " " + v
		}
		break
	}
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			a.OS = s.name
			break
		}
	}
	return a
}

// major returns the leading digits of a version.
func major(v string) string {
	n := 0
	for n < len(v) && n < 6 && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	return v[:n]
}
