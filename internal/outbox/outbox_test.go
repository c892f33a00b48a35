package outbox

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestAppendIsWholeLinesOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "outbox.jsonl")
	o, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := o.Append(map[string]int{"n": i}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v map[string]int
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		seen[v["n"]] = true
	}
	if len(seen) != 50 {
		t.Fatalf("%d distinct lines, want 50", len(seen))
	}
	// A reader that takes the file away gets a new one with the next line.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := o.Append("again"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "\"again\"\n" {
		t.Fatalf("recreated outbox: %q, %v", b, err)
	}
}
