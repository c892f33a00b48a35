package config

import (
	"fmt"
	"time"

	"gatehouse/internal/phone"
)

// Safety holds the abuse limits an operator may tune.
type Safety struct {
	LockoutMax      time.Duration // GATEHOUSE_LOCKOUT_MAX
	StepUpWindow    time.Duration // GATEHOUSE_STEP_UP_WINDOW
	SMSCountries    []string      // GATEHOUSE_SMS_COUNTRIES; default: the country of DefaultRegion
	SMSHourlyBudget int           // GATEHOUSE_SMS_HOURLY_BUDGET
}

// safetyVars documents the variables of Safety and the Twilio ones that
// came with it.
var safetyVars = []Var{
	{"GATEHOUSE_LOCKOUT_MAX", "15m", "longest sign-in wait of an (email, network) pair, and the wait of an account after 100 failures"},
	{"GATEHOUSE_STEP_UP_WINDOW", "10m", "how long a second factor lets a session change the phone, authenticator or backup codes"},
	{"GATEHOUSE_SMS_COUNTRIES", "<the country of GATEHOUSE_DEFAULT_REGION>", "comma-separated ISO country codes SMS codes may go to; * for all"},
	{"GATEHOUSE_SMS_HOURLY_BUDGET", "1000", "SMS sends per hour in all; registrations stop at 80% of it"},
	{"TWILIO_VERIFY_ANON_SERVICE_SID", "", "second Twilio Verify service (VA…) for registrations and phone changes"},
	{"TWILIO_MESSAGING_FROM", "", "sender (E.164 or MG…) of the notice to an old number; empty: not sent"},
}

func init() { Vars = append(Vars, safetyVars...) }

// loadSafety reads Safety.
func loadSafety(p *parser, region string) Safety {
	s := Safety{
		LockoutMax:      p.duration("GATEHOUSE_LOCKOUT_MAX"),
		StepUpWindow:    p.duration("GATEHOUSE_STEP_UP_WINDOW"),
		SMSHourlyBudget: p.int("GATEHOUSE_SMS_HOURLY_BUDGET"),
	}
	c, err := phone.ParseCountries(p.r.get("GATEHOUSE_SMS_COUNTRIES"))
	switch {
	case err != nil:
		p.bad("GATEHOUSE_SMS_COUNTRIES", "%v", err)
	case c == nil:
		c = []string{region}
	}
	s.SMSCountries = c
	return s
}

// validate checks the ranges of Safety.
func (s Safety) validate() []error {
	var errs []error
	for name, d := range map[string]time.Duration{"GATEHOUSE_LOCKOUT_MAX": s.LockoutMax, "GATEHOUSE_STEP_UP_WINDOW": s.StepUpWindow} {
		if d < time.Minute || d > 24*time.Hour {
			errs = append(errs, fmt.Errorf("%s: must be a duration from 1m0s to 24h0m0s", name))
		}
	}
	if s.SMSHourlyBudget < 1 || s.SMSHourlyBudget > 10_000_000 {
		errs = append(errs, fmt.Errorf("GATEHOUSE_SMS_HOURLY_BUDGET: must be a whole number from 1 to 10000000"))
	}
	return errs
}
