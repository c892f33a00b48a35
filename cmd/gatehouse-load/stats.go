package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// sample is one timed request: how long it took and, when it did not get
// the answer the flow expects, a key naming what it got ("429", "303
// /login", "net").
type sample struct {
	d   time.Duration
	bad string
}

// recorder collects the samples of one scenario run from many workers.
type recorder struct {
	mu      sync.Mutex
	samples []sample
	untimed map[string]int // failures of untimed steps, by key
}

func (r *recorder) add(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

// fail counts a failure of an untimed step (staging, a CAPTCHA fetch): it
// shows in the errors column but is no request.
func (r *recorder) fail(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.untimed == nil {
		r.untimed = map[string]int{}
	}
	r.untimed[key]++
}

// Result is the outcome of one scenario at one concurrency, as printed and
// as written by -json.
type Result struct {
	Scenario    string         `json:"scenario"`
	Concurrency int            `json:"concurrency"`
	Address     string         `json:"address"` // "per-client" or "one"
	Requests    int            `json:"requests"`
	Seconds     float64        `json:"seconds"`
	PerSecond   float64        `json:"requests_per_second"`
	P50ms       float64        `json:"p50_ms"`
	P95ms       float64        `json:"p95_ms"`
	P99ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	Errors      map[string]int `json:"errors"` // by status (and redirect target), "net" for transport errors
	PeakRSSMiB  float64        `json:"peak_rss_mib,omitempty"`
	StartRSSMiB float64        `json:"start_rss_mib,omitempty"` // RSS when the timed phase began (after staging)
	Unavailable string         `json:"unavailable,omitempty"`   // why the scenario could not run
	Note        string         `json:"note,omitempty"`
}

// ErrorCount is the number of requests that did not get the expected answer.
func (r Result) ErrorCount() int {
	n := 0
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// summarize turns the samples into a Result.
func (r *recorder) summarize(name string, c int, oneIP bool, elapsed time.Duration) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Scenario: name, Concurrency: c, Address: "per-client", Requests: len(r.samples),
		Seconds: elapsed.Seconds(), Errors: maps.Clone(r.untimed)}
	if res.Errors == nil {
		res.Errors = map[string]int{}
	}
	if oneIP {
		res.Address = "one"
	}
	if len(r.samples) == 0 {
		return res
	}
	ds := make([]time.Duration, len(r.samples))
	for i, s := range r.samples {
		ds[i] = s.d
		if s.bad != "" {
			res.Errors[s.bad]++
		}
	}
	slices.Sort(ds)
	res.PerSecond = float64(len(ds)) / elapsed.Seconds()
	res.P50ms, res.P95ms, res.P99ms = ms(quantile(ds, 0.50)), ms(quantile(ds, 0.95)), ms(quantile(ds, 0.99))
	res.MaxMs = ms(ds[len(ds)-1])
	return res
}

// quantile returns the nearest-rank q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// errorsText renders errors by key, "0" when none.
func errorsText(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d×%s", m[k], k)
	}
	return strings.Join(parts, " ")
}

// Report is everything one run prints.
type Report struct {
	Argon   []ArgonRate `json:"argon2id"`
	Results []Result    `json:"results"`
}

// printTable writes the results as a plain table.
func printTable(w io.Writer, rep Report) {
	for _, a := range rep.Argon {
		fmt.Fprintf(w, "argon2id (m=%d KiB, t=%d, p=%d), %s, on %d goroutine(s): %.1f hashes/s\n",
			a.MemoryKiB, a.Time, a.Threads, kernelName(a.Kernel), a.Goroutines, a.PerSecond)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tc\taddress\trequests\treq/s\tp50 ms\tp95 ms\tp99 ms\terrors\tpeak RSS MiB (at start)\t")
	for _, r := range rep.Results {
		if r.Unavailable != "" {
			fmt.Fprintf(tw, "%s\t%d\t%s\t-\t-\t-\t-\t-\tunavailable: %s\t-\t\n", r.Scenario, r.Concurrency, r.Address, r.Unavailable)
			continue
		}
		rss := "-"
		if r.PeakRSSMiB > 0 {
			rss = fmt.Sprintf("%.1f (%.1f)", r.PeakRSSMiB, r.StartRSSMiB)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%s\t%s\t\n", r.Scenario, r.Concurrency, r.Address,
			r.Requests, r.PerSecond, r.P50ms, r.P95ms, r.P99ms, errorsText(r.Errors), rss)
	}
	tw.Flush()
	for _, r := range rep.Results {
		if !strings.HasPrefix(r.Scenario, "password") || r.Unavailable != "" || r.Requests == 0 {
			continue
		}
		var ratios []string
		for _, k := range kernels {
			if two := argonOn(rep.Argon, k, 2); two > 0 {
				ratios = append(ratios, fmt.Sprintf("%.2f× raw argon2id on 2 goroutines (%s)", r.PerSecond/two, kernelName(k)))
			}
		}
		if len(ratios) > 0 {
			fmt.Fprintf(w, "%s at c=%d: %s\n", r.Scenario, r.Concurrency, strings.Join(ratios, ", "))
		}
	}
	notes := map[string]bool{}
	for _, r := range rep.Results {
		if r.Note != "" && !notes[r.Note] {
			notes[r.Note] = true
			fmt.Fprintf(w, "note (%s, c=%d): %s\n", r.Scenario, r.Concurrency, r.Note)
		}
	}
}

// printJSON writes the report as one JSON document.
func printJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	return nil
}

// argonOn returns the rate measured with kernel on g goroutines, 0 when not
// measured.
func argonOn(rates []ArgonRate, kernel string, g int) float64 {
	for _, r := range rates {
		if r.Kernel == kernel && r.Goroutines == g {
			return r.PerSecond
		}
	}
	return 0
}
