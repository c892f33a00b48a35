package captcha

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/store"
)

var _ Spender = (*store.DB)(nil)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A solved challenge works once against the real store, also when several
// requests race with it, and expires rather than coming back to life.
func TestPoWSingleUseSQLite(t *testing.T) {
	db := openStore(t)
	clk := &clock{t: testStart}
	p, err := NewPoW(PoWOptions{Key: testKey, UsedKey: testUsedKey, Spender: db, MaxNumber: 1000, Now: clk.Now, Rand: seeded(2)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	c, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	tok := encode(t, payload(c, solve(t, c)))
	wantErr(t, p.Verify(ctx, tok, ""), nil)
	wantErr(t, p.Verify(ctx, tok, ""), ErrReused)

	// Racing requests with one fresh token: exactly one wins.
	c, err = p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	tok = encode(t, payload(c, solve(t, c)))
	const racers = 8
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { errs[i] = p.Verify(ctx, tok, "") })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrReused):
			t.Errorf("racer: %v, want nil or ErrReused", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d racers verified one token, want exactly 1", ok)
	}

	// After a sweep of expired rows the token is still refused, as expired.
	clk.t = clk.t.Add(DefaultTTL)
	if err := db.Sweep(ctx, clk.t); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.Verify(ctx, tok, ""), ErrExpired)
}

func TestSiteverifySingleUseSQLite(t *testing.T) {
	db := openStore(t)
	f := newFakeProvider(t, 200, `{"success":true}`)
	s, err := NewSiteverify(SiteverifyOptions{Kind: "turnstile", SiteKey: "site", Secret: "secret", VerifyURL: f.srv.URL, Spender: db, UsedKey: testUsedKey, Now: func() time.Time { return testStart }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wantErr(t, s.Verify(ctx, "tok-1", ""), nil)
	wantErr(t, s.Verify(ctx, "tok-1", ""), ErrReused)
	wantErr(t, s.Verify(ctx, "tok-2", ""), nil)
	if n := f.count(); n != 2 {
		t.Errorf("provider called %d times, want 2", n)
	}
}
