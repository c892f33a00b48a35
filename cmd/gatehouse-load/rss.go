package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssWatch follows the resident memory of the portal's process while a
// scenario runs: it resets the kernel's high-water mark at the start
// (clear_refs 5, where allowed) and polls VmRSS every 10 ms; the peak is
// the larger of the polled maximum and VmHWM.
type rssWatch struct {
	pid  int
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	start int64 // KiB when the scenario started
	peak  int64 // KiB
	err   error
}

// watchRSS starts watching pid; pid 0 watches nothing.
func watchRSS(pid int) *rssWatch {
	w := &rssWatch{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	if pid == 0 {
		close(w.done)
		return w
	}
	// Only the owner may reset the mark; without it VmHWM covers the
	// process's whole life and only the polled VmRSS is per scenario.
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	w.start, w.err = procStatus(pid, "VmRSS")
	go func() {
		defer close(w.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			w.sample("VmRSS")
			select {
			case <-w.stop:
				w.sample("VmRSS")
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) sample(field string) {
	kib, err := procStatus(w.pid, field)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.err = err
		return
	}
	w.peak = max(w.peak, kib)
}

// finish stops watching and returns the peak and the RSS at the start in
// MiB (0 without a pid).
func (w *rssWatch) finish() (peak, start float64, err error) {
	if w.pid == 0 {
		return 0, 0, nil
	}
	close(w.stop)
	<-w.done
	w.sample("VmHWM")
	w.mu.Lock()
	defer w.mu.Unlock()
	return float64(w.peak) / 1024, float64(w.start) / 1024, w.err
}

// procStatus reads one "Name: N kB" field of /proc/PID/status.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("rss: %s: %w", field, err)
		}
		return v, nil
	}
	return 0, fmt.Errorf("rss: no %s in /proc/%d/status", field, pid)
}
