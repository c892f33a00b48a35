package e2e

// PostgreSQL crashes under load and comes back: the portal answers 503
// meanwhile (never 500, never a hang), loses nothing committed before the
// crash and serves again by itself, without a restart.

import (
	"bytes"
	"context"
	"fmt"
	"gatehouse/internal/store/storetest"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pgServer is a private PostgreSQL run by scripts/postgres in dir.
type pgServer struct {
	t      *testing.T
	script string
	dir    string
	URL    string
}

// run runs scripts/postgres cmd on the server's directory.
func (s *pgServer) run(cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	c := exec.CommandContext(ctx, s.script, cmd, s.dir)
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("scripts/postgres %s: %v\n%s", cmd, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// startPrivatePostgres starts a PostgreSQL of the test's own with
// scripts/postgres start, and stops it (removing its data) when the test
// ends, after the portals registered later have stopped. It runs when the
// PostgreSQL tests run: GATEHOUSE_TEST_POSTGRES_URL set, or CI=true.
func startPrivatePostgres(t *testing.T) *pgServer {
	t.Helper()
	if os.Getenv("GATEHOUSE_TEST_POSTGRES_URL") == "" && os.Getenv("CI") != "true" {
		t.Skip("GATEHOUSE_TEST_POSTGRES_URL not set: PostgreSQL end-to-end tests skipped")
	}
	script, err := filepath.Abs(filepath.Join("..", "scripts", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: the server may run as the postgres user, which must
	// reach the directory; the script hands it over and removes it at stop.
	dir, err := os.MkdirTemp("", "gatehouse-dbfault-")
	if err != nil {
		t.Fatal(err)
	}
	s := &pgServer{t: t, script: script, dir: dir}
	t.Cleanup(func() {
		if _, err := s.run("stop"); err != nil {
			t.Errorf("stop PostgreSQL: %v", err)
		}
		os.RemoveAll(dir)
	})
	if s.URL, err = s.run("start"); err != nil {
		t.Fatal(err)
	}
	return s
}

// faultObs is one request of the load during the fault.
type faultObs struct {
	what       string
	start, end time.Time
	status     int
	err        error
	elapsed    time.Duration
}

func TestPostgresCrashDuringLogins(t *testing.T) {
	pg := startPrivatePostgres(t)
	// The throwaway server commits asynchronously for speed; a production
	// server does not, and "committed" must mean "survives a crash" here.
	storetest.AdminExec(t, pg.URL, `ALTER SYSTEM SET synchronous_commit = on`, `SELECT pg_reload_conf()`)
	p := startPortal(t,
		"GATEHOUSE_DATABASE_URL="+pg.URL,
		"GATEHOUSE_SMS_CONSOLE=false",
		"GATEHOUSE_CAPTCHA_POW_MAXNUMBER=1000",
		"GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32")
	outbox := p.Outbox
	base := p.URL

	// Accounts, each with a signed-in browser, all made before the crash.
	accounts := []miAccount{
		{"Ada", "ada@example.com", "+12015550111"},
		{"Grace", "grace@example.com", "+12015550112"},
		{"Katherine", "katherine@example.com", "+12015550113"},
		{"Margaret", "margaret@example.com", "+12015550114"},
	}
	signedIn := make([]*miClient, len(accounts))
	for i, a := range accounts {
		c := miNewClient(t, "")
		c.register(base, base, outbox, a)
		c.signIn(base, base, outbox, a)
		signedIn[i] = c
	}

	// The load: password steps of every account and dashboards of the
	// signed-in browsers, from three workers, plus the health check.
	var (
		mu      sync.Mutex
		obs     []faultObs
		stop    atomic.Bool
		wg      sync.WaitGroup
		counter atomic.Int64
	)
	record := func(what string, start time.Time, r miResp, err error) {
		mu.Lock()
		defer mu.Unlock()
		obs = append(obs, faultObs{what: what, start: start, end: time.Now(), status: r.status, err: err, elapsed: r.elapsed})
	}
	for w := range 3 {
		wg.Go(func() {
			for i := 0; !stop.Load() && i < 2000; i++ {
				n := counter.Add(1)
				a := accounts[int(n)%len(accounts)]
				// A new browser behind the balancer for each sign-in, from
				// its own address, so no per-IP limit gets in the way.
				c := miNewClient(t, fmt.Sprintf("10.%d.%d.%d", w, n/250%250, n%250))
				c.hc.Timeout = 10 * time.Second
				start := time.Now()
				r, err := c.send(http.MethodGet, base+"/captcha/challenge", "", "")
				record("challenge", start, r, err)
				if err != nil || r.status != http.StatusOK {
					continue
				}
				tok, err := miSolve(r.body)
				if err != nil {
					t.Error(err)
					return
				}
				form := url.Values{"email": {a.email}, "password": {miPassword}, "captcha": {tok}}
				start = time.Now()
				r, err = c.send(http.MethodPost, base+"/login", "application/x-www-form-urlencoded", form.Encode())
				record("password step", start, r, err)

				start = time.Now()
				r, err = signedIn[int(n)%len(signedIn)].send(http.MethodGet, base+"/dashboard", "", "")
				record("dashboard", start, r, err)
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		c := miNewClient(t, "")
		for !stop.Load() {
			start := time.Now()
			r, err := c.send(http.MethodGet, base+"/healthz", "", "")
			record("health", start, r, err)
			time.Sleep(50 * time.Millisecond)
		}
	})
	// Stop the load whatever happens below.
	defer func() { stop.Store(true); wg.Wait() }()

	// seen counts the answers of kind what with one of statuses that began
	// after since; waitSeen waits for n of them, bounded.
	seen := func(what string, since time.Time, statuses ...int) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, o := range obs {
			if o.what == what && o.start.After(since) && slices.Contains(statuses, o.status) {
				n++
			}
		}
		return n
	}
	waitSeen := func(n int, what string, since time.Time, within time.Duration, statuses ...int) {
		t.Helper()
		for deadline := time.Now().Add(within); seen(what, since, statuses...) < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d %q answers %v within %v", n, what, statuses, within)
			}
		}
	}
	// The load is running: sign-ins succeed before the crash.
	waitSeen(3, "password step", time.Time{}, 20*time.Second, http.StatusSeeOther)
	downStart := time.Now()
	if _, err := pg.run("down"); err != nil {
		t.Fatal(err)
	}
	downEnd := time.Now()
	// The portal has noticed: requests made while the server is gone are
	// answered 503.
	waitSeen(2, "password step", downEnd, 20*time.Second, http.StatusServiceUnavailable)
	upStart := time.Now()
	if _, err := pg.run("up"); err != nil {
		t.Fatal(err)
	}
	upEnd := time.Now()
	t.Logf("PostgreSQL killed in %v, down for %v, restarted in %v",
		downEnd.Sub(downStart).Round(time.Millisecond), upStart.Sub(downEnd).Round(time.Millisecond),
		upEnd.Sub(upStart).Round(time.Millisecond))

	// Recovery without restart: the same process serves again, for more
	// than one sign-in.
	waitSeen(3, "password step", upEnd, 20*time.Second, http.StatusSeeOther)
	stop.Store(true)
	wg.Wait()

	// What every request answered.
	allowed := map[string][]int{
		"challenge":     {http.StatusOK},
		"password step": {http.StatusSeeOther, http.StatusServiceUnavailable},
		"dashboard":     {http.StatusOK, http.StatusServiceUnavailable},
		"health":        {http.StatusOK, http.StatusServiceUnavailable},
	}
	var outage503, outageTotal, before, after int
	for _, o := range obs {
		switch {
		case o.err != nil:
			t.Errorf("%s at %v: %v", o.what, o.start.Sub(downStart).Round(time.Millisecond), o.err)
			continue
		case o.elapsed > 5*time.Second:
			t.Errorf("%s took %v (at %v after the kill)", o.what, o.elapsed, o.start.Sub(downStart).Round(time.Millisecond))
		}
		ok := false
		for _, s := range allowed[o.what] {
			ok = ok || o.status == s
		}
		if !ok {
			t.Errorf("%s answered %d at %v after the kill", o.what, o.status, o.start.Sub(downStart).Round(time.Millisecond))
		}
		switch {
		case o.end.Before(downStart):
			before++
		case o.start.After(downEnd) && o.end.Before(upStart) && o.what != "challenge":
			// Wholly inside the outage, and needing the database.
			outageTotal++
			if o.status == http.StatusServiceUnavailable {
				outage503++
			} else {
				t.Errorf("%s answered %d while PostgreSQL was down", o.what, o.status)
			}
		case o.start.After(upEnd):
			after++
		}
	}
	t.Logf("%d requests: %d before the crash, %d during the outage (%d answered 503), %d after the restart",
		len(obs), before, outageTotal, outage503, after)
	if before == 0 || outage503 == 0 || after == 0 {
		t.Fatalf("the load did not span the crash: %d before, %d 503s during, %d after", before, outage503, after)
	}

	// Everything committed before the crash is there: every account signs
	// in fully, and the browsers signed in before still are.
	for i, a := range accounts {
		c := miNewClient(t, fmt.Sprintf("192.0.2.%d", i+1))
		c.signIn(base, base, outbox, a)
		r := c.get(base, "/dashboard")
		miWant(t, "dashboard of "+a.email, r, http.StatusOK, "")
		if !strings.Contains(r.body, a.first) {
			t.Errorf("dashboard of %s does not show %s", a.email, a.first)
		}
		miWant(t, "session of "+a.email+" from before the crash", signedIn[i].get(base, "/dashboard"), http.StatusOK, "")
	}
	// The same process, never restarted, serves.
	miWant(t, "health", miNewClient(t, "").get(base, "/healthz"), http.StatusOK, "")
	logs := p.logs.String()
	if n := strings.Count(logs, "gatehouse listening"); n != 1 {
		t.Errorf("the portal started %d times", n)
	}
	if strings.Contains(logs, "panic") || strings.Contains(logs, "status=500") {
		t.Errorf("the portal logged a panic or a 500:\n%s", logs)
	}
}
