package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// binary is the gatehouse binary built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gatehouse")
	build := exec.Command("go", "build", "-o", binary, "../cmd/gatehouse")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build gatehouse:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// portal is one running `gatehouse serve`.
type portal struct {
	URL     string
	DataDir string
	Outbox  string
	cmd     *exec.Cmd
	logs    *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startPortal runs the binary on a free loopback port with extra env, and
// stops it when the test ends.
func startPortal(t *testing.T, env ...string) *portal {
	t.Helper()
	return startPortalAt(t, freePort(t), env...)
}

// startPortalAt is startPortal on addr, for a portal whose base URL must
// name its port.
func startPortalAt(t *testing.T, addr string, env ...string) *portal {
	t.Helper()
	data := t.TempDir()
	p := &portal{URL: "http://" + addr, DataDir: data, Outbox: filepath.Join(data, "sms-outbox.jsonl"), logs: &lockedBuffer{}}
	p.cmd = exec.Command(binary, "serve")
	p.cmd.Env = append(os.Environ(), "GATEHOUSE_ADDR="+addr, "GATEHOUSE_DATA_DIR="+data)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("portal log:\n%s", p.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal did not become healthy: %v\n%s", err, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outboxMessage is one line of the local engine's outbox.
type outboxMessage struct {
	To     string    `json:"to"`
	Code   string    `json:"code"`
	SentAt time.Time `json:"sent_at"`
}

// lastCode returns the last code sent to the E.164 number to, as a person
// reads it from the console or the outbox file.
func (p *portal) lastCode(t *testing.T, to string) string {
	t.Helper()
	return outboxCode(t, p.Outbox, to)
}

// outboxCode returns the last code the outbox file records for to.
func outboxCode(t *testing.T, outbox, to string) string {
	t.Helper()
	f, err := os.Open(outbox)
	if err != nil {
		t.Fatalf("outbox: %v", err)
	}
	defer f.Close()
	var code string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m outboxMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("outbox line %q: %v", sc.Text(), err)
		}
		if m.To == to {
			code = m.Code
		}
	}
	if code == "" {
		t.Fatalf("no code sent to %s", to)
	}
	return code
}

// chromePath finds Chromium. With CI=true a missing browser fails the test;
// elsewhere it skips.
func chromePath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GATEHOUSE_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium not found and CI=true: browser tests must run (apt-get install chromium)")
	}
	t.Skip("Chromium not found; install it (apt-get install chromium) to run browser tests")
	return ""
}

// browser starts a headless Chromium for the test, with a window of the
// given size, and returns its context.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	return browserWith(t, width, height)
}

// browserWith is browser with extra allocator options (flags).
func browserWith(t *testing.T, width, height int, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromePath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// artifacts is where screenshots go: $GATEHOUSE_ARTIFACTS or ./artifacts at
// the repository root.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("GATEHOUSE_ARTIFACTS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "artifacts")
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves a full-page PNG screenshot named name.png.
func shot(t *testing.T, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(artifacts(t), name+".png"), buf, 0o644)
	})
}

// settled waits until the page stops moving after a viewport or colour
// scheme change: no animation or transition running and the same layout
// size on two polls in a row (bounded, so a page that never settles fails).
func settled() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		const probe = `(() => { const running = document.getAnimations().some(a => a.playState === 'running');
			const e = document.documentElement; return running ? '' : e.scrollWidth + 'x' + e.scrollHeight; })()`
		last := ""
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			v, err := chromedp.Evaluate[string](probe)(ctx, tg)
			if err != nil {
				return fmt.Errorf("settle: %w", err)
			}
			if v != "" && v == last {
				return nil
			}
			last = v
		}
		return errors.New("the page did not settle within 5 s")
	})
}
