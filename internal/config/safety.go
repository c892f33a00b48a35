package config

import (
	"strconv"
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
	{"GATEHOUSE_SMS_COUNTRIES", "the country of GATEHOUSE_DEFAULT_REGION", "comma-separated ISO country codes SMS codes may go to; * for all"},
	{"GATEHOUSE_SMS_HOURLY_BUDGET", "1000", "SMS sends per hour in all; registrations stop at 80% of it"},
	{"TWILIO_VERIFY_ANON_SERVICE_SID", "", "second Twilio Verify service (VA…) for registrations and phone changes"},
	{"TWILIO_MESSAGING_FROM", "", "sender (E.164 or MG…) of the notice to an old number; empty: not sent"},
}

func init() { Vars = append(Vars, safetyVars...) }

// loadSafety reads Safety; bad reports each problem.
func loadSafety(env func(name, def string) string, region string, bad func(name, format string, a ...any)) Safety {
	var s Safety
	dur := func(name, def string, lo, hi time.Duration) time.Duration {
		d, err := time.ParseDuration(env(name, def))
		if err != nil || d < lo || d > hi {
			bad(name, "must be a duration from %s to %s, such as %s", lo, hi, def)
		}
		return d
	}
	s.LockoutMax = dur("GATEHOUSE_LOCKOUT_MAX", "15m", time.Minute, 24*time.Hour)
	s.StepUpWindow = dur("GATEHOUSE_STEP_UP_WINDOW", "10m", time.Minute, 24*time.Hour)
	c, err := phone.ParseCountries(env("GATEHOUSE_SMS_COUNTRIES", ""))
	switch {
	case err != nil:
		bad("GATEHOUSE_SMS_COUNTRIES", "%v", err)
	case c == nil:
		c = []string{region}
	}
	s.SMSCountries = c
	n, err := strconv.Atoi(env("GATEHOUSE_SMS_HOURLY_BUDGET", "1000"))
	if err != nil || n < 1 || n > 10_000_000 {
		bad("GATEHOUSE_SMS_HOURLY_BUDGET", "must be a whole number from 1 to 10000000")
	}
	s.SMSHourlyBudget = n
	return s
}
