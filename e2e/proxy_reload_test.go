//go:build unix

package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAccessRulesReload: the portal refuses to start with a broken rules
// file, naming every problem; SIGHUP reads the file again, and a broken
// file then keeps the rules in force.
func TestAccessRulesReload(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(rules, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("rules:\n  - domain: \"bad host\"\n    policy: maybe\n  - policy: deny\n")
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "GATEHOUSE_ADDR="+freePort(t), "GATEHOUSE_DATA_DIR="+dir, "GATEHOUSE_ACCESS_RULES="+rules)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("serve started with a broken rules file")
	}
	for _, want := range []string{"rules[0].domain[0]", "rules[0].policy", "rules[1].domain"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("start-up error lacks %s:\n%s", want, out)
		}
	}

	write("rules:\n  - domain: app.example.test\n    policy: bypass\n")
	p := startPortal(t, "GATEHOUSE_ACCESS_RULES="+rules, "GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32")
	status := func() int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/api/authz/auth-request", nil)
		req.Header.Set("X-Original-URL", "http://app.example.test/")
		req.Header.Set("X-Original-Method", "GET")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// hup signals the portal and waits until its log has n lines containing want.
	hup := func(want string, n int) {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); strings.Count(p.logs.String(), want) < n; {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log after SIGHUP:\n%s", want, p.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := status(); got != http.StatusOK {
		t.Fatalf("bypass: status %d, want 200", got)
	}
	write("default_policy: deny\n")
	hup("access rules reloaded", 1)
	if got := status(); got != http.StatusForbidden {
		t.Fatalf("after reload: status %d, want 403", got)
	}
	write("rules: [ {domain: app.example.test, policy: bypass, extra: 1} ]\n")
	hup("access rules not reloaded", 1)
	if got := status(); got != http.StatusForbidden {
		t.Fatalf("a broken file changed the rules: status %d, want 403", got)
	}
	if !strings.Contains(p.logs.String(), "extra") {
		t.Errorf("the log does not name the problem:\n%s", p.logs.String())
	}
}
