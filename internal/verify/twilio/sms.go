package twilio

import (
	"context"
	"log/slog"
	"strings"

	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"

	"gatehouse/internal/verify"
)

// service is the Verify service of t: Twilio keeps one verification per
// service and number, so the flows anyone may start (verify.Target.Anonymous)
// go to a service of their own and can never replace, burn or complete a
// sign-in's verification. The subject has no place at Twilio; the portal
// binds it in its own state.
func (c *Client) service(t verify.Target) string {
	if t.Anonymous() {
		return c.anonSID
	}
	return c.serviceSID
}

// StartSMS starts (or, for a pending verification to the same number in the
// target's service, resends) an SMS verification to t.Phone. It is never
// retried.
func (c *Client) StartSMS(ctx context.Context, t verify.Target) (verify.Verification, error) {
	const op = opStartSMS
	to := t.Phone
	if !e164Re.MatchString(to) {
		return verify.Verification{}, invalid(op, "number is not E.164")
	}
	var v *verifyv2.VerifyV2Verification
	err := c.do(ctx, op, false, func(api *verifyv2.ApiService) (err error) {
		p := &verifyv2.CreateVerificationParams{}
		v, err = api.CreateVerification(c.service(t), p.SetTo(to).SetChannel("sms"))
		return err
	}, slog.String("to", maskPhone(to)), slog.String("purpose", t.Purpose))
	if err != nil {
		return verify.Verification{}, err
	}
	if v == nil || v.Sid == nil || *v.Sid == "" || v.Status == nil {
		return verify.Verification{}, c.malformed(op, "verification without sid or status")
	}
	sends := 1
	if v.SendCodeAttempts != nil && len(*v.SendCodeAttempts) > 0 {
		sends = len(*v.SendCodeAttempts)
	}
	return verify.Verification{SID: *v.Sid, To: to, Status: *v.Status, Sends: sends}, nil
}

// CheckSMS checks code against the pending verification to t.Phone in the
// target's service. Only status "approved" approves; "pending" (a wrong
// code) returns Approved=false. A malformed code returns
// verify.ErrInvalidParameter without calling Twilio. It is never retried.
func (c *Client) CheckSMS(ctx context.Context, t verify.Target, code string) (verify.Check, error) {
	const op = "check sms"
	to := t.Phone
	if !e164Re.MatchString(to) {
		return verify.Check{}, invalid(op, "number is not E.164")
	}
	if !smsCodeRe.MatchString(code) {
		return verify.Check{}, invalid(op, "code is not 4 to 10 digits")
	}
	var v *verifyv2.VerifyV2VerificationCheck
	err := c.do(ctx, op, false, func(api *verifyv2.ApiService) (err error) {
		p := &verifyv2.CreateVerificationCheckParams{}
		v, err = api.CreateVerificationCheck(c.service(t), p.SetTo(to).SetCode(code))
		return err
	}, slog.String("to", maskPhone(to)), slog.String("purpose", t.Purpose))
	if err != nil {
		return verify.Check{}, err
	}
	if v == nil || v.Status == nil {
		return verify.Check{}, c.malformed(op, "verification check without status")
	}
	return verify.Check{Approved: *v.Status == verify.StatusApproved}, nil
}

// CancelSMS sets the pending verification to t.Phone in the target's
// service to "canceled" (Twilio accepts the number in place of the sid), so
// the next StartSMS creates a new one with fresh checks. No pending
// verification is verify.ErrNotFound (20404). It is never retried.
func (c *Client) CancelSMS(ctx context.Context, t verify.Target) error {
	const op = "cancel sms"
	if !e164Re.MatchString(t.Phone) {
		return invalid(op, "number is not E.164")
	}
	return c.do(ctx, op, false, func(api *verifyv2.ApiService) error {
		p := &verifyv2.UpdateVerificationParams{}
		_, err := api.UpdateVerification(c.service(t), t.Phone, p.SetStatus("canceled"))
		return err
	}, slog.String("to", maskPhone(t.Phone)), slog.String("purpose", t.Purpose))
}

// maskPhone keeps the last two digits of a number, for logs.
func maskPhone(p string) string {
	if len(p) <= 3 {
		return strings.Repeat("*", len(p))
	}
	return p[:1] + strings.Repeat("*", len(p)-3) + p[len(p)-2:]
}
