package web

import (
	"errors"
	"time"

	"gatehouse/internal/auth"
)

// A code page's resend button carries the wait before a resend is allowed
// (view.ResendIn): the script counts it down with the button disabled;
// without the script the server refuses an early resend with the wait.

// seconds is a wait in the whole seconds a resend button counts down,
// rounded up; 0 means now.
func seconds(d time.Duration) int {
	return int((max(d, 0) + time.Second - 1) / time.Second)
}

// resendRefused is the code page at drawn again after a refused resend: a
// limit's refusal counts down its own wait, which may be longer than the
// cooldown (a cap on sends to the number, say).
func resendRefused(at step, err error) step {
	var le *auth.LimitError
	if !errors.As(err, &le) || at.view == nil {
		return at
	}
	build := at.view
	at.view = func() (*view, error) {
		v, err := build()
		if err == nil {
			v.ResendIn = max(v.ResendIn, seconds(le.RetryAfter))
		}
		return v, err
	}
	return at
}
