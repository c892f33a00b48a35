//go:build unix

package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proxyLog collects a child process's output for a failing test's log.
type proxyLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *proxyLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *proxyLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proxyFreePort returns a loopback address nobody listens on right now.
func proxyFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proxyBinary finds a proxy on PATH. With CI=true a missing one fails the
// test; elsewhere it skips.
func proxyBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found and CI=true: proxy tests must run (apt-get install %s)", name, pkg)
	}
	t.Skipf("%s not found; install it (apt-get install %s) to run proxy tests", name, pkg)
	return ""
}

// proxyStart runs cmd in its own process group until the test ends, then
// stops it and anything it started, and waits until listen answers HTTP.
func proxyStart(t *testing.T, cmd *exec.Cmd, listen string) {
	t.Helper()
	logs := &proxyLog{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			// The group holds nginx's workers as well as the master.
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), logs.String())
		}
	})
	probe := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("%s exited at start:\n%s", filepath.Base(cmd.Path), logs.String())
		default:
		}
		resp, err := probe.Get("http://" + listen + "/")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer on %s: %v\n%s", filepath.Base(cmd.Path), listen, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxyStartNginx writes the configuration into a temporary prefix and runs
// nginx in the foreground on p.Listen.
func proxyStartNginx(t *testing.T, p proxyPorts) {
	t.Helper()
	bin := proxyBinary(t, "nginx", "nginx")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := proxyNginxConfig(p, os.Geteuid() == 0)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir+"/", "-c", "nginx.conf", "-e", "error.log", "-g", "daemon off;")
	proxyStart(t, cmd, p.Listen)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", b)
		}
	})
}

// proxyStartCaddy writes the Caddyfile into a temporary directory and runs
// Caddy in the foreground on p.Listen, its data and config kept there too.
func proxyStartCaddy(t *testing.T, p proxyPorts) {
	t.Helper()
	bin := proxyBinary(t, "caddy", "caddy")
	dir := t.TempDir()
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(proxyCaddyfile(p)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	proxyStart(t, cmd, p.Listen)
}
