package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/verify/twilio/twiliotest"
)

// slowTwilio serves the project's Twilio Verify emulator on a loopback
// address with a delay on its answers, so the portal can be measured while
// its verify provider is slow. Every SMS code it "sends" is appended to an
// outbox file in the portal's format, for the load tool to read.
func slowTwilio(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatehouse-load slow-twilio", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8099", "loopback address to listen on")
	delay := fs.Duration("delay", 300*time.Millisecond, "delay before each SMS send and check is answered")
	all := fs.Bool("all", false, "delay every request (authenticator ones too), not only SMS sends and checks")
	box := fs.String("outbox", "", "file to append each SMS code to, as JSON Lines (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *delay < 0 || *delay > 10*time.Second || *box == "" {
		return errors.New("slow-twilio: need -outbox and 0 <= -delay <= 10s")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("slow-twilio: -addr: %w", err)
	}
	if err := checkLoopbackURL("http://" + net.JoinHostPort(host, "1")); err != nil {
		return fmt.Errorf("slow-twilio: -addr %w", err)
	}
	tb := &fakeTB{dir: os.TempDir()}
	defer tb.cleanup()
	emu := twiliotest.New(tb, twiliotest.Options{})
	if tb.failed != "" {
		return fmt.Errorf("slow-twilio: %s", tb.failed)
	}
	target, _ := url.Parse(emu.URL()) // the emulator's own URL parses
	p := &slowProxy{emu: emu, next: httputil.NewSingleHostReverseProxy(target), delay: *delay, all: *all, outbox: *box}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("slow-twilio: %w", err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	fmt.Fprintf(stdout, "Twilio Verify emulator on http://%s, %s delay on %s. Start the portal with:\n"+
		"  GATEHOUSE_VERIFY=twilio GATEHOUSE_TWILIO_BASE_URL=http://%s TWILIO_ACCOUNT_SID=%s TWILIO_AUTH_TOKEN=%s TWILIO_VERIFY_SERVICE_SID=%s\n",
		ln.Addr(), *delay, map[bool]string{false: "SMS sends and checks", true: "every request"}[*all],
		ln.Addr(), twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken, twiliotest.DefaultServiceSID)
	go p.forgetRequests(ctx)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("slow-twilio: %w", err)
	}
	return nil
}

// slowProxy delays requests, passes them to the emulator and records the
// codes of successful sends.
type slowProxy struct {
	emu    *twiliotest.Emulator
	next   http.Handler
	delay  time.Duration
	all    bool
	outbox string
	mu     sync.Mutex // one writer of the outbox
}

func (p *slowProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sms := strings.HasSuffix(r.URL.Path, "/Verifications") || strings.HasSuffix(r.URL.Path, "/VerificationCheck")
	if p.delay > 0 && (p.all || sms) {
		select {
		case <-time.After(p.delay):
		case <-r.Context().Done():
			return
		}
	}
	send := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Verifications")
	var to string
	if send {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		to = form.Get("To")
	}
	sw := &statusRecorder{ResponseWriter: w}
	p.next.ServeHTTP(sw, r)
	if send && sw.status == http.StatusCreated {
		if code, ok := p.emu.LastCode(to); ok {
			p.record(to, code)
		}
	}
}

// record appends one message to the outbox, as the portal's outbox does.
func (p *slowProxy) record(to, code string) {
	line, _ := json.Marshal(map[string]any{"to": to, "code": code, "sent_at": time.Now().UTC()})
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.outbox, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	_, _ = f.Write(append(line, '\n'))
	_ = f.Close()
}

// forgetRequests empties the emulator's request log now and then: a long
// run would otherwise keep every request in memory.
func (p *slowProxy) forgetRequests(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.emu.Reset()
		}
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// fakeTB is the little of testing.TB the emulator uses (Helper, TempDir,
// Fatalf, Cleanup), so a command can run it outside a test. Any other
// method would panic on the nil embedded interface.
type fakeTB struct {
	testing.TB
	dir      string
	tmp      []string
	cleanups []func()
	failed   string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) TempDir() string {
	d, err := os.MkdirTemp(f.dir, "gatehouse-slow-twilio-")
	if err != nil {
		f.failed = err.Error()
		return f.dir
	}
	f.tmp = append(f.tmp, d)
	return d
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	panic(f.failed) // as t.Fatalf, nothing after it may run
}

func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func (f *fakeTB) cleanup() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	for _, d := range f.tmp {
		_ = os.RemoveAll(d)
	}
}
