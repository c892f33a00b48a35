package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pquerna/otp/totp"

	"gatehouse/internal/phone"
)

// user is an account prepared through the real registration, with an
// authenticator and a set of backup codes. Its secrets live only in this
// process and are never printed.
type user struct {
	email, password, phone string
	secret                 string // the authenticator's base32 secret

	mu       sync.Mutex
	lastStep int64    // last authenticator time step the portal accepted
	backup   []string // backup codes not yet used
	smsLeft  int      // SMS sends left before the number's limit
}

// totpStep is the authenticator's time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / 30 }

// codesLeft is how many authenticator codes the portal would accept now:
// steps after the last accepted one, within one step of the current one.
func (u *user) codesLeft(now time.Time) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	cur := totpStep(now)
	first := max(u.lastStep+1, cur-1)
	if first == cur-1 && now.Unix()%30 >= 28 {
		first = cur
	}
	return int(max(0, cur+1-first+1))
}

// nextCode returns the code of the earliest step the portal accepts now and
// marks it used; ok is false when none is left until the next step. The
// previous step is skipped in the last two seconds of a step, so a code is
// never sent just as it expires. Callers hold the user exclusively.
func (u *user) nextCode(now time.Time) (string, bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	cur := totpStep(now)
	s := max(u.lastStep+1, cur-1)
	if s == cur-1 && now.Unix()%30 >= 28 {
		s = cur
	}
	if s > cur+1 {
		return "", false, nil
	}
	code, err := totp.GenerateCode(u.secret, time.Unix(s*30, 0))
	if err != nil {
		return "", false, fmt.Errorf("totp code: %w", err)
	}
	u.lastStep = s
	return code, true, nil
}

// takeBackup returns an unused backup code, ok false when none is left.
func (u *user) takeBackup() (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.backup) == 0 {
		return "", false
	}
	c := u.backup[len(u.backup)-1]
	u.backup = u.backup[:len(u.backup)-1]
	return c, true
}

// takeSMS reserves one SMS send of the user's number.
func (u *user) takeSMS() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.smsLeft == 0 {
		return false
	}
	u.smsLeft--
	return true
}

// addresses hands out client addresses for X-Forwarded-For, one per
// visitor, from 10.0.0.0/8 starting at a random point, so that runs against
// the same database do not share per-IP counters.
type addresses struct {
	next  atomic.Uint32
	one   string // the address of every visitor with -one-ip
	oneIP bool
	off   bool // the portal does not trust the loopback proxy: send none
}

func newAddresses(oneIP, off bool) *addresses {
	a := &addresses{oneIP: oneIP, off: off}
	a.next.Store(uint32(randInt(1 << 23)))
	a.one = a.fresh()
	return a
}

// fresh returns a new address (or "" when X-Forwarded-For is off).
func (a *addresses) fresh() string {
	if a.off {
		return ""
	}
	n := a.next.Add(1)
	return netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}).String()
}

// client returns the address of a new visitor: the shared one with -one-ip.
func (a *addresses) client(oneIP bool) string {
	if a.off {
		return ""
	}
	if oneIP || a.oneIP {
		return a.one
	}
	return a.fresh()
}

// randInt returns a uniform number in [0, n).
func randInt(n int64) int64 {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return v.Int64()
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// areaCodes are US area codes whose 555 numbers the portal accepts.
var areaCodes = []string{"201", "202", "212", "213", "305", "312", "415", "503", "617", "702", "713", "808"}

// randomPhone returns a random valid US number in E.164, so that numbers of
// different runs do not share the per-number SMS limit.
func randomPhone() (string, error) {
	for range 100 {
		n := fmt.Sprintf("+1%s%03d%04d", areaCodes[randInt(int64(len(areaCodes)))], 200+randInt(800), randInt(10000))
		if e, err := phone.Normalize(n, "US"); err == nil {
			return e, nil
		}
	}
	return "", fmt.Errorf("no valid phone number found")
}

// prepareUser registers a user through the real flow (details with the
// CAPTCHA, password and phone, the SMS code from the outbox), signs in
// with SMS, enrolls an authenticator, creates backup codes and signs out.
func (e *env) prepareUser(ctx context.Context, run string, i int) (*user, error) {
	ph, err := randomPhone()
	if err != nil {
		return nil, err
	}
	u := &user{email: fmt.Sprintf("load-%s-%d@example.com", run, i), password: "load " + randomHex(12), phone: ph}
	v := e.newVisitor(e.addrs.fresh())
	tok, err := v.captcha(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := v.post(ctx, "/register", url.Values{"first_name": {"Load"}, "last_name": {fmt.Sprint("User ", i)},
		"email": {u.email}, "captcha": {tok}}, http.StatusSeeOther, "/register/credentials"); err != nil {
		return nil, err
	}
	mark := e.box.mark(u.phone)
	if _, err := v.post(ctx, "/register/credentials", url.Values{"password": {u.password}, "phone": {u.phone}},
		http.StatusSeeOther, "/register/verify"); err != nil {
		return nil, err
	}
	code, err := e.box.codeAfter(ctx, u.phone, mark)
	if err != nil {
		return nil, err
	}
	if _, err := v.post(ctx, "/register/verify", url.Values{"code": {code}}, http.StatusSeeOther, "/login"); err != nil {
		return nil, err
	}
	if err := v.passwordStep(ctx, u); err != nil {
		return nil, err
	}
	if code, err = v.sendSMS(ctx, e.box, u); err != nil {
		return nil, err
	}
	if _, err := v.post(ctx, "/login/mfa/code", url.Values{"code": {code}}, http.StatusSeeOther, "/dashboard"); err != nil {
		return nil, err
	}
	if err := e.enroll(ctx, v, u); err != nil {
		return nil, err
	}
	_, err = v.post(ctx, "/logout", url.Values{}, http.StatusSeeOther, "/login")
	u.smsLeft = 1 // of 3 per 10 minutes: registration and this sign-in used two
	return u, err
}

// enroll sets up the authenticator and the backup codes of a signed-in user.
func (e *env) enroll(ctx context.Context, v *visitor, u *user) error {
	var f struct{ Secret string }
	if err := v.jsonPost(ctx, "/generate-totp-factor/", url.Values{}, &f); err != nil {
		return err
	}
	if f.Secret == "" {
		return fmt.Errorf("generate-totp-factor: %w: no secret", errUnexpected)
	}
	u.secret = f.Secret
	now := time.Now()
	code, err := totp.GenerateCode(u.secret, now)
	if err != nil {
		return fmt.Errorf("totp code: %w", err)
	}
	var ok struct{ Success bool }
	if err := v.jsonPost(ctx, "/confirm-totp-enrollment/", url.Values{"code": {code}}, &ok); err != nil {
		return err
	}
	u.lastStep = totpStep(now) // the enrollment code is spent
	var b struct{ Codes []string }
	if err := v.jsonPost(ctx, "/generate-backup-codes/", url.Values{}, &b); err != nil {
		return err
	}
	u.backup = b.Codes
	return nil
}
