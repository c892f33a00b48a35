package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"gatehouse/internal/auth"
)

// views holds the parsed pages: each is the layout and the partials plus
// one file of templates/pages, executed from "layout".
type views struct {
	pages map[string]*template.Template
}

func loadViews(a *assets) (*views, error) {
	funcs := template.FuncMap{
		"asset":    a.url,
		"hasAsset": a.has,
		"field":    newField,
		"text":     textFunc(),
	}
	base, err := template.New("").Funcs(funcs).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse templates: %w", err)
	}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list pages: %w", err)
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, n := range names {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout: %w", err)
		}
		if t, err = t.ParseFS(files, n); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", n, err)
		}
		v.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return v, nil
}

// textFunc returns the "text" template function: it escapes a message for
// HTML text content only, leaving apostrophes and quotes as they are
// ("can't", not "can&#39;t"), so the page says exactly the sentence the
// domain chose. Templates use it in text nodes, never in attributes.
func textFunc() func(string) template.HTML {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return func(s string) template.HTML { return template.HTML(esc.Replace(s)) }
}

func (v *views) exec(buf *bytes.Buffer, page string, data *view) error {
	t, ok := v.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	return t.ExecuteTemplate(buf, "layout", data)
}

// view is what a page template sees. Common fields are filled by render;
// each handler fills the ones its page uses.
type view struct {
	Title     string
	BodyClass string

	// Filled by render.
	SignedIn bool
	Flash    string
	FlashErr string

	Error      string            // page-level error, shown with role="alert"
	Fields     map[string]string // per-field error messages
	Form       map[string]string // the user's input to show again (never a password)
	FieldLinks map[string]string // a link wrapping a field's error message
	Focus      string            // the field to focus, when not the first in error
	Captcha    *captchaView

	Next       string // login: where to go after the second factor
	Masked     string // the masked phone number the page is about
	OldMasked  string // account phone change: the number in force
	Step       int    // registration: 1 to 3
	Setup      bool   // login/mfa: MFA flag 0, set up the phone
	ResendIn   int    // code pages: seconds until a resend is allowed; 0 is now
	HasTOTP    bool   // login/mfa: the authenticator app may be chosen
	FirstName  string
	LastName   string
	Email      string
	MFAEnabled bool
	Method     string // second factor of this session, for people

	BackupCodes int            // login/mfa: unused backup codes, offered when > 0
	MFA         auth.MFAStatus // account: the second factors set up
	Codes       []string       // a new set of backup codes, shown once
	Enroll      *enrollView    // account_totp: the new authenticator
	Scripts     []string       // static scripts of the page besides app.js

	securityView                      // sessions, remembered devices, activity (security_view.go)
	EmailUnverified bool              // account: offer to resend the verification link
	Reset           auth.ResetOptions // password reset: the second factors offered
	Back, BackLabel string            // link_invalid: where to go instead
}

// newView returns a view with its maps ready.
func newView(title string) *view {
	return &view{
		Title:      title,
		Fields:     map[string]string{},
		Form:       map[string]string{},
		FieldLinks: map[string]string{},
	}
}

// render writes a page. The page is built in memory first, so a template
// error becomes a clean 500 rather than half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	ctx := r.Context()
	if hasSession(ctx) {
		v.SignedIn = s.sessions.GetString(ctx, keyUserID) != ""
		v.Flash = s.sessions.PopString(ctx, keyFlash)
		v.FlashErr = s.sessions.PopString(ctx, keyFlashError)
	}
	v.RememberDays = s.rememberDays()
	var buf bytes.Buffer
	if err := s.views.exec(&buf, page, v); err != nil {
		s.log.ErrorContext(ctx, "render page", "page", page, "err", err)
		http.Error(w, "Something went wrong. Please try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// renderError writes the error page with one sentence.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	title := http.StatusText(status)
	switch status {
	case http.StatusBadRequest:
		title = "This form could not be read"
	case http.StatusForbidden:
		title = "Request refused"
	case http.StatusNotFound:
		title = "Page not found"
	case http.StatusMethodNotAllowed:
		title = "Not allowed"
	case http.StatusRequestEntityTooLarge:
		title = "Request too large"
	case http.StatusInternalServerError:
		title = "Something went wrong"
	}
	v := newView(title)
	v.Error = msg
	s.render(w, r, status, "error", v)
}

// field is the data of the "field" partial: one labelled input with its
// hint and error tied to it.
type field struct {
	Name, Label, Type, Autocomplete, Inputmode, Pattern, Hint, Value string
	Error, ErrorLink                                                 string
	Maxlength                                                        int
	Required, Autofocus, Reveal                                      bool
}

// newField builds a field from the page's view: name and label, then
// options "type=…", "autocomplete=…", "inputmode=…", "pattern=…",
// "hint=…", "maxlength=…", "required", "autofocus", "reveal" (a show /
// hide button for passwords) or "novalue" (never echo the input).
func newField(v *view, name, label string, opts ...string) (field, error) {
	f := field{Name: name, Label: label, Type: "text", Error: v.Fields[name], ErrorLink: v.FieldLinks[name]}
	keep := true
	for _, o := range opts {
		k, val, _ := strings.Cut(o, "=")
		switch k {
		case "type":
			f.Type = val
		case "autocomplete":
			f.Autocomplete = val
		case "inputmode":
			f.Inputmode = val
		case "pattern":
			f.Pattern = val
		case "hint":
			f.Hint = val
		case "maxlength":
			if _, err := fmt.Sscan(val, &f.Maxlength); err != nil {
				return f, fmt.Errorf("web: field %s: bad maxlength: %w", name, err)
			}
		case "required":
			f.Required = true
		case "autofocus":
			f.Autofocus = true
		case "reveal":
			f.Reveal = true
		case "novalue":
			keep = false
		default:
			return f, errors.New("web: field " + name + ": unknown option " + o)
		}
	}
	if keep {
		f.Value = v.Form[name]
	}
	// Focus the first field in error, so a screen reader announces its
	// message right after the re-rendered page loads.
	switch {
	case v.Focus != "":
		f.Autofocus = name == v.Focus
	case f.Error != "":
		f.Autofocus = firstError(v) == name
	case len(v.Fields) > 0:
		f.Autofocus = false
	}
	return f, nil
}

// firstError returns the name of the first field with an error, in the
// order fields appear in on the forms.
func firstError(v *view) string {
	for _, n := range [...]string{"first_name", "last_name", "email", "current_password", "password", "new_password", "phone", "code", "totp_code", "backup_code", "captcha"} {
		if v.Fields[n] != "" {
			return n
		}
	}
	return ""
}
