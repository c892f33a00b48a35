package web

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
)

// form is a parsed application/x-www-form-urlencoded body in which each
// field the handler reads was sent at most once.
type form struct {
	values url.Values
}

// get returns the value of a field, "" when absent.
func (f form) get(name string) string { return f.values.Get(name) }

// parseForm reads the body of a POST. It answers the request itself and
// returns false when the body is too large (413), is not a URL-encoded form
// or cannot be read (400), or repeats one of the named fields (400).
func (s *server) parseForm(w http.ResponseWriter, r *http.Request, fields ...string) (form, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		s.renderError(w, r, http.StatusBadRequest,
			"This form must be sent as application/x-www-form-urlencoded. Go back and submit it again.")
		return form{}, false
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			w.Header().Set("Connection", "close")
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "This request is too large.")
			return form{}, false
		}
		s.renderError(w, r, http.StatusBadRequest, "The form could not be read. Go back and submit it again.")
		return form{}, false
	}
	for _, name := range fields {
		if len(r.PostForm[name]) > 1 {
			s.renderError(w, r, http.StatusBadRequest,
				"The field “"+name+"” was sent more than once. Go back and submit the form again.")
			return form{}, false
		}
	}
	return form{values: r.PostForm}, true
}
