package twilio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"

	"gatehouse/internal/verify"
)

// Body limits: an error body is read whole (it is small JSON, or an HTML page
// from a proxy) so the SDK, which does not close error bodies, cannot leak a
// connection; a success body is capped.
const (
	maxErrorBody   = 64 << 10
	maxSuccessBody = 1 << 20
)

// do runs fn against a Verify ApiService built for this call only. The
// call's context is ctx bounded by the client's timeout, for the whole call,
// a retry included. With retry, fn runs a second time after a connection
// error or a 5xx answer, when time is left; callers pass retry only for
// idempotent requests (DELETE). attrs are logged with a failure.
func (c *Client) do(ctx context.Context, op string, retry bool, fn func(*verifyv2.ApiService) error, attrs ...slog.Attr) error {
	return c.doWith(ctx, op, retry, func(h *client.RequestHandler) error { return fn(verifyv2.NewApiService(h)) }, attrs...)
}

// doWith is do for any API of the SDK: fn builds its ApiService from h.
func (c *Client) doWith(ctx context.Context, op string, retry bool, fn func(*client.RequestHandler) error, attrs ...slog.Attr) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("twilio: %s: %w: %w", op, verify.ErrUnavailable, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		cl := &call{ctx: ctx, base: c}
		err := fn(c.handler(cl))
		if err == nil {
			return nil
		}
		if retry && attempt == 1 && ctx.Err() == nil && cl.retryable(err) {
			c.log.Warn("twilio call failed, retrying once",
				append([]any{slog.String("op", op), slog.Int("http_status", cl.status)}, attrsAny(attrs)...)...)
			continue
		}
		return c.classify(ctx, op, err, cl, time.Since(start), attrs)
	}
}

// api builds the SDK objects for one call. client.Client is what
// twilio.NewRestClientWithParams builds too; the RequestHandler is built
// directly so that TWILIO_EDGE and TWILIO_REGION from the environment do not
// redirect requests.
func (c *Client) handler(cl *call) *client.RequestHandler {
	sdk := &client.Client{
		Credentials: c.creds,
		HTTPClient: &http.Client{
			Transport: cl,
			// Never follow a redirect: the SDK then reports the 3xx.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       c.timeout,
		},
	}
	sdk.SetAccountSid(c.accountSID)
	return &client.RequestHandler{Client: sdk}
}

// call is the http.RoundTripper of one Client call. It is used by one
// goroutine at a time (the SDK sends requests synchronously), and its fields
// are read only after the SDK call has returned.
type call struct {
	ctx    context.Context
	base   *Client
	status int // HTTP status of the last response, 0 when none arrived
}

// RoundTrip sends req to the configured base URL with the call's context.
func (cl *call) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" || (req.URL.Host != sdkHost && req.URL.Host != apiHost) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("twilio: refusing request to unexpected host %q", req.URL.Host)
	}
	r := req.Clone(cl.ctx)
	b := cl.base.base
	if req.URL.Host == apiHost && b.String() == DefaultBaseURL {
		b = &url.URL{Scheme: "https", Host: apiHost} // the Messaging API's own origin
	}
	r.URL.Scheme = b.Scheme
	r.URL.Host = b.Host
	r.URL.Path = b.Path + req.URL.Path
	r.URL.RawPath = ""
	r.Host = ""
	resp, err := cl.base.transport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	cl.status = resp.StatusCode
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		resp.Body = limitedBody{io.LimitReader(resp.Body, maxSuccessBody), resp.Body}
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("twilio: reading HTTP %d error body: %w", resp.StatusCode, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// limitedBody caps reads of a response body and closes the original.
type limitedBody struct {
	io.Reader
	io.Closer
}

// retryable reports whether a failed idempotent request may be sent again:
// after a connection error (no Twilio answer) or a 5xx answer.
func (cl *call) retryable(err error) bool {
	if cl.status >= 500 {
		return true
	}
	var te *client.TwilioRestError
	return cl.status == 0 && !errors.As(err, &te) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded)
}

// sentinels maps Twilio error codes to the sentinel errors of package verify.
var sentinels = map[int]error{
	20404: verify.ErrNotFound,
	60200: verify.ErrInvalidParameter,
	60202: verify.ErrTooManyChecks,
	60308: verify.ErrTooManyChecks,
	60310: verify.ErrTooManyChecks,
	60203: verify.ErrTooManySends,
	60212: verify.ErrRateLimited,
	20429: verify.ErrRateLimited,
	60410: verify.ErrBlocked,
	60605: verify.ErrBlocked,
	20003: verify.ErrUnavailable,
}

// codeCredentials is Twilio's "Authenticate" error: the credentials were
// rejected, a misconfiguration worth an operator's attention.
const codeCredentials = 20003

// classify turns a failed SDK call into an error wrapping one sentinel.
func (c *Client) classify(ctx context.Context, op string, err error, cl *call, took time.Duration, attrs []slog.Attr) error {
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		kind, known := sentinels[te.Code]
		if !known {
			kind = verify.ErrUnavailable
		}
		args := append([]any{
			slog.String("op", op), slog.Int("twilio_code", te.Code),
			slog.Int("http_status", cl.status), slog.Duration("took", took),
		}, attrsAny(attrs)...)
		switch {
		case te.Code == codeCredentials:
			c.log.Error("twilio credentials rejected", args...)
		case te.Code == 20404 && (op == opStartSMS || op == opCreateFactor):
			// Nothing can be missing when creating, except the service.
			c.log.Error("twilio verify service not found", args...)
		case kind == verify.ErrUnavailable:
			c.log.Warn("twilio unavailable", args...)
		default:
			c.log.Info("twilio refused", args...)
		}
		return &apiError{op: op, kind: kind, code: te.Code, status: cl.status, rest: te}
	}
	// No usable Twilio error: a timeout, a cancellation, a connection
	// error, a redirect or an error body that is not JSON.
	args := append([]any{
		slog.String("op", op), slog.Int("http_status", cl.status),
		slog.Duration("took", took), slog.String("error", err.Error()),
	}, attrsAny(attrs)...)
	if errors.Is(ctx.Err(), context.Canceled) {
		c.log.Info("twilio call canceled by the caller", args...)
	} else {
		c.log.Warn("twilio unavailable", args...)
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
		return fmt.Errorf("twilio: %s: %w: %w (%w)", op, verify.ErrUnavailable, err, cause)
	}
	return fmt.Errorf("twilio: %s: %w: %w", op, verify.ErrUnavailable, err)
}

// apiError is a Twilio API error. Its text names the sentinel, the Twilio
// code and the HTTP status but not Twilio's message, which may echo the
// destination number. It unwraps to the sentinel and to the SDK's
// *client.TwilioRestError.
type apiError struct {
	op     string
	kind   error
	code   int
	status int
	rest   *client.TwilioRestError
}

// Error describes the failure without Twilio's message.
func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "twilio: %s: %v (Twilio error %d", e.op, e.kind, e.code)
	if e.status != 0 {
		fmt.Fprintf(&b, ", HTTP %d", e.status)
	}
	b.WriteString(")")
	return b.String()
}

// Unwrap returns the sentinel and the SDK error.
func (e *apiError) Unwrap() []error { return []error{e.kind, e.rest} }

func attrsAny(attrs []slog.Attr) []any {
	out := make([]any, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}

// invalid reports an argument refused before any call to Twilio.
func invalid(op, why string) error {
	return fmt.Errorf("twilio: %s: %s: %w", op, why, verify.ErrInvalidParameter)
}

// malformed reports a 2xx answer the adapter cannot use.
func (c *Client) malformed(op, why string) error {
	c.log.Error("twilio answer malformed", slog.String("op", op), slog.String("problem", why))
	return fmt.Errorf("twilio: %s: malformed answer: %s: %w", op, why, verify.ErrUnavailable)
}
