package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/metrics"
	"gatehouse/internal/password"
	"gatehouse/internal/verify"
	"gatehouse/internal/web"
)

// *Metrics is the observer of every package that reports.
var (
	_ web.Observer      = (*metrics.Metrics)(nil)
	_ auth.Observer     = (*metrics.Metrics)(nil)
	_ password.Observer = (*metrics.Metrics)(nil)
	_ verify.Observer   = (*metrics.Metrics)(nil)
)

func scrape(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, string(b)
}

func TestEventsBecomeSamples(t *testing.T) {
	m := metrics.New()
	m.Request("GET", "GET /login", 200, 30*time.Millisecond)
	m.Request("GET", "GET /login", 200, 10*time.Millisecond)
	m.Request("POST", "POST /login", 429, time.Millisecond)
	m.DatabaseUnavailable()
	m.SignIn("password", "success")
	m.SignIn("sms", "wrong_code")
	m.SMS("sent")
	m.SMS("sms-cool")
	m.Lockout()
	m.Limited("sms-cool", 30*time.Second)
	m.Called("start_sms", "ok", 5*time.Millisecond)
	m.Called("check_sms", "unavailable", 2*time.Second)
	m.Queued(1)
	m.Queued(1)
	m.Queued(-1)
	m.Waited(20 * time.Millisecond)

	code, body := scrape(t, m.Handler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, want := range []string{
		`gatehouse_http_requests_total{method="GET",route="GET /login",status="200"} 2`,
		`gatehouse_http_requests_total{method="POST",route="POST /login",status="429"} 1`,
		`gatehouse_http_request_duration_seconds_count{method="GET",route="GET /login"} 2`,
		`gatehouse_database_unavailable_total 1`,
		`gatehouse_signins_total{method="password",outcome="success"} 1`,
		`gatehouse_signins_total{method="sms",outcome="wrong_code"} 1`,
		`gatehouse_sms_sent_total 1`,
		`gatehouse_sms_refused_total{reason="sms-cool"} 1`,
		`gatehouse_account_lockouts_total 1`,
		`gatehouse_limit_wait_seconds_bucket{limit="sms-cool",le="30"} 1`,
		`gatehouse_limit_wait_seconds_bucket{limit="sms-cool",le="5"} 0`,
		`gatehouse_verify_calls_total{operation="start_sms"} 1`,
		`gatehouse_verify_calls_total{operation="check_sms"} 1`,
		`gatehouse_verify_errors_total{code="unavailable",operation="check_sms"} 1`,
		`gatehouse_verify_call_duration_seconds_count{operation="check_sms"} 1`,
		`gatehouse_password_hash_queue_depth 1`,
		`gatehouse_password_hash_wait_seconds_count 1`,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(body, `operation="start_sms",code`) || strings.Contains(body, `code="ok"`) {
		t.Errorf("a successful call was counted as an error:\n%s", body)
	}
}

func TestHandlerServesOnlyMetrics(t *testing.T) {
	m := metrics.New()
	for _, path := range []string{"/", "/healthz", "/metrics/x", "/debug/pprof/", "/debug/pprof/heap"} {
		if code, _ := scrape(t, m.Handler(), path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
}

// TestProfilesOnlyWhenAsked checks that Go's profiles are served by the
// handler with profiles, beside the metrics, and by no other.
func TestProfilesOnlyWhenAsked(t *testing.T) {
	m := metrics.New()
	h := m.HandlerWithProfiles()
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/goroutine?debug=1", "/metrics"} {
		if code, body := scrape(t, h, path); code != http.StatusOK || body == "" {
			t.Errorf("GET %s: %d (%d bytes), want 200 with a body", path, code, len(body))
		}
	}
	if code, _ := scrape(t, h, "/"); code != http.StatusNotFound {
		t.Errorf("GET /: %d, want 404", code)
	}
}

// TestRegistriesAreSeparate checks that no metric is global: two portals
// in one process count apart.
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Lockout()
	if _, body := scrape(t, b.Handler(), "/metrics"); !strings.Contains(body, "gatehouse_account_lockouts_total 0") {
		t.Errorf("a lockout in one registry showed in another")
	}
}
