package verify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gatehouse/internal/verify"
)

// fake answers every call with err.
type fake struct{ err error }

func (f fake) StartSMS(context.Context, verify.Target) (verify.Verification, error) {
	return verify.Verification{}, f.err
}
func (f fake) CheckSMS(context.Context, verify.Target, string) (verify.Check, error) {
	return verify.Check{}, f.err
}
func (f fake) CancelSMS(context.Context, verify.Target) error { return f.err }
func (f fake) CreateTOTPFactor(context.Context, string, string) (verify.Factor, error) {
	return verify.Factor{}, f.err
}
func (f fake) VerifyTOTPFactor(context.Context, string, string, string) (verify.Check, error) {
	return verify.Check{}, f.err
}
func (f fake) ChallengeTOTP(context.Context, string, string, string) (verify.Check, error) {
	return verify.Check{}, f.err
}
func (f fake) DeleteTOTPFactor(context.Context, string, string) error { return f.err }

type calls []string

func (c *calls) Called(op, code string, _ time.Duration) { *c = append(*c, op+"/"+code) }

func TestObserveReportsEveryMethod(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		code string
	}{
		{nil, "ok"},
		{fmt.Errorf("twilio: 60202: %w", verify.ErrTooManyChecks), "too_many_checks"},
		{fmt.Errorf("dial: %w", verify.ErrUnavailable), "unavailable"},
		{errors.New("nonsense"), "other"},
	} {
		var got calls
		v := verify.Observe(fake{tc.err}, &got)
		t1 := verify.Target{Purpose: verify.PurposeLogin, Subject: "u1", Phone: "+12015550123"}
		_, e1 := v.StartSMS(ctx, t1)
		_, _ = v.CheckSMS(ctx, t1, "123456")
		_ = v.CancelSMS(ctx, t1)
		_, _ = v.CreateTOTPFactor(ctx, "id", "name")
		_, _ = v.VerifyTOTPFactor(ctx, "id", "YF1", "123456")
		_, _ = v.ChallengeTOTP(ctx, "id", "YF1", "123456")
		_ = v.DeleteTOTPFactor(ctx, "id", "YF1")
		if !errors.Is(e1, tc.err) {
			t.Errorf("%v: the error was not passed through: %v", tc.err, e1)
		}
		want := calls{"start_sms/", "check_sms/", "cancel_sms/", "create_totp_factor/", "verify_totp_factor/", "challenge_totp/", "delete_totp_factor/"}
		for i := range want {
			want[i] += tc.code
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: calls %v, want %v", tc.err, got, want)
		}
	}
}
