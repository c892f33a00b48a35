package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// setupSignin times whole sign-ins with the authenticator, each worker
// holding one user at a time so that its codes go in step order.
func setupSignin(_ context.Context, e *env, p plan, _ *recorder) (job, error) {
	note := ""
	if len(e.users) < p.c {
		note = fmt.Sprintf("%d users for %d workers: fewer sign-ins in flight than workers", len(e.users), p.c)
	}
	return job{note: note, op: func(ctx context.Context, _ int, rec *recorder) error {
		u, err := e.holdUser(ctx)
		if err != nil {
			return err
		}
		defer e.release(u)
		code, ok, err := u.nextCode(time.Now())
		if err != nil || !ok {
			return fmt.Errorf("signin: no authenticator code: %w", err)
		}
		v := e.newVisitor(e.addrs.client(p.oneIP))
		t0 := time.Now()
		bad := signIn(ctx, v, u, code)
		rec.add(sample{d: time.Since(t0), bad: bad})
		return nil
	}}, nil
}

// signIn runs the sign-in of u as a browser does and returns "" when it
// reached the dashboard, or which step got what.
func signIn(ctx context.Context, v *visitor, u *user, code string) string {
	f, err := v.loginForm(ctx, u)
	if err != nil {
		return "challenge " + errKey(err)
	}
	if _, err := v.post(ctx, "/login", f, http.StatusSeeOther, "/login/mfa"); err != nil {
		return "login " + errKey(err)
	}
	if _, err := v.post(ctx, "/validate-totp-code/", url.Values{"totp_code": {code}}, http.StatusOK, ""); err != nil {
		return "totp " + errKey(err)
	}
	a, err := v.do(ctx, http.MethodGet, "/dashboard", nil)
	if err == nil {
		err = expect(a, http.StatusOK, "")
	}
	if err != nil {
		return "dashboard " + errKey(err)
	}
	return ""
}

// setupAuthz stages one signed-in visitor per worker (with a backup code)
// once the portal serves the forward-auth check; a 404 to an anonymous
// probe means it does not yet.
func setupAuthz(ctx context.Context, e *env, p plan, rec *recorder) (job, error) {
	a, err := e.newVisitor(e.addrs.client(p.oneIP)).do(ctx, http.MethodGet, authzPath, nil)
	if err != nil {
		return job{}, err
	}
	if a.status == http.StatusNotFound {
		return job{unavailable: "the portal answers 404 for " + authzPath}, nil
	}
	items, err := stage(ctx, p.c, rec, func(ctx context.Context, i int) (*visitor, error) {
		u := e.roundRobin()
		code, ok := u.takeBackup()
		if !ok {
			return nil, fmt.Errorf("authz: no backup code left: %w", errDone)
		}
		v := e.newVisitor(e.addrs.client(p.oneIP))
		if err := v.passwordStep(ctx, u); err != nil {
			return nil, err
		}
		_, err := v.post(ctx, "/login/mfa/backup", url.Values{"code": {code}}, http.StatusSeeOther, "/dashboard")
		return v, err
	})
	if err != nil {
		return job{}, err
	}
	var vs []*visitor
	for v := range items {
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return job{unavailable: "no visitor could sign in"}, nil
	}
	return job{op: func(ctx context.Context, w int, rec *recorder) error {
		timed(ctx, rec, vs[w%len(vs)], http.MethodGet, authzPath, nil, http.StatusOK, "")
		return nil
	}}, nil
}
