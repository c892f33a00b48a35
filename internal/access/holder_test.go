package access

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func writeRules(t *testing.T, path, doc string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestHolderReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.yaml")
	writeRules(t, path, "default_policy: bypass\n")
	h, err := NewHolder(path)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Host: "app.example.com", Path: "/", Method: "GET"}
	if got := h.Decide(req, anonymous); got != Allow {
		t.Fatalf("first rules: %v, want allow", got)
	}

	writeRules(t, path, "default_policy: two_factor\n")
	if err := h.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := h.Decide(req, anonymous); got != SignIn {
		t.Fatalf("after reload: %v, want sign-in", got)
	}

	writeRules(t, path, "default_policy: bypass\nrules:\n  - policy: nope\n  - domain: a.example.com\n")
	err = h.Reload()
	if !errors.Is(err, ErrInvalidRules) {
		t.Fatalf("bad reload: %v, want ErrInvalidRules", err)
	}
	for _, w := range []string{"previous rules", path, "rules[0].domain", "rules[0].policy", "rules[1].policy"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("reload error lacks %q: %v", w, err)
		}
	}
	if got := h.Decide(req, anonymous); got != SignIn {
		t.Errorf("a bad file replaced the rules: %v, want sign-in", got)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := h.Reload(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
	if got := h.Decide(req, anonymous); got != SignIn {
		t.Errorf("a missing file replaced the rules: %v", got)
	}
}

func TestNewHolder(t *testing.T) {
	h, err := NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	if h.Rules() != nil || h.Reload() != nil {
		t.Error("no rules file should mean nil rules and a no-op reload")
	}
	if got := h.Decide(Request{Host: "x.example.com", Path: "/"}, member); got != Allow {
		t.Errorf("no rules file, signed in: %v", got)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeRules(t, bad, "default_policy: maybe\n")
	if _, err := NewHolder(bad); !errors.Is(err, ErrInvalidRules) {
		t.Errorf("bad file at start: %v, want ErrInvalidRules", err)
	}
	if _, err := NewHolder(filepath.Join(t.TempDir(), "absent.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file at start: %v, want ErrNotExist", err)
	}
}

// Decisions run while the rules are swapped; run with -race to check it.
func TestHolderConcurrentReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.yaml")
	writeRules(t, path, exampleRules)
	h, err := NewHolder(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if got := h.Decide(Request{Host: "public.example.com", Path: "/"}, anonymous); got != Allow {
					t.Errorf("decision during reload: %v", got)
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		if err := h.Reload(); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}
