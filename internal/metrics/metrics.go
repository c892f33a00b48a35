// Package metrics holds the portal's Prometheus metrics in a registry of
// its own (no global state), with the Go runtime and process collectors.
// *Metrics implements the small observer interfaces the other packages
// declare (web.Observer, auth.Observer, password.Observer,
// verify.Observer), so none of them imports Prometheus; it does not import
// them either, and main hands one *Metrics to each.
//
// Every label value comes from a fixed vocabulary of the package that
// reports it (a route pattern, a method, an outcome, a limit name, an
// operation, an error code): never an email, phone number, IP address,
// code or token.
package metrics

import (
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric of the portal.
const namespace = "gatehouse"

// Metrics is the portal's registry and the metrics in it. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	dbUnavailable prometheus.Counter

	signIns    *prometheus.CounterVec
	smsSent    prometheus.Counter
	smsRefused *prometheus.CounterVec
	lockouts   prometheus.Counter
	limitWaits *prometheus.HistogramVec

	verifyCalls    *prometheus.CounterVec
	verifyErrors   *prometheus.CounterVec
	verifyDuration *prometheus.HistogramVec

	hashQueue prometheus.Gauge
	hashWait  prometheus.Histogram
}

// New returns the metrics in a fresh registry.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	f := factory{reg}
	m := &Metrics{
		reg: reg,
		requests: f.counterVec("http_requests_total",
			"HTTP requests answered, by method, route pattern and status.", "method", "route", "status"),
		duration: f.histogramVec("http_request_duration_seconds",
			"Time to answer an HTTP request, by method and route pattern.", prometheus.DefBuckets, "method", "route"),
		dbUnavailable: f.counter("database_unavailable_total",
			"HTTP requests that met the database unavailable (store.ErrUnavailable)."),
		signIns: f.counterVec("signins_total",
			"Sign-in steps by method (password, sms, totp, backup) and outcome; a second factor's success completes a sign-in.",
			"method", "outcome"),
		smsSent: f.counter("sms_sent_total", "SMS codes handed to the verify provider."),
		smsRefused: f.counterVec("sms_refused_total",
			"SMS code requests not sent, by reason (a limit name or an outcome).", "reason"),
		lockouts: f.counter("account_lockouts_total", "Accounts locked after repeated failures."),
		limitWaits: f.histogramVec("limit_wait_seconds",
			"Refusals by a rate limit, by limit, with the wait each asked for.",
			[]float64{1, 5, 30, 60, 300, 600, 900, 1800, 3600}, "limit"),
		verifyCalls: f.counterVec("verify_calls_total",
			"Calls to the verify provider, by operation.", "operation"),
		verifyErrors: f.counterVec("verify_errors_total",
			"Failed calls to the verify provider, by operation and error code.", "operation", "code"),
		verifyDuration: f.histogramVec("verify_call_duration_seconds",
			"Time of a call to the verify provider, by operation.", prometheus.DefBuckets, "operation"),
		hashQueue: f.gauge("password_hash_queue_depth",
			"Password hashes waiting for a slot (GATEHOUSE_HASH_CONCURRENCY bounds those running)."),
		hashWait: f.histogram("password_hash_wait_seconds",
			"Time a password hash waited for a slot.", []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gatherer returns the registry, for tests and custom exposition.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the registry in the Prometheus text format on GET
// /metrics and 404 elsewhere. It belongs on a listener of its own, never
// the public one.
func (m *Metrics) Handler() http.Handler { return m.handler(false) }

// HandlerWithProfiles is Handler plus Go's profiles (net/http/pprof)
// under /debug/pprof/, for an operator who asked for them
// (GATEHOUSE_PPROF). Like the metrics, never for the public listener.
func (m *Metrics) HandlerWithProfiles() http.Handler { return m.handler(true) }

func (m *Metrics) handler(profiles bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	if profiles {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// Request implements web.Observer.
func (m *Metrics) Request(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// DatabaseUnavailable implements web.Observer.
func (m *Metrics) DatabaseUnavailable() { m.dbUnavailable.Inc() }

// SignIn implements auth.Observer.
func (m *Metrics) SignIn(method, outcome string) { m.signIns.WithLabelValues(method, outcome).Inc() }

// SMS implements auth.Observer.
func (m *Metrics) SMS(outcome string) {
	if outcome == "sent" {
		m.smsSent.Inc()
		return
	}
	m.smsRefused.WithLabelValues(outcome).Inc()
}

// Lockout implements auth.Observer.
func (m *Metrics) Lockout() { m.lockouts.Inc() }

// Limited implements auth.Observer.
func (m *Metrics) Limited(limit string, wait time.Duration) {
	m.limitWaits.WithLabelValues(limit).Observe(wait.Seconds())
}

// Called implements verify.Observer.
func (m *Metrics) Called(op, code string, d time.Duration) {
	m.verifyCalls.WithLabelValues(op).Inc()
	m.verifyDuration.WithLabelValues(op).Observe(d.Seconds())
	if code != "ok" {
		m.verifyErrors.WithLabelValues(op, code).Inc()
	}
}

// Queued implements password.Observer.
func (m *Metrics) Queued(delta int) { m.hashQueue.Add(float64(delta)) }

// Waited implements password.Observer.
func (m *Metrics) Waited(d time.Duration) { m.hashWait.Observe(d.Seconds()) }
