package config

import (
	"os"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Verify != "local" || c.Captcha != "pow" || c.DefaultRegion != "US" ||
		c.DatabaseURL != "sqlite:data/gatehouse.db" || c.SMSOutbox != "data/sms-outbox.jsonl" ||
		c.BaseURL.String() != "http://127.0.0.1:8080" || c.PoWMaxNumber != 100000 || c.SecretKey != nil || !c.SMSConsole {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEveryErrorAtOnce(t *testing.T) {
	_, err := Load(envOf(map[string]string{
		"GATEHOUSE_VERIFY":          "twilio",
		"TWILIO_ACCOUNT_SID":        "nope",
		"GATEHOUSE_SECRET_KEY":      "abc",
		"GATEHOUSE_CAPTCHA":         "recaptcha",
		"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8, bogus",
		"GATEHOUSE_TWILIO_TIMEOUT":  "soon",
		"GATEHOUSE_BASE_URL":        "ftp://x",
	}), nil)
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, name := range []string{"TWILIO_ACCOUNT_SID", "TWILIO_VERIFY_SERVICE_SID", "TWILIO_AUTH_TOKEN",
		"GATEHOUSE_SECRET_KEY", "GATEHOUSE_CAPTCHA_SITE_KEY", "GATEHOUSE_CAPTCHA_SECRET",
		"GATEHOUSE_TRUSTED_PROXIES", "GATEHOUSE_TWILIO_TIMEOUT", "GATEHOUSE_BASE_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestValues(t *testing.T) {
	c, err := Load(envOf(map[string]string{
		"GATEHOUSE_SECRET_KEY":      strings.Repeat("ab", 32),
		"GATEHOUSE_TRUSTED_PROXIES": "10.1.2.3, 192.168.0.0/16",
		"GATEHOUSE_VERIFY":          "twilio",
		"TWILIO_ACCOUNT_SID":        "AC" + strings.Repeat("0", 32),
		"TWILIO_VERIFY_SERVICE_SID": "VA" + strings.Repeat("1", 32),
		"TWILIO_API_KEY_SID":        "SK" + strings.Repeat("2", 32),
		"TWILIO_API_KEY_SECRET":     "s",
	}), []string{"-addr", "127.0.0.1:9999", "-base-url", "https://login.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SecretKey) != 32 || len(c.TrustedProxies) != 2 || c.TrustedProxies[0].String() != "10.1.2.3/32" ||
		c.Addr != "127.0.0.1:9999" || c.BaseURL.Scheme != "https" {
		t.Fatalf("%+v", c)
	}
}

func TestMonitoringSettings(t *testing.T) {
	c, err := Load(envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "" || c.ShutdownTimeout.String() != "15s" {
		t.Errorf("defaults: metrics %q, shutdown %s", c.MetricsAddr, c.ShutdownTimeout)
	}
	c, err = Load(envOf(map[string]string{"GATEHOUSE_METRICS_ADDR": "127.0.0.1:9464", "GATEHOUSE_SHUTDOWN_TIMEOUT": "40s"}), nil)
	if err != nil || c.MetricsAddr != "127.0.0.1:9464" || c.ShutdownTimeout.String() != "40s" {
		t.Errorf("set: %q %s %v", c.MetricsAddr, c.ShutdownTimeout, err)
	}
	if c.Pprof {
		t.Error("profiles on by default")
	}
	if c, err := Load(envOf(map[string]string{"GATEHOUSE_METRICS_ADDR": "127.0.0.1:9464", "GATEHOUSE_PPROF": "true"}), nil); err != nil || !c.Pprof {
		t.Errorf("GATEHOUSE_PPROF=true: %v %v", c.Pprof, err)
	}
	for _, env := range []map[string]string{
		{"GATEHOUSE_METRICS_ADDR": "9464"},
		{"GATEHOUSE_METRICS_ADDR": "127.0.0.1:8080"}, // the public port
		{"GATEHOUSE_SHUTDOWN_TIMEOUT": "soon"},
		{"GATEHOUSE_SHUTDOWN_TIMEOUT": "0s"},
		{"GATEHOUSE_PPROF": "true"}, // profiles need the metrics listener
		{"GATEHOUSE_PPROF": "maybe", "GATEHOUSE_METRICS_ADDR": "127.0.0.1:9464"},
	} {
		if _, err := Load(envOf(env), nil); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}

// TestValidateAConfigBuiltByHand: Validate checks a Config made without
// Load (as the wiring of tests does), naming every bad variable at once.
func TestValidateAConfigBuiltByHand(t *testing.T) {
	c, err := Load(envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	c.Addr, c.Verify, c.LogLevel, c.PoWMaxNumber = "nowhere", "carrier-pigeon", "loud", 0
	err = c.Validate()
	for _, name := range []string{"GATEHOUSE_ADDR", "GATEHOUSE_VERIFY", "GATEHOUSE_LOG_LEVEL", "GATEHOUSE_CAPTCHA_POW_MAXNUMBER"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s not reported: %v", name, err)
		}
	}
}

// TestReadmeListsEveryVariable: the README's configuration documents every
// variable Load reads.
func TestReadmeListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		if !strings.Contains(string(b), "`"+v.Name+"`") {
			t.Errorf("README does not document %s", v.Name)
		}
	}
}
