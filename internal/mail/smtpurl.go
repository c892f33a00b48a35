package mail

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode says how an SMTP connection is protected.
type TLSMode int

// TLS modes; the zero value is the default of smtp:// URLs.
const (
	StartTLSRequired TLSMode = iota // smtp://, upgrade or fail
	StartTLSOptional                // smtp://…?starttls=optional, upgrade when offered
	StartTLSNone                    // smtp://…?starttls=none, never upgrade
	ImplicitTLS                     // smtps://, TLS from the first byte
)

// String returns the mode as the URL spells it.
func (m TLSMode) String() string {
	switch m {
	case StartTLSRequired:
		return "required"
	case StartTLSOptional:
		return "optional"
	case StartTLSNone:
		return "none"
	case ImplicitTLS:
		return "implicit"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// AuthMechanism is the SASL mechanism used when credentials are given.
type AuthMechanism string

// Mechanisms a URL can name with auth=.
const (
	AuthPlain AuthMechanism = "plain" // the default
	AuthLogin AuthMechanism = "login"
)

// Default ports by scheme.
const (
	DefaultSubmissionPort = 587 // smtp://
	DefaultImplicitPort   = 465 // smtps://
)

// SMTPConfig is a parsed GATEHOUSE_SMTP_URL. Its String and LogValue hide
// the password, so it can be printed and logged.
type SMTPConfig struct {
	Host     string // a name or an IP address, without brackets
	Port     int
	Username string // empty: no authentication
	Password string
	TLS      TLSMode
	Auth     AuthMechanism // AuthPlain unless the URL says auth=login
}

// ParseSMTPURL parses raw in the form described in the package doc. The
// error wraps ErrInvalidURL and names what is wrong, never the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	bad := func(format string, a ...any) (SMTPConfig, error) {
		return SMTPConfig{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidURL}, a...)...)
	}
	if strings.TrimSpace(raw) == "" {
		return bad("empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url's own errors quote the URL or the part that failed, which can
		// be the password: say only what to check.
		return bad("not a URL of the form smtp://user:password@host:port (percent-encode special characters in the user name and password)")
	}
	c := SMTPConfig{Auth: AuthPlain}
	switch u.Scheme {
	case "smtp":
		c.Port = DefaultSubmissionPort
	case "smtps":
		c.Port, c.TLS = DefaultImplicitPort, ImplicitTLS
	case "":
		return bad("missing scheme smtp:// or smtps://")
	default:
		return bad("scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return bad("missing host")
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("port %q is not between 1 and 65535", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" || c.Password == "" {
			return bad("give both a user name and a password, or neither")
		}
	}
	if u.Path != "" && u.Path != "/" {
		return bad("unexpected path %q", u.Path)
	}
	if u.Fragment != "" {
		return bad("unexpected fragment")
	}
	if err := c.parseQuery(u); err != nil {
		return SMTPConfig{}, err
	}
	return c, nil
}

// parseQuery applies the starttls and auth parameters.
func (c *SMTPConfig) parseQuery(u *url.URL) error {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fmt.Errorf("%w: malformed query", ErrInvalidURL)
	}
	for k, v := range q {
		if len(v) != 1 {
			return fmt.Errorf("%w: %s given %d times", ErrInvalidURL, k, len(v))
		}
		switch val := strings.ToLower(v[0]); k {
		case "starttls":
			if c.TLS == ImplicitTLS {
				return fmt.Errorf("%w: starttls does not apply to smtps://, which is TLS from the start", ErrInvalidURL)
			}
			modes := map[string]TLSMode{"required": StartTLSRequired, "optional": StartTLSOptional, "none": StartTLSNone}
			m, ok := modes[val]
			if !ok {
				return fmt.Errorf("%w: starttls=%q is not required, optional or none", ErrInvalidURL, v[0])
			}
			c.TLS = m
		case "auth":
			if val != string(AuthPlain) && val != string(AuthLogin) {
				return fmt.Errorf("%w: auth=%q is not plain or login", ErrInvalidURL, v[0])
			}
			c.Auth = AuthMechanism(val)
		default:
			return fmt.Errorf("%w: unknown parameter %q (known: starttls, auth)", ErrInvalidURL, k)
		}
	}
	return nil
}

// Addr returns host:port.
func (c SMTPConfig) Addr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// String returns c as a URL with the password replaced by "***".
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: c.Addr()}
	if c.TLS == ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "***")
	}
	q := url.Values{}
	if c.TLS != ImplicitTLS {
		q.Set("starttls", c.TLS.String())
	}
	if c.Auth != "" && c.Auth != AuthPlain {
		q.Set("auth", string(c.Auth))
	}
	u.RawQuery = q.Encode()
	return strings.Replace(u.String(), "%2A%2A%2A@", "***@", 1)
}

// LogValue logs c as String does.
func (c SMTPConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// GoString keeps the password out of %#v too.
func (c SMTPConfig) GoString() string { return "mail.SMTPConfig(" + c.String() + ")" }
