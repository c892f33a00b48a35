package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	d, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Now()
	for i := 1; i <= 3; i++ {
		w, err := d.Hit(ctx, "k", 1, time.Minute, now)
		if err != nil || w.Count != i {
			t.Fatal(w, err)
		}
	}
	w, _ := d.Hit(ctx, "k", 1, time.Minute, now.Add(2*time.Minute))
	if w.Count != 1 {
		t.Fatal(w)
	}
	if err := d.SpendToken(ctx, "h", now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	if err := d.SpendToken(ctx, "h", now.Add(time.Minute), now); err == nil {
		t.Fatal("reuse")
	}
}
