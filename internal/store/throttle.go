package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// This file holds the sign-in throttle per (email, client network). Its
// decisions are conditional statements: a guess is admitted by reserving
// a slot, so parallel guesses can never exceed the free ones, and only a
// failure is remembered.

// GuessKey names one throttle: the email as typed and the client network,
// both already hidden by the caller (HMACs).
type GuessKey struct {
	Email, Network string
}

// GuessPolicy is how a throttle admits guesses: Free consecutive failures
// (failures and guesses in flight together) before every further failure
// makes the pair wait, Base after the Free-th failure, doubling with each
// further failure, at most Max. A guess in flight longer than InFlight is
// forgotten (its request died); a row quiet for Forget is forgotten whole.
type GuessPolicy struct {
	Free     int
	Base     time.Duration
	Max      time.Duration
	InFlight time.Duration
	Forget   time.Duration
	Now      time.Time
}

// Throttle is the state of one throttle.
type Throttle struct {
	Failures  int       // consecutive failures
	WaitUntil time.Time // no guess is admitted before this
	Admitted  bool      // ReserveGuess: a slot was reserved
}

// ReserveGuess admits one guess for k when the pair does not wait and
// failures plus guesses in flight are under p.Free (past p.Free, one guess
// at a time after each wait), reserving its slot in the same statement.
// A refused guess changes nothing.
func (d *DB) ReserveGuess(ctx context.Context, k GuessKey, p GuessPolicy) (Throttle, error) {
	n := ms(p.Now)
	stale := ms(p.Now.Add(-p.InFlight))
	const inflight = `(CASE WHEN login_throttle.inflight_at <= ? THEN 0 ELSE login_throttle.inflight END)`
	const gone = `login_throttle.expires_at <= ?`
	var t Throttle
	var wait int64
	err := d.queryRow(ctx, d.db, `INSERT INTO login_throttle
		(email_key, network_key, failures, inflight, inflight_at, wait_until, expires_at)
		VALUES (?, ?, 0, 1, ?, 0, ?)
		ON CONFLICT (email_key, network_key) DO UPDATE SET
			failures = CASE WHEN `+gone+` THEN 0 ELSE login_throttle.failures END,
			inflight = CASE WHEN `+gone+` THEN 1 ELSE `+inflight+` + 1 END,
			wait_until = CASE WHEN `+gone+` THEN 0 ELSE login_throttle.wait_until END,
			inflight_at = excluded.inflight_at,
			expires_at = excluded.expires_at
		WHERE `+gone+` OR (login_throttle.wait_until <= ? AND (
			`+inflight+` + login_throttle.failures < ?
			OR (login_throttle.failures >= ? AND `+inflight+` = 0)))
		RETURNING failures, wait_until`,
		k.Email, k.Network, n, ms(p.Now.Add(p.Forget)),
		n, n, stale, n, n, n, stale, p.Free, p.Free, stale).Scan(&t.Failures, &wait)
	if err == nil {
		t.Admitted = true
		t.WaitUntil = fromMS(wait)
		return t, nil
	}
	if !isNoRows(err) {
		return Throttle{}, fmt.Errorf("store: reserve guess: %w", err)
	}
	err = d.queryRow(ctx, d.db, `SELECT failures, wait_until FROM login_throttle
		WHERE email_key = ? AND network_key = ?`, k.Email, k.Network).Scan(&t.Failures, &wait)
	if err != nil && !isNoRows(err) {
		return Throttle{}, fmt.Errorf("store: reserve guess: %w", err)
	}
	t.WaitUntil = fromMS(wait)
	return t, nil
}

// Guess outcomes for EndGuess.
const (
	GuessVoid    = iota // not judged (CAPTCHA refused, a fault): the slot is given back
	GuessFailed         // a wrong guess: counted, and maybe a wait
	GuessSucceed        // a right one: the pair's failures are forgotten
)

// EndGuess gives back the slot ReserveGuess reserved and records the
// outcome. A failure that reaches p.Free starts a wait of p.Base, doubling
// with each further failure up to p.Max, decided in the same statement.
func (d *DB) EndGuess(ctx context.Context, k GuessKey, outcome int, p GuessPolicy) (Throttle, error) {
	set, args := `failures = failures`, []any{}
	switch outcome {
	case GuessFailed:
		wait, wargs := waitCase(p)
		set = `failures = failures + 1, wait_until = ` + wait
		args = wargs
	case GuessSucceed:
		set = `failures = 0, wait_until = 0`
	}
	var t Throttle
	var wait int64
	err := d.queryRow(ctx, d.db, `UPDATE login_throttle SET `+set+`,
			inflight = CASE WHEN inflight > 0 THEN inflight - 1 ELSE 0 END, expires_at = ?
		WHERE email_key = ? AND network_key = ?
		RETURNING failures, wait_until`,
		append(args, ms(p.Now.Add(p.Forget)), k.Email, k.Network)...).Scan(&t.Failures, &wait)
	if isNoRows(err) {
		return Throttle{}, nil // swept meanwhile: nothing to give back
	}
	if err != nil {
		return Throttle{}, fmt.Errorf("store: end guess: %w", err)
	}
	t.WaitUntil = fromMS(wait)
	return t, nil
}

// waitCase is the SQL expression of the wait after one more failure: a
// CASE over the failure count, longest wait first.
func waitCase(p GuessPolicy) (string, []any) {
	n := ms(p.Now)
	var b strings.Builder
	var args []any
	b.WriteString("CASE")
	var steps []time.Duration
	for d := p.Base; ; d *= 2 {
		if d >= p.Max || d <= 0 {
			steps = append(steps, p.Max)
			break
		}
		steps = append(steps, d)
	}
	for i := len(steps) - 1; i >= 0; i-- {
		b.WriteString(" WHEN failures + 1 >= ? THEN ?")
		args = append(args, p.Free+i, n+steps[i].Milliseconds())
	}
	b.WriteString(" ELSE wait_until END")
	return b.String(), args
}

// ClearGuesses forgets every throttle of the email key: the failures and
// waits of that email from every network.
func (d *DB) ClearGuesses(ctx context.Context, email string) error {
	if _, err := d.exec(ctx, d.db, `DELETE FROM login_throttle WHERE email_key = ?`, email); err != nil {
		return fmt.Errorf("store: clear guesses: %w", err)
	}
	return nil
}
