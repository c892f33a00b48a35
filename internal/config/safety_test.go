package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSafetyDefaults(t *testing.T) {
	c, err := Load(envOf(map[string]string{"GATEHOUSE_DEFAULT_REGION": "gb"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Safety
	if s.LockoutMax != 15*time.Minute || s.StepUpWindow != 10*time.Minute || s.SMSHourlyBudget != 1000 ||
		!slices.Equal(s.SMSCountries, []string{"GB"}) {
		t.Fatalf("defaults = %+v", s)
	}
}

func TestSafetyValues(t *testing.T) {
	c, err := Load(envOf(map[string]string{
		"GATEHOUSE_LOCKOUT_MAX": "30m", "GATEHOUSE_STEP_UP_WINDOW": "5m",
		"GATEHOUSE_SMS_COUNTRIES": "us, ca", "GATEHOUSE_SMS_HOURLY_BUDGET": "50",
		"GATEHOUSE_VERIFY": "twilio", "TWILIO_ACCOUNT_SID": "AC" + strings.Repeat("a", 32),
		"TWILIO_AUTH_TOKEN": "token", "TWILIO_VERIFY_SERVICE_SID": "VA" + strings.Repeat("b", 32),
		"TWILIO_VERIFY_ANON_SERVICE_SID": "VA" + strings.Repeat("c", 32), "TWILIO_MESSAGING_FROM": "+12015550100",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Safety
	if s.LockoutMax != 30*time.Minute || s.StepUpWindow != 5*time.Minute || s.SMSHourlyBudget != 50 ||
		!slices.Equal(s.SMSCountries, []string{"US", "CA"}) || c.Twilio.AnonSID == "" || c.Twilio.MessagingFrom == "" {
		t.Fatalf("values = %+v %+v", s, c.Twilio)
	}
	if c, err := Load(envOf(map[string]string{"GATEHOUSE_SMS_COUNTRIES": "*"}), nil); err != nil || !slices.Equal(c.Safety.SMSCountries, []string{"*"}) {
		t.Fatalf("* = %v, %v", c.Safety.SMSCountries, err)
	}
}

func TestSafetyErrors(t *testing.T) {
	_, err := Load(envOf(map[string]string{
		"GATEHOUSE_LOCKOUT_MAX": "forever", "GATEHOUSE_STEP_UP_WINDOW": "1s",
		"GATEHOUSE_SMS_COUNTRIES": "XX", "GATEHOUSE_SMS_HOURLY_BUDGET": "-1",
	}), nil)
	for _, name := range []string{"GATEHOUSE_LOCKOUT_MAX", "GATEHOUSE_STEP_UP_WINDOW", "GATEHOUSE_SMS_COUNTRIES", "GATEHOUSE_SMS_HOURLY_BUDGET"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("no error for %s: %v", name, err)
		}
	}
}
