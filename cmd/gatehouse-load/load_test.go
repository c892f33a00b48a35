package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startPortal builds cmd/gatehouse and runs it on a free loopback port with
// a data dir of its own, trusting the loopback proxy and with an easy
// proof of work; it is stopped when the test ends. It returns the URL, the
// outbox path and the process id.
func startPortal(t *testing.T) (string, string, int) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "gatehouse")
	build := exec.Command("go", "build", "-o", bin, "../gatehouse")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build gatehouse: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := filepath.Join(dir, "data")
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "GATEHOUSE_ADDR="+addr, "GATEHOUSE_DATA_DIR="+data,
		"GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32", "GATEHOUSE_CAPTCHA_POW_MAXNUMBER=100",
		"GATEHOUSE_SMS_CONSOLE=false", "GATEHOUSE_LOG_LEVEL=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("portal log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the portal did not become healthy")
		}
	}
	return base, filepath.Join(data, "sms-outbox.jsonl"), cmd.Process.Pid
}

// runJSON runs the tool with -json and returns its report.
func runJSON(t *testing.T, args ...string) Report {
	t.Helper()
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := run(ctx, append(args, "-json"), &out, &errs); err != nil {
		t.Fatalf("run %v: %v\n%s", args, err, errs.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	return rep
}

// TestScenarios runs every scenario with tiny counts against a real portal
// and checks that each either ran without a single error or, for the
// forward-auth check the portal does not serve yet, says it is
// unavailable. Timings are not asserted.
func TestScenarios(t *testing.T) {
	base, outbox, pid := startPortal(t)
	common := []string{"-url", base, "-outbox", outbox, "-pid", fmt.Sprint(pid), "-users", "3", "-c", "2", "-argon", "0"}
	var results []Result
	// The authenticator scenarios get users of their own: a fresh user has
	// one or two codes the portal accepts before the next time step.
	results = append(results, runJSON(t, append(common, "-n", "10", "-scenario",
		"health,page,password,password-one-ip,sms,backup,authz")...).Results...)
	results = append(results, runJSON(t, append(common, "-n", "3", "-scenario", "totp")...).Results...)
	results = append(results, runJSON(t, append(common, "-n", "3", "-scenario", "signin")...).Results...)

	seen := map[string]bool{}
	for _, r := range results {
		seen[r.Scenario] = true
		if r.Unavailable != "" {
			if r.Scenario != "authz" {
				t.Errorf("%s: unavailable: %s", r.Scenario, r.Unavailable)
			}
			continue
		}
		want := 10
		switch r.Scenario {
		case "sms", "totp", "signin":
			want = 3 // one SMS left per user; -n 3
		}
		if r.Requests != want || r.ErrorCount() != 0 {
			t.Errorf("%s: %d requests, errors %v; want %d without errors (note %q)", r.Scenario, r.Requests, r.Errors, want, r.Note)
		}
		if r.PerSecond <= 0 || r.P50ms <= 0 || r.P50ms > r.P95ms || r.P95ms > r.P99ms || r.PeakRSSMiB <= 0 {
			t.Errorf("%s: implausible figures %+v", r.Scenario, r)
		}
		if want := map[bool]string{false: "per-client", true: "one"}[r.Scenario == "password-one-ip"]; r.Address != want {
			t.Errorf("%s: address %q, want %q", r.Scenario, r.Address, want)
		}
	}
	for _, s := range scenarios {
		if !seen[s.name] {
			t.Errorf("scenario %s did not run", s.name)
		}
	}
}

// TestTable checks the plain output: the argon2id rates and one row per
// scenario and concurrency.
func TestTable(t *testing.T) {
	base, outbox, _ := startPortal(t)
	var out, errs bytes.Buffer
	args := []string{"-url", base, "-outbox", outbox, "-users", "2", "-c", "1,2", "-n", "4", "-argon", "200ms", "-scenario", "health,password"}
	if err := run(context.Background(), args, &out, &errs); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	s := out.String()
	for _, want := range []string{"x/crypto argon2.IDKey, on 1 goroutine(s):", "x/crypto argon2.IDKey, on 2 goroutine(s):",
		"the portal's hasher, on 1 goroutine(s):", "the portal's hasher, on 2 goroutine(s):", "req/s", "p99 ms", "peak RSS MiB",
		"× raw argon2id on 2 goroutines (x/crypto argon2.IDKey), ", "× raw argon2id on 2 goroutines (the portal's hasher)"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if rows := strings.Count(s, "per-client"); rows != 4 {
		t.Errorf("%d result rows, want 4:\n%s", rows, s)
	}
}

// TestRefusesOtherHosts checks that only loopback portals are loaded, and
// that the bounds hold.
func TestRefusesOtherHosts(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://192.0.2.1:8080"},
		{"-url", "http://[2001:db8::1]:8080"},
		{"-duration", "1h"},
		{"-c", "5000"},
		{"-n", "-1"},
		{"-scenario", "nope"},
	} {
		a := append([]string{"-outbox", "x"}, args...)
		if _, err := parseLoad(a, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, err := parseLoad([]string{"-outbox", "x", "-url", "http://[::1]:8080", "-c", "2,8,32"}, &bytes.Buffer{}); err != nil {
		t.Errorf("loopback refused: %v", err)
	}
}

// TestSeed fills a fresh SQLite database through the store.
func TestSeed(t *testing.T) {
	var out bytes.Buffer
	db := filepath.Join(t.TempDir(), "seed.db")
	if err := run(context.Background(), []string{"seed", "-database-url", "sqlite:" + db, "-n", "50"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "seeded 50 accounts") {
		t.Errorf("output %q", out.String())
	}
}

func TestNoticeInError(t *testing.T) {
	page := []byte(`<main><div class="notice notice-error" role="alert" id="page-error">Too many codes were sent to this number. Try again in 9 minutes &amp; 58 seconds.</div></main>`)
	err := expect(answer{status: 429, body: page}, 303, "/register/verify")
	want := `unexpected answer: 429 (want 303 /register/verify): "Too many codes were sent to this number. Try again in 9 minutes & 58 seconds."`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	if errKey(err) != "429" {
		t.Errorf("errors column = %q, want 429", errKey(err))
	}
	if got := notice([]byte("<p>fine</p>")); got != "" {
		t.Errorf("notice of a page without one = %q", got)
	}
}
