package password

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHashVerify(t *testing.T) {
	h, err := NewHasher(DefaultParams, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash format %q", hash)
	}
	if ok, err := h.Verify(ctx, hash, "correct horse battery staple"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := h.Verify(ctx, hash, "correct horse battery stapl"); ok {
		t.Fatal("wrong password accepted")
	}
	// No truncation: a long password differing only at the end is different.
	long := strings.Repeat("x", 255)
	lh, _ := h.Hash(ctx, long+"a")
	if ok, _ := h.Verify(ctx, lh, long+"b"); ok {
		t.Fatal("long password truncated")
	}
	if _, err := h.Verify(ctx, "$argon2id$garbage", "x"); err == nil {
		t.Fatal("malformed hash accepted")
	}
	if err := h.VerifyDummy(ctx, "anything"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHasher(Params{Memory: 1024, Time: 1, Threads: 1}, 1, nil); err == nil {
		t.Fatal("weak params accepted")
	}
}

// TestConcurrencyBound checks that no more than the configured number of
// hashes run at once, however many callers arrive together.
func TestConcurrencyBound(t *testing.T) {
	h, err := NewHasher(DefaultParams, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			h.release()
		}()
	}
	wg.Wait()
	if peak.Load() > 2 {
		t.Fatalf("peak concurrency %d > 2", peak.Load())
	}
	// A caller whose context ends while waiting gives up.
	h.sem <- struct{}{}
	h.sem <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "password that waits"); err == nil {
		t.Fatal("hash ran with no free slot and a cancelled context")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		pw   string
		want string // substring of the reason; "" = accepted
	}{
		{"short", "at least 8"},
		{"ünïcödé", "at least 8"}, // 7 code points, more bytes
		{"ünïcödéß", ""},          // 8 code points
		{strings.Repeat("a", 256) + "b", "at most 256"},
		{strings.Repeat("ab", 128), ""},
		{"password", "too common"},
		{"PassWord123", "too common"},
		{"12345678", "too common"},
		{"aaaaaaaaaaa", "too easy"},
		{"abcdefghij", "too easy"},
		{"jane.doe@example.com", "name or email"},
		{"jane.doe", "name or email"},
		{"all lower case is fine", ""},
		{"\xff\xfe invalid utf8", "invalid"},
	}
	for _, tt := range tests {
		got := Check(tt.pw, "jane.doe@example.com", "Jane", "Doe")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("Check(%q) = %q, want %q", tt.pw, got, tt.want)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, _ := NewHasher(DefaultParams, 0, nil)
	ctx := context.Background()
	hash, _ := h.Hash(ctx, "benchmark password")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = h.Verify(ctx, hash, "benchmark password")
		}
	})
}
