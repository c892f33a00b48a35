package local

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"gatehouse/internal/store"
	"gatehouse/internal/verify"
)

var (
	e164    = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	smsCode = regexp.MustCompile(`^[0-9]{4,10}$`)
)

// StartSMS sends a fresh six-digit code to the E.164 number to. A pending,
// unexpired verification to that number gets the new code (the previous one
// stops working), one more send and a new validity of CodeTTL; once it has
// MaxSends sends, StartSMS returns verify.ErrTooManySends and sends nothing.
// Otherwise a new verification starts. A Sender failure returns
// verify.ErrUnavailable; the send still counts.
func (e *Engine) StartSMS(ctx context.Context, t verify.Target) (verify.Verification, error) {
	to := t.Phone
	if !e164.MatchString(to) {
		return verify.Verification{}, fmt.Errorf("local: start sms: number is not E.164: %w", verify.ErrInvalidParameter)
	}
	code, err := e.newCode()
	if err != nil {
		return verify.Verification{}, fmt.Errorf("local: start sms: %w", err)
	}
	sid, err := e.newSID("VE")
	if err != nil {
		return verify.Verification{}, fmt.Errorf("local: start sms: %w", err)
	}
	now := e.now()
	v, err := e.store.StartSMSVerification(ctx, store.SMSStart{
		Purpose:   t.Purpose,
		Subject:   t.Subject,
		To:        to,
		SID:       sid,
		CodeHash:  func(sid string) []byte { return e.codeHash(sid, code) },
		Now:       now,
		ExpiresAt: now.Add(e.codeTTL),
		MaxSends:  e.maxSends,
	})
	if err != nil {
		return verify.Verification{}, refusal("start sms", err, verify.ErrTooManySends)
	}
	msg := Message{
		To:     to,
		Code:   code,
		SentAt: now,
		Body:   fmt.Sprintf("Your %s verification code is %s", e.issuer, code),
	}
	if err := e.sender.Send(ctx, msg); err != nil {
		return verify.Verification{}, fmt.Errorf("local: start sms: %w: %w", verify.ErrUnavailable, err)
	}
	return verify.Verification{SID: v.SID, To: to, Status: verify.StatusPending, Sends: v.Sends}, nil
}

// CheckSMS checks code against the pending verification to the number to.
// Every well-formed code counts as one of the verification's MaxChecks
// checks, counted and compared in one conditional update, so parallel checks
// can neither exceed the cap nor approve twice. Once the cap is reached every
// check, even with the right code, returns verify.ErrTooManyChecks. An
// approved, expired or unknown verification returns verify.ErrNotFound. A
// code that is not 4 to 10 digits returns verify.ErrInvalidParameter and is
// not counted.
func (e *Engine) CheckSMS(ctx context.Context, t verify.Target, code string) (verify.Check, error) {
	to := t.Phone
	if !e164.MatchString(to) {
		return verify.Check{}, fmt.Errorf("local: check sms: number is not E.164: %w", verify.ErrInvalidParameter)
	}
	if !smsCode.MatchString(code) {
		return verify.Check{}, fmt.Errorf("local: check sms: code is not 4 to 10 digits: %w", verify.ErrInvalidParameter)
	}
	// The hash binds the code to the verification's sid, so read the sid
	// first; the conditional update below decides everything else.
	v, err := e.store.SMSVerificationFor(ctx, t.Purpose, t.Subject)
	if err != nil {
		return verify.Check{}, refusal("check sms", err, verify.ErrTooManyChecks)
	}
	if v.To != to {
		// The code went to another number: it cannot prove this one.
		return verify.Check{}, fmt.Errorf("local: check sms: another number: %w", verify.ErrNotFound)
	}
	approved, err := e.store.CheckSMSVerification(ctx, store.SMSCheck{
		SID:       v.SID,
		To:        to,
		CodeHash:  e.codeHash(v.SID, code),
		Now:       e.now(),
		MaxChecks: e.maxChecks,
	})
	if err != nil {
		return verify.Check{}, refusal("check sms", err, verify.ErrTooManyChecks)
	}
	return verify.Check{Approved: approved}, nil
}

// CancelSMS deletes the verification of t, whatever its state; none
// returns verify.ErrNotFound.
func (e *Engine) CancelSMS(ctx context.Context, t verify.Target) error {
	if err := e.store.CancelSMSVerification(ctx, t.Purpose, t.Subject); err != nil {
		return refusal("cancel sms", err, verify.ErrNotFound)
	}
	return nil
}

// SendText hands a message without a code to the Sender, like any SMS.
func (e *Engine) SendText(ctx context.Context, to, body string) error {
	if !e164.MatchString(to) {
		return fmt.Errorf("local: send text: number is not E.164: %w", verify.ErrInvalidParameter)
	}
	if err := e.sender.Send(ctx, Message{To: to, SentAt: e.now(), Body: body}); err != nil {
		return fmt.Errorf("local: send text: %w: %w", verify.ErrUnavailable, err)
	}
	return nil
}

// refusal translates a store error of operation op: store.ErrNotFound becomes
// verify.ErrNotFound and store.ErrLimit becomes limit; anything else is a
// failure of the engine.
func refusal(op string, err, limit error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("local: %s: %w", op, verify.ErrNotFound)
	case errors.Is(err, store.ErrLimit):
		return fmt.Errorf("local: %s: %w", op, limit)
	default:
		return fmt.Errorf("local: %s: %w", op, err)
	}
}
