package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// scenarios are every flow the tool measures, in the order they run.
var scenarios = []scenario{
	{name: "health", times: "GET /healthz (200)", setup: setupHealth},
	{name: "page", times: "GET /login, a fresh visitor each time (200)", setup: setupPage},
	{name: "password", times: "POST /login with a solved CAPTCHA (303 /login/mfa); the CAPTCHA fetch and solve before it are untimed", setup: setupPassword},
	{name: "password-one-ip", oneIP: true, times: "as password, every visitor on one client address", setup: setupPassword},
	{name: "sms", times: "POST /login/mfa/code with the code from the outbox (303 /dashboard); password step and send staged untimed", setup: setupSMS},
	{name: "totp", times: "POST /validate-totp-code/ (200); password step staged untimed", setup: setupTOTP},
	{name: "backup", times: "POST /login/mfa/backup (303 /dashboard); password step staged untimed", setup: setupBackup},
	{name: "signin", times: "a whole sign-in: CAPTCHA fetch and solve, POST /login, POST /validate-totp-code/, GET /dashboard", setup: setupSignin},
	{name: "authz", times: "GET /api/authz/auth-request with a signed-in session (200)", setup: setupAuthz},
}

// authzPath is the forward-auth check; until the portal serves it the
// scenario reports itself unavailable.
const authzPath = "/api/authz/auth-request"

func setupHealth(_ context.Context, e *env, p plan, _ *recorder) (job, error) {
	v := e.newVisitor(e.addrs.client(p.oneIP))
	return job{op: func(ctx context.Context, _ int, rec *recorder) error {
		timed(ctx, rec, v, http.MethodGet, "/healthz", nil, http.StatusOK, "")
		return nil
	}}, nil
}

func setupPage(_ context.Context, e *env, p plan, _ *recorder) (job, error) {
	return job{op: func(ctx context.Context, _ int, rec *recorder) error {
		timed(ctx, rec, e.newVisitor(e.addrs.client(p.oneIP)), http.MethodGet, "/login", nil, http.StatusOK, "")
		return nil
	}}, nil
}

// setupPassword signs in the users in turn, each time as a new visitor
// (POST /login of a visitor already past it would only redirect).
func setupPassword(_ context.Context, e *env, p plan, _ *recorder) (job, error) {
	return job{op: func(ctx context.Context, _ int, rec *recorder) error {
		u := e.roundRobin()
		v := e.newVisitor(e.addrs.client(p.oneIP))
		f, err := v.loginForm(ctx, u)
		if err != nil {
			return err
		}
		timed(ctx, rec, v, http.MethodPost, "/login", f, http.StatusSeeOther, "/login/mfa")
		return nil
	}}, nil
}

// pending is a visitor past the password step, with what its second factor
// will send.
type pending struct {
	v    *visitor
	code string
}

// budget is how many staged sign-ins a scenario prepares: -n, or 1,000.
func budget(p plan) int {
	if p.n > 0 {
		return p.n
	}
	return 1000
}

// drain runs the staged items, one timed request each.
func drain(items chan pending, req func(ctx context.Context, rec *recorder, it pending)) func(context.Context, int, *recorder) error {
	return func(ctx context.Context, _ int, rec *recorder) error {
		it, ok := <-items
		if !ok {
			return errDone
		}
		req(ctx, rec, it)
		return nil
	}
}

func exhaustedNote(got, want int, what string) string {
	if got >= want {
		return ""
	}
	return fmt.Sprintf("%d of %d staged: %s (more -users raise it)", got, want, what)
}

// setupSMS stages sign-ins whose SMS code was sent; each user's number has
// one send left within the portal's 3 per 10 minutes after its preparation.
func setupSMS(ctx context.Context, e *env, p plan, rec *recorder) (job, error) {
	var us []*user
	for _, u := range e.users {
		if len(us) < budget(p) && u.takeSMS() {
			us = append(us, u)
		}
	}
	items, err := stage(ctx, len(us), rec, func(ctx context.Context, i int) (pending, error) {
		v := e.newVisitor(e.addrs.client(p.oneIP))
		if err := v.passwordStep(ctx, us[i]); err != nil {
			return pending{}, err
		}
		code, err := v.sendSMS(ctx, e.box, us[i])
		return pending{v: v, code: code}, err
	})
	return job{staged: true, note: exhaustedNote(len(us), budget(p), "one SMS per user per 10 minutes"),
		op: drain(items, func(ctx context.Context, rec *recorder, it pending) {
			timed(ctx, rec, it.v, http.MethodPost, "/login/mfa/code", url.Values{"code": {it.code}}, http.StatusSeeOther, "/dashboard")
		})}, err
}

// setupBackup stages sign-ins to finish with a backup code, ten per user.
func setupBackup(ctx context.Context, e *env, p plan, rec *recorder) (job, error) {
	var staged []pending
	var us []*user
	for len(staged) < budget(p) {
		u := e.roundRobin()
		c, ok := u.takeBackup()
		if !ok {
			break // round robin: every user is out of codes
		}
		staged, us = append(staged, pending{code: c}), append(us, u)
	}
	items, err := stage(ctx, len(staged), rec, func(ctx context.Context, i int) (pending, error) {
		v := e.newVisitor(e.addrs.client(p.oneIP))
		return pending{v: v, code: staged[i].code}, v.passwordStep(ctx, us[i])
	})
	return job{staged: true, note: exhaustedNote(len(staged), budget(p), "ten backup codes per user"),
		op: drain(items, func(ctx context.Context, rec *recorder, it pending) {
			timed(ctx, rec, it.v, http.MethodPost, "/login/mfa/backup", url.Values{"code": {it.code}}, http.StatusSeeOther, "/dashboard")
		})}, err
}

// totpUser is a user with visitors past the password step, one for each
// authenticator code the portal will accept from it.
type totpUser struct {
	u  *user
	vs []*visitor
}

// setupTOTP stages, per user, as many signed-in-by-password visitors as the
// user has acceptable codes (up to three: the previous, current and next
// step, each after the last one accepted). A worker takes a user and sends
// its codes one after another, in step order, since the portal accepts only
// a step later than the last one accepted.
func setupTOTP(ctx context.Context, e *env, p plan, rec *recorder) (job, error) {
	var owners []*user
	now := time.Now()
	for _, u := range e.users {
		for range u.codesLeft(now) {
			if len(owners) < budget(p) {
				owners = append(owners, u)
			}
		}
	}
	type staged struct {
		u *user
		v *visitor
	}
	items, err := stage(ctx, len(owners), rec, func(ctx context.Context, i int) (staged, error) {
		v := e.newVisitor(e.addrs.client(p.oneIP))
		return staged{owners[i], v}, v.passwordStep(ctx, owners[i])
	})
	byUser := map[*user]*totpUser{}
	var order []*totpUser
	for it := range items {
		tu := byUser[it.u]
		if tu == nil {
			tu = &totpUser{u: it.u}
			byUser[it.u] = tu
			order = append(order, tu)
		}
		tu.vs = append(tu.vs, it.v)
	}
	queue := make(chan *totpUser, len(order))
	for _, tu := range order {
		queue <- tu
	}
	close(queue)
	note := exhaustedNote(len(owners), budget(p), "three authenticator codes per user per run")
	if note == "" && len(order) < p.c {
		note = fmt.Sprintf("%d users for %d workers: fewer requests in flight than workers", len(order), p.c)
	}
	return job{staged: true, note: note, op: func(ctx context.Context, _ int, rec *recorder) error {
		tu, ok := <-queue
		if !ok {
			return errDone
		}
		for _, v := range tu.vs {
			code, ok, err := tu.u.nextCode(time.Now())
			for err == nil && !ok {
				if err = e.sleepToNextStep(ctx); err == nil {
					code, ok, err = tu.u.nextCode(time.Now())
				}
			}
			if err != nil {
				return err
			}
			timed(ctx, rec, v, http.MethodPost, "/validate-totp-code/", url.Values{"totp_code": {code}}, http.StatusOK, "")
		}
		return nil
	}}, err
}
