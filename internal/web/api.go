package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// The JSON endpoints of the authenticator and backup-code flows. They read
// application/x-www-form-urlencoded or application/json bodies and answer
// JSON, unless the request is a plain HTML form post (a hidden field
// format=html, or an Accept header asking for text/html): then they answer
// with redirects and pages like every other form of the portal, so the
// flows that must work without JavaScript do.

// fields is the parsed body of a request: each field at most once.
type fields map[string]string

func (f fields) get(name string) string { return f[name] }

// apiInput is a request to a JSON endpoint: its fields, and how to answer.
type apiInput struct {
	fields
	html bool // answer with pages and redirects instead of JSON
}

// apiHandler is a handler of a JSON endpoint.
type apiHandler func(w http.ResponseWriter, r *http.Request, v visitor, in apiInput)

// wantsHTML decides how to answer a request to a JSON endpoint.
func wantsHTML(r *http.Request, in fields, htmlByDefault bool) bool {
	switch in.get("format") {
	case "html":
		return true
	case "json":
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if htmlByDefault {
		return mt != "application/json" && !acceptsJSON(r)
	}
	return acceptsHTML(r)
}

// readFields parses a form or JSON body (an empty body is no fields). On a
// bad body it answers itself, as a page or JSON, and returns ok=false.
func (s *server) readFields(w http.ResponseWriter, r *http.Request, htmlByDefault bool) (in fields, html, ok bool) {
	html = wantsHTML(r, nil, htmlByDefault)
	refuse := func(status int, msg string) (fields, bool, bool) {
		if status == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close")
		}
		if html {
			s.renderError(w, r, status, msg)
		} else {
			writeJSON(w, status, map[string]any{"error": msg})
		}
		return nil, html, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return refuse(http.StatusRequestEntityTooLarge, "This request is too large.")
		}
		return refuse(http.StatusBadRequest, "The request could not be read. Please try again.")
	}
	in = fields{}
	if len(strings.TrimSpace(string(body))) == 0 {
		return in, wantsHTML(r, in, htmlByDefault), true
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err == nil && mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return refuse(http.StatusBadRequest, "The form could not be read. Go back and submit it again.")
		}
		for k, vs := range vals {
			if len(vs) > 1 {
				return refuse(http.StatusBadRequest, "The field “"+k+"” was sent more than once.")
			}
			in[k] = vs[0]
		}
	case err == nil && mt == "application/json":
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			return refuse(http.StatusBadRequest, "The request body is not a JSON object.")
		}
		for k, v := range raw {
			str, ok := v.(string)
			if !ok {
				return refuse(http.StatusBadRequest, "The field “"+k+"” must be a string.")
			}
			in[k] = str
		}
	default:
		return refuse(http.StatusUnsupportedMediaType,
			"Send the fields as application/x-www-form-urlencoded or application/json.")
	}
	return in, wantsHTML(r, in, htmlByDefault), true
}

// writeJSON writes v as the JSON response. Cache-Control: no-store is set
// for every response by the headers middleware.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"Something went wrong on our side. Please try again in a moment."}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
