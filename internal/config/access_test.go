package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gatehouse/internal/access"
)

func TestCookieDomainAndAccessRules(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte("rules:\n  - domain: app.example.com\n    policy: two_factor\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(envOf(map[string]string{"GATEHOUSE_COOKIE_DOMAIN": ".Example.COM", "GATEHOUSE_ACCESS_RULES": good}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.CookieDomain != "example.com" || c.AccessRules != good {
		t.Fatalf("cookie domain %q, rules %q", c.CookieDomain, c.AccessRules)
	}
	if c, err := Load(envOf(nil), nil); err != nil || c.CookieDomain != "" || c.AccessRules != "" {
		t.Fatalf("defaults: %q %q %v", c.CookieDomain, c.AccessRules, err)
	}

	// Every problem of the rules file is reported with the other settings'.
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("rules:\n  - domain: \"bad host\"\n    policy: maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(envOf(map[string]string{"GATEHOUSE_COOKIE_DOMAIN": "com", "GATEHOUSE_ACCESS_RULES": bad,
		"GATEHOUSE_LOG_LEVEL": "loud"}), nil)
	if err == nil {
		t.Fatal("invalid settings accepted")
	}
	for _, want := range []string{"GATEHOUSE_COOKIE_DOMAIN", "GATEHOUSE_ACCESS_RULES", "rules[0].domain[0]", "rules[0].policy", "GATEHOUSE_LOG_LEVEL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s: %v", want, err)
		}
	}
	if !errors.Is(err, access.ErrInvalidRules) || !errors.Is(err, access.ErrBadCookieDomain) {
		t.Errorf("errors.Is lost the cause: %v", err)
	}
	if _, err := Load(envOf(map[string]string{"GATEHOUSE_ACCESS_RULES": filepath.Join(dir, "missing.yml")}), nil); err == nil {
		t.Error("a missing rules file was accepted")
	}
}
