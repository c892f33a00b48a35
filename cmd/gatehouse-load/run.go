package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errDone ends a worker: its scenario has nothing left to do (a pool of
// staged sign-ins is used up).
var errDone = errors.New("nothing left to do")

// env is what every scenario shares: the portal, the outbox, the client
// addresses and the prepared users.
type env struct {
	base      string
	transport *http.Transport
	box       *outbox
	addrs     *addresses
	users     []*user
	held      chan *user // users free to be held by one worker at a time
	next      atomic.Uint64
	pid       int
	log       io.Writer
	waited    atomic.Int64 // nanoseconds workers slept for a fresh authenticator step
}

// plan bounds a scenario run: c workers until d has passed or n timed
// requests have started (n 0: no count bound).
type plan struct {
	c     int
	n     int
	d     time.Duration
	oneIP bool // every visitor on one client address
}

// job is a scenario ready to run. op does one iteration of worker w: the
// untimed steps, then the timed request(s), each recorded in rec.
type job struct {
	op          func(ctx context.Context, w int, rec *recorder) error
	staged      bool   // op draws from a pool staged for at most n requests
	unavailable string // the portal cannot run this scenario
	note        string
}

// scenario is one flow to measure.
type scenario struct {
	name  string
	times string // what one timed request is, for -list and the doc
	oneIP bool   // every visitor on one client address
	setup func(ctx context.Context, e *env, p plan, rec *recorder) (job, error)
}

// run sets a scenario up (untimed) and runs it closed-loop.
func (e *env) run(ctx context.Context, sc scenario, p plan) (Result, error) {
	rec := &recorder{}
	oneIP := sc.oneIP || e.addrs.oneIP
	p.oneIP = oneIP
	j, err := sc.setup(ctx, e, p, rec)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", sc.name, err)
	}
	if j.unavailable != "" {
		r := rec.summarize(sc.name, p.c, oneIP, 0)
		r.Unavailable = j.unavailable
		return r, nil
	}
	e.waited.Store(0)
	// The moment the timed phase starts, for whoever profiles the portal
	// over it (GATEHOUSE_PPROF, docs/PERFORMANCE.md).
	fmt.Fprintf(e.log, "timing %s at c=%d\n", sc.name, p.c)
	rss := watchRSS(e.pid)
	var started atomic.Int64
	start := time.Now()
	deadline := start.Add(p.d)
	var wg sync.WaitGroup
	for w := range p.c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if !j.staged && p.n > 0 && started.Add(1) > int64(p.n) {
					return
				}
				if err := j.op(ctx, w, rec); err != nil {
					if !errors.Is(err, errDone) {
						rec.fail("untimed " + errKey(err))
					}
					if errors.Is(err, errDone) || ctx.Err() != nil {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := rec.summarize(sc.name, p.c, oneIP, elapsed)
	r.Note = j.note
	if w := time.Duration(e.waited.Load()); w > 0 {
		r.Note = strings.TrimPrefix(r.Note+"; ", "; ") + fmt.Sprintf("workers slept %s in all for a fresh "+
			"authenticator time step, counted in req/s (more -users avoid it)", w.Round(time.Millisecond))
	}
	peak, startRSS, err := rss.finish()
	if err != nil {
		return r, fmt.Errorf("%s: %w", sc.name, err)
	}
	r.PeakRSSMiB, r.StartRSSMiB = peak, startRSS
	return r, ctx.Err()
}

// timed sends one request of visitor v and records how long it took and
// whether it got the expected status (and redirect target).
func timed(ctx context.Context, rec *recorder, v *visitor, method, path string, form map[string][]string,
	status int, location string) {
	t0 := time.Now()
	a, err := v.do(ctx, method, path, form)
	d := time.Since(t0)
	switch {
	case err != nil:
		rec.add(sample{d: d, bad: "net"})
	case expect(a, status, location) != nil:
		rec.add(sample{d: d, bad: a.key()})
	default:
		rec.add(sample{d: d})
	}
}

// parallel runs fn(i) for i in [0, k) on at most workers goroutines. The
// first error stops the others and is returned.
func parallel(ctx context.Context, k, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, k) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= k {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// stageWorkers is how many visitors prepare users and staged sign-ins at once.
const stageWorkers = 8

// stage prepares up to k items with build on stageWorkers goroutines. A
// failed item is counted in rec as an untimed error and left out.
func stage[T any](ctx context.Context, k int, rec *recorder, build func(ctx context.Context, i int) (T, error)) (chan T, error) {
	items := make(chan T, k)
	err := parallel(ctx, k, stageWorkers, func(ctx context.Context, i int) error {
		it, err := build(ctx, i)
		if err != nil {
			rec.fail("staging " + errKey(err))
			return nil
		}
		items <- it
		return nil
	})
	close(items)
	return items, err
}

// holdUser takes a user no other worker holds, with an authenticator code
// accepted now, waiting for the next time step when every free user has
// spent theirs. Give it back with release.
func (e *env) holdUser(ctx context.Context) (*user, error) {
	for {
		for range len(e.users) {
			var u *user
			select {
			case u = <-e.held:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if u.codesLeft(time.Now()) > 0 {
				return u, nil
			}
			e.held <- u
		}
		if err := e.sleepToNextStep(ctx); err != nil {
			return nil, err
		}
	}
}

func (e *env) release(u *user) { e.held <- u }

// sleepToNextStep waits for the next authenticator time step.
func (e *env) sleepToNextStep(ctx context.Context) error {
	wait := time.Until(time.Unix((totpStep(time.Now())+1)*30, 0))
	e.waited.Add(int64(wait))
	select {
	case <-time.After(wait):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// roundRobin returns the next user in turn.
func (e *env) roundRobin() *user {
	return e.users[(e.next.Add(1)-1)%uint64(len(e.users))]
}
