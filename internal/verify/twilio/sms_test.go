package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"gatehouse/internal/verify"
	"gatehouse/internal/verify/twilio"
)

// login is the sign-in verification to a number.
func login(to string) verify.Target {
	return verify.Target{Purpose: verify.PurposeLogin, Subject: "user-1", Phone: to}
}

// TestAnonymousFlowsHaveTheirOwnService: a registration to the number of a
// sign-in runs in the second service, so it neither replaces, burns nor
// completes the sign-in's verification.
func TestAnonymousFlowsHaveTheirOwnService(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	reg := verify.Target{Purpose: verify.PurposeRegister, Subject: "reg-1", Phone: phone}
	if _, err := f.c.StartSMS(ctx, login(phone)); err != nil {
		t.Fatal(err)
	}
	loginCode := f.code(t, phone)
	if _, err := f.c.StartSMS(ctx, reg); err != nil {
		t.Fatal(err)
	}
	regCode := f.code(t, phone)
	for range 5 {
		if c, err := f.c.CheckSMS(ctx, reg, wrong(regCode)); err != nil || c.Approved {
			t.Fatalf("wrong registration code = %+v, %v", c, err)
		}
	}
	if loginCode != regCode {
		if _, err := f.c.CheckSMS(ctx, reg, loginCode); !errors.Is(err, verify.ErrTooManyChecks) {
			t.Fatalf("sign-in code checked for the registration = %v, want too many checks", err)
		}
	}
	if c, err := f.c.CheckSMS(ctx, login(phone), loginCode); err != nil || !c.Approved {
		t.Fatalf("sign-in code after 5 wrong registration codes = %+v, %v", c, err)
	}
	var services []string
	for _, r := range f.em.Requests() {
		if strings.HasSuffix(r.Path, "/Verifications") {
			services = append(services, strings.Split(r.Path, "/")[3])
		}
	}
	if len(services) != 2 || services[0] == services[1] {
		t.Fatalf("sends went to services %v, want two different ones", services)
	}
}

// TestCancelStartsAfresh: a verification out of checks is canceled, and
// the next start is a new verification whose code works.
func TestCancelStartsAfresh(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.c.StartSMS(ctx, login(phone)); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := f.c.CheckSMS(ctx, login(phone), wrong(f.code(t, phone))); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.c.CancelSMS(ctx, login(phone)); err != nil {
		t.Fatal(err)
	}
	last := f.em.Requests()[len(f.em.Requests())-1]
	if last.Method != http.MethodPost || !strings.HasSuffix(last.Path, "/Verifications/"+phone) ||
		last.Form.Get("Status") != "canceled" || last.Status != http.StatusOK {
		t.Fatalf("cancel request = %+v", last)
	}
	if err := f.c.CancelSMS(ctx, login(phone)); !errors.Is(err, verify.ErrNotFound) {
		t.Fatalf("second cancel = %v, want ErrNotFound", err)
	}
	v, err := f.c.StartSMS(ctx, login(phone))
	if err != nil || v.Sends != 1 {
		t.Fatalf("start after cancel = %+v, %v", v, err)
	}
	if c, err := f.c.CheckSMS(ctx, login(phone), f.code(t, phone)); err != nil || !c.Approved {
		t.Fatalf("new code = %+v, %v", c, err)
	}
}

// TestSendText: with MessagingFrom a text goes through the Messaging API;
// without, nothing is sent.
func TestSendText(t *testing.T) {
	f := newFixture(t, func(o *twilio.Options) { o.MessagingFrom = "+12015550100" })
	if err := f.c.SendText(context.Background(), phone, "Your number changed."); err != nil {
		t.Fatal(err)
	}
	if got := f.em.Texts(phone); len(got) != 1 || got[0].Body != "Your number changed." || got[0].From != "+12015550100" {
		t.Fatalf("texts = %+v", got)
	}
	g := newFixture(t)
	if err := g.c.SendText(context.Background(), phone, "Your number changed."); err != nil {
		t.Fatal(err)
	}
	if got := g.em.Texts(phone); len(got) != 0 {
		t.Fatalf("texts without MessagingFrom = %+v", got)
	}
}
