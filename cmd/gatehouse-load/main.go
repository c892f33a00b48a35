// Command gatehouse-load drives a running Gatehouse portal through its real
// flows and reports throughput, latency percentiles, errors by status and
// the server's peak memory.
//
//	gatehouse-load -url http://127.0.0.1:8080 -outbox data/sms-outbox.jsonl -users 200 -c 2,8,32 -duration 10s
//	gatehouse-load seed -database-url sqlite:data/gatehouse.db -n 1000000
//	gatehouse-load slow-twilio -addr 127.0.0.1:8099 -delay 300ms -outbox twilio-outbox.jsonl
//
// It first prepares -users accounts through the real registration (reading
// the SMS codes from the portal's outbox), each with an authenticator and
// backup codes, then runs each scenario closed-loop: -c workers each do one
// operation, record its latency and status, and start again, until
// -duration has passed or -n requests have started. Only loopback portals
// are accepted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Bounds on a run, whatever the flags say.
const (
	maxDuration    = 5 * time.Minute // per scenario and concurrency
	maxRequests    = 200_000         // -n
	maxUsers       = 20_000
	maxConcurrency = 1_000
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "seed":
			return seed(ctx, args[1:], stdout, stderr)
		case "slow-twilio":
			return slowTwilio(ctx, args[1:], stdout, stderr)
		}
	}
	return load(ctx, args, stdout, stderr)
}

// options are the flags of a load run.
type options struct {
	url, outbox, scenarios string
	users, n, pid          int
	conc                   []int
	duration, argon        time.Duration
	oneIP, noXFF, json     bool
}

func parseLoad(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("gatehouse-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the portal's base URL (loopback only)")
	fs.StringVar(&o.outbox, "outbox", "", "the portal's SMS outbox (JSON Lines), to read registration and sign-in codes")
	fs.StringVar(&o.scenarios, "scenario", "all", "comma-separated scenarios, or all: "+scenarioNames())
	fs.IntVar(&o.users, "users", 50, "accounts to prepare through the real registration")
	fs.IntVar(&o.n, "n", 0, "timed requests per scenario and concurrency (0: until -duration; staged scenarios stage at most 1000)")
	fs.IntVar(&o.pid, "pid", 0, "the portal's process id, to report its peak RSS")
	conc := fs.String("c", "8", "concurrency: workers in flight, a comma-separated list runs each")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "longest run per scenario and concurrency")
	fs.DurationVar(&o.argon, "argon", 3*time.Second, "time to measure raw argon2id on 1 and on 2 goroutines, with x/crypto and with the portal's hasher (0: skip)")
	fs.BoolVar(&o.oneIP, "one-ip", false, "every visitor of every scenario on one client address")
	fs.BoolVar(&o.noXFF, "no-xff", false, "send no X-Forwarded-For (a portal that does not trust the loopback proxy)")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var errs []error
	for _, s := range strings.Split(*conc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 || c > maxConcurrency {
			errs = append(errs, fmt.Errorf("-c: %q is not a concurrency from 1 to %d", s, maxConcurrency))
			continue
		}
		o.conc = append(o.conc, c)
	}
	if o.duration <= 0 || o.duration > maxDuration {
		errs = append(errs, fmt.Errorf("-duration: must be in (0, %s]", maxDuration))
	}
	if o.n < 0 || o.n > maxRequests {
		errs = append(errs, fmt.Errorf("-n: must be in [0, %d]", maxRequests))
	}
	if o.users < 1 || o.users > maxUsers {
		errs = append(errs, fmt.Errorf("-users: must be in [1, %d]", maxUsers))
	}
	if o.argon < 0 || o.argon > time.Minute {
		errs = append(errs, errors.New("-argon: must be in [0, 1m]"))
	}
	if o.outbox == "" {
		errs = append(errs, errors.New("-outbox: required (the portal's GATEHOUSE_SMS_OUTBOX, by default DATA_DIR/sms-outbox.jsonl)"))
	}
	if _, err := selectScenarios(o.scenarios); err != nil {
		errs = append(errs, err)
	}
	if err := checkLoopbackURL(o.url); err != nil {
		errs = append(errs, err)
	}
	return o, errors.Join(errs...)
}

func scenarioNames() string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return strings.Join(names, ",")
}

// selectScenarios returns the named scenarios in their run order.
func selectScenarios(list string) ([]scenario, error) {
	if list == "all" {
		return scenarios, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		want[strings.TrimSpace(n)] = true
	}
	var out []scenario
	for _, s := range scenarios {
		if want[s.name] {
			out = append(out, s)
			delete(want, s.name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("-scenario: unknown %q (known: %s)", n, scenarioNames())
	}
	return out, nil
}

// load prepares the users and runs the scenarios.
func load(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseLoad(args, stderr)
	if err != nil {
		return err
	}
	sel, _ := selectScenarios(o.scenarios)
	var rep Report
	if o.argon > 0 {
		for _, k := range kernels {
			for _, g := range []int{1, 2} {
				r, err := measureArgon(ctx, k, g, o.argon)
				if err != nil {
					return err
				}
				rep.Argon = append(rep.Argon, r)
			}
		}
	}
	e := &env{base: strings.TrimRight(o.url, "/"), transport: loopbackTransport(), box: newOutbox(o.outbox),
		addrs: newAddresses(o.oneIP, o.noXFF), pid: o.pid, log: stderr}
	defer e.transport.CloseIdleConnections()
	if err := e.prepare(ctx, o.users); err != nil {
		return err
	}
	for _, sc := range sel {
		for _, c := range o.conc {
			fmt.Fprintf(stderr, "running %s at c=%d…\n", sc.name, c)
			r, err := e.run(ctx, sc, plan{c: c, n: o.n, d: o.duration})
			if err != nil {
				return err
			}
			rep.Results = append(rep.Results, r)
		}
	}
	if o.json {
		return printJSON(stdout, rep)
	}
	printTable(stdout, rep)
	return nil
}

// prepare registers n users through the real flow, stageWorkers at a time.
func (e *env) prepare(ctx context.Context, n int) error {
	start := time.Now()
	fmt.Fprintf(e.log, "preparing %d users through registration…\n", n)
	run := randomHex(4)
	e.users = make([]*user, n)
	err := parallel(ctx, n, stageWorkers, func(ctx context.Context, i int) error {
		u, err := e.prepareUser(ctx, run, i)
		if err != nil {
			return fmt.Errorf("prepare user %d: %w", i, err)
		}
		e.users[i] = u
		return nil
	})
	if err != nil && errKey(err) == "429" {
		return fmt.Errorf("%w (more than 10 users need GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32 on the portal)", err)
	}
	if err != nil {
		return err
	}
	e.held = make(chan *user, n)
	for _, u := range e.users {
		e.held <- u
	}
	fmt.Fprintf(e.log, "prepared %d users in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
