package e2e

// Monitoring of the real binary: Prometheus metrics on their own listener
// and never with personal data in them, and a graceful shutdown that lets
// the sign-ins in flight finish.

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// scrape reads the metrics listener at addr.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v", res.StatusCode, err)
	}
	return string(b)
}

// sample returns the value of the sample named exactly series (name and
// labels as exposed), or -1 when there is none.
func sample(body, series string) float64 {
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

var labelValue = regexp.MustCompile(`[a-z_]+="((?:[^"\\]|\\.)*)"`)

func TestMetricsAfterAFullFlow(t *testing.T) {
	metricsAddr := freePort(t)
	p := startPortal(t,
		"GATEHOUSE_METRICS_ADDR="+metricsAddr,
		"GATEHOUSE_SMS_CONSOLE=false",
		"GATEHOUSE_CAPTCHA_POW_MAXNUMBER=1000",
		"GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32")
	const ip = "203.0.113.77"
	a := miAccount{"Hedy", "hedy.lamarr@example.org", "+12015550188"}
	c := miNewClient(t, ip)
	c.register(p.URL, p.URL, p.Outbox, a)
	miWant(t, "wrong password", c.password(p.URL, a.email, "not-the-password-1"), http.StatusUnauthorized, "")
	c.signIn(p.URL, p.URL, p.Outbox, a)

	if r := c.get(p.URL, "/metrics"); r.status != http.StatusNotFound {
		t.Errorf("the public port answers /metrics with %d, want 404", r.status)
	}
	body := scrape(t, metricsAddr)
	for series, least := range map[string]float64{
		`gatehouse_signins_total{method="password",outcome="success"}`:                            1,
		`gatehouse_signins_total{method="password",outcome="invalid_credentials"}`:                1,
		`gatehouse_signins_total{method="sms",outcome="success"}`:                                 1,
		`gatehouse_sms_sent_total`:                                                                2,
		`gatehouse_verify_calls_total{operation="start_sms"}`:                                     2,
		`gatehouse_verify_calls_total{operation="check_sms"}`:                                     2,
		`gatehouse_http_requests_total{method="POST",route="POST /login",status="303"}`:           1,
		`gatehouse_http_requests_total{method="GET",route="GET /captcha/challenge",status="200"}`: 3,
		`gatehouse_password_hash_wait_seconds_count`:                                              3,
		`gatehouse_password_hash_queue_depth`:                                                     0,
		`gatehouse_database_unavailable_total`:                                                    0,
	} {
		if got := sample(body, series); got < least {
			t.Errorf("%s = %v, want at least %v", series, got, least)
		}
	}
	if sample(body, "go_goroutines") <= 0 || sample(body, "process_resident_memory_bytes") <= 0 {
		t.Error("the Go and process collectors are missing")
	}

	values := labelValue.FindAllStringSubmatch(body, -1)
	if len(values) < 30 {
		t.Fatalf("only %d label values: nothing to check", len(values))
	}
	personal := []string{a.email, "hedy", "example.org", a.phone, strings.TrimPrefix(a.phone, "+1"), "0188", ip, "203.0.113", "127.0.0.1"}
	for _, v := range values {
		for _, s := range personal {
			if strings.Contains(strings.ToLower(v[1]), s) {
				t.Errorf("label value %q holds %q", v[1], s)
			}
		}
	}
	// Everything but the sample values (numbers, which may hold the
	// digits of a phone number by chance): names, labels, help texts.
	var text strings.Builder
	for line := range strings.Lines(body) {
		if !strings.HasPrefix(line, "#") {
			if i := strings.LastIndexByte(strings.TrimSpace(line), ' '); i >= 0 {
				line = line[:i]
			}
		}
		text.WriteString(line)
	}
	for _, s := range personal {
		if strings.Contains(text.String(), s) {
			t.Errorf("the scrape holds %q", s)
		}
	}
}

func TestGracefulShutdownFinishesSignInsInFlight(t *testing.T) {
	metricsAddr := freePort(t)
	const timeout = 30 * time.Second
	p := startPortal(t,
		"GATEHOUSE_METRICS_ADDR="+metricsAddr,
		"GATEHOUSE_SHUTDOWN_TIMEOUT="+timeout.String(),
		"GATEHOUSE_HASH_CONCURRENCY=1",
		"GATEHOUSE_SMS_CONSOLE=false",
		"GATEHOUSE_CAPTCHA_POW_MAXNUMBER=1000",
		"GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32")
	// Five accounts, imported as an operator does; each takes four of the
	// sign-ins, fewer than the parallel attempts that trip an account's lock.
	var emails []string
	for i := range 5 {
		email := "joan" + strconv.Itoa(i) + "@example.com"
		add := exec.Command(binary, "user", "add", "--email", email, "--first-name", "Joan", "--last-name", "Clarke")
		add.Env = append(p.cmd.Env, "GATEHOUSE_LOG_LEVEL=warn")
		add.Stdin = strings.NewReader(miPassword + "\n")
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("user add: %v\n%s", err, out)
		}
		emails = append(emails, email)
	}

	// Twenty visitors, each with a solved CAPTCHA, post the password step
	// at once; one hash runs at a time, so most of them queue.
	const n = 20
	type answer struct {
		r   miResp
		err error
		at  time.Time
	}
	answers := make([]answer, n)
	forms := make([]url.Values, n)
	clients := make([]*miClient, n)
	for i := range n {
		clients[i] = miNewClient(t, "198.51.100."+strconv.Itoa(10+i))
		forms[i] = url.Values{"email": {emails[i%len(emails)]}, "password": {miPassword}, "captcha": {clients[i].captcha(p.URL)}}
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := clients[i].send(http.MethodPost, p.URL+"/login", "application/x-www-form-urlencoded", forms[i].Encode())
			answers[i] = answer{r, err, time.Now()}
		})
	}

	// Signal once every sign-in is inside the server: waiting for the
	// hasher, hashing (one at a time) or answered. A request still in the
	// kernel's accept queue when the listener closes was never in flight.
	inside := func() float64 {
		body := scrape(t, metricsAddr)
		done := max(sample(body, `gatehouse_http_requests_total{method="POST",route="POST /login",status="303"}`), 0)
		return sample(body, "gatehouse_password_hash_queue_depth") + done + 1
	}
	deadline := time.Now().Add(20 * time.Second)
	for inside() < n || sample(scrape(t, metricsAddr), "gatehouse_password_hash_queue_depth") < 5 {
		if time.Now().After(deadline) {
			t.Fatal("the sign-ins never all reached the server with several queued for the hasher")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()

	// New connections are refused while the ones in flight finish.
	var refusedAt time.Time
	for refusedAt.IsZero() && time.Since(signalled) < 10*time.Second {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(p.URL, "http://"), time.Second)
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				refusedAt = time.Now()
			}
			continue
		}
		conn.Close()
		time.Sleep(time.Millisecond)
	}
	if refusedAt.IsZero() {
		t.Error("new connections were still accepted 10s after SIGTERM")
	}

	wg.Wait()
	var last time.Time
	for i, ans := range answers {
		if ans.err != nil {
			t.Errorf("sign-in %d failed in flight: %v", i, ans.err)
			continue
		}
		miWant(t, "sign-in "+strconv.Itoa(i), ans.r, http.StatusSeeOther, "/login/mfa")
		if ans.at.After(last) {
			last = ans.at
		}
	}
	if !refusedAt.IsZero() && !refusedAt.Before(last) {
		t.Errorf("connections were refused only after every sign-in was answered: nothing proves they overlapped")
	}

	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Fatalf("gatehouse exited with %v\n%s", err, p.logs.String())
		}
	case <-time.After(timeout + 5*time.Second):
		t.Fatalf("gatehouse still running %s after SIGTERM", timeout+5*time.Second)
	}
	if took := time.Since(signalled); took > timeout {
		t.Errorf("shutdown took %s, over the %s timeout", took, timeout)
	}
	for _, want := range []string{"shutting down", "msg=\"shut down\""} {
		if !strings.Contains(p.logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}
