package password

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
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

// TestXCryptoHashes checks that hashes made by x/crypto's argon2.IDKey
// (every hash stored before the slots kept their memory) verify, including
// one of a higher memory cost than the portal's, whose memory the slot
// gives back afterwards; and that hashes made in the slots are what
// x/crypto computes.
func TestXCryptoHashes(t *testing.T) {
	h, err := NewHasher(DefaultParams, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	salt := []byte("0123456789abcdef")
	b64 := base64.RawStdEncoding
	for _, m := range []uint32{DefaultParams.Memory, 2 * DefaultParams.Memory} {
		key := argon2.IDKey([]byte("old password"), salt, 2, m, 1, 32)
		stored := fmt.Sprintf("$argon2id$v=19$m=%d,t=2,p=1$%s$%s", m, b64.EncodeToString(salt), b64.EncodeToString(key))
		if ok, err := h.Verify(ctx, stored, "old password"); !ok || err != nil {
			t.Fatalf("m=%d: x/crypto hash did not verify: %v %v", m, ok, err)
		}
		if ok, _ := h.Verify(ctx, stored, "old passwore"); ok {
			t.Fatalf("m=%d: wrong password accepted", m)
		}
	}
	fresh, err := h.Hash(ctx, "new password")
	if err != nil {
		t.Fatal(err)
	}
	_, salt, want, err := parse(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if got := argon2.IDKey([]byte("new password"), salt, 2, DefaultParams.Memory, 1, 32); !bytes.Equal(got, want) {
		t.Fatal("a slot's hash differs from x/crypto's")
	}
}

// TestParallelSlots runs hashes on every slot at once, many times over: a
// slot lent to two callers at once would mix their blocks and fail a
// verification.
func TestParallelSlots(t *testing.T) {
	h, err := NewHasher(DefaultParams, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hashes := make([]string, 4)
	for i := range hashes {
		if hashes[i], err = h.Hash(ctx, fmt.Sprint("password ", i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			if ok, err := h.Verify(ctx, hashes[i%4], fmt.Sprint("password ", i%4)); !ok || err != nil {
				t.Errorf("hash %d: %v %v", i%4, ok, err)
			}
			if ok, _ := h.Verify(ctx, hashes[i%4], fmt.Sprint("password ", (i+1)%4)); ok {
				t.Errorf("hash %d took another's password", i%4)
			}
		})
	}
	wg.Wait()
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
			b, err := h.acquire(context.Background())
			if err != nil {
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
			h.release(b)
		}()
	}
	wg.Wait()
	if peak.Load() > 2 {
		t.Fatalf("peak concurrency %d > 2", peak.Load())
	}
	// A caller whose context ends while waiting gives up.
	<-h.slots
	<-h.slots
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
		{"nul\x00 in the middle", "invalid"},
		{"tab\tis a control", "invalid"},
		{"c1 control\u0085 here", "invalid"},
		{"del\x7f is a control", "invalid"},
		{"zero\u200bwidth is printable", ""},
		{"qwer1234", "too common"},
		{"samantha", "too common"},
		{"Passw0rd!", "too common"},
		{"P@ssw0rd1", "too common"},
		{"password1", "too common"},
		{"iloveyou2", "too common"},
		{"!!Sunshine2024", "too common"},
		{"jennifer", "too common"}, // ranked among names, not passwords
		{"Football", "too common"},
		{"monkey19847362", ""}, // a word and a long number: left to other rules
		{"correct horse battery staple", ""},
		{"Tr0ub4dor&3-purple-llama", ""},
		{"marble-Harbour-2049", ""},
		{"amber-Lighthouse-77", ""},
		{"violet-Tangerine-42", ""},
		{"a long enough passphrase", ""},
		{"пароль-длинный-синий", ""},
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

func TestCommonListSize(t *testing.T) {
	if n := len(commonWords()); n < 10000 {
		t.Fatalf("common list has %d entries, want at least 10,000", n)
	}
}

func TestCores(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"password", []string{"password"}},
		{"iloveyou2", []string{"iloveyou2", "iloveyou"}},
		{"12sunshine!!", []string{"12sunshine!!", "sunshine!!", "12sunshine", "sunshine"}},
		{"12345sunshine!", []string{"12345sunshine!", "12345sunshine"}},
		{"1234a5678", []string{"1234a5678", "a5678", "1234a"}},
		{"12345678", []string{"12345678"}},
	}
	for _, tt := range tests {
		if got := cores(tt.in); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("cores(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnleet(t *testing.T) {
	tests := []struct {
		in   string
		want string // one reading that must be among the results
	}{
		{"passw0rd", "password"},
		{"p@$$w0rd", "password"},
		{"1ov3", "love"},
		{"m1ss1ss1pp1", "mississippi"},
		{"7r1ck", "trick"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		got := unleet(tt.in)
		found := false
		for _, g := range got {
			found = found || g == tt.want
		}
		if !found || len(got) > 9 {
			t.Errorf("unleet(%q) = %q, want it to hold %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	commonWords()
	inputs := map[string]string{
		"common":     "Passw0rd!",
		"passphrase": "correct horse battery staple",
		"max-length": strings.Repeat("l0ng p@$$phr4se 17 ", 14)[:MaxLength],
	}
	for name, pw := range inputs {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Check(pw, "jane.doe@example.com", "Jane", "Doe")
			}
		})
	}
}

func BenchmarkLoadCommon(b *testing.B) {
	for b.Loop() {
		commonOnce = sync.Once{}
		commonWords()
	}
}
