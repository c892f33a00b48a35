package argon2id

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestRFC9106Vector is the Argon2id test vector of RFC 9106 section 5.3,
// which also exercises the secret, the associated data and four lanes.
func TestRFC9106Vector(t *testing.T) {
	var b Buffer
	defer b.Release()
	got := b.key(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16),
		bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12), 3, 32, 4, 32)
	want := "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
	if hex.EncodeToString(got) != want {
		t.Fatalf("tag %x, want %s", got, want)
	}
}

// TestSameAsXCrypto compares tags with argon2.IDKey over passes, memory
// costs that are not multiples of 4p, lanes, tag lengths on both sides of
// H's 64 bytes, and one buffer reused across growing and shrinking costs,
// so a block left over from a larger hash would show.
func TestSameAsXCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b Buffer
	defer b.Release()
	for i := range 60 {
		tm := uint32(1 + rng.IntN(3))
		p := uint8(1 + rng.IntN(4))
		m := uint32(8*int(p) + rng.IntN(600))
		if i%7 == 0 {
			m = uint32(rng.IntN(8)) // below the minimum: both round up
		}
		n := []uint32{4, 16, 32, 63, 64, 65, 96, 100, 128, 1000}[rng.IntN(10)]
		pw := make([]byte, rng.IntN(80))
		salt := make([]byte, 8+rng.IntN(24))
		for j := range pw {
			pw[j] = byte(rng.Uint32())
		}
		for j := range salt {
			salt[j] = byte(rng.Uint32())
		}
		t.Run(fmt.Sprintf("t=%d,m=%d,p=%d,len=%d", tm, m, p, n), func(t *testing.T) {
			got := b.Key(pw, salt, tm, m, p, n)
			want := argon2.IDKey(pw, salt, tm, m, p, n)
			if !bytes.Equal(got, want) {
				t.Fatalf("tag %x\nwant %x", got, want)
			}
		})
	}
}

// TestPortalParams checks the portal's own cost (m=19456 KiB, t=2, p=1)
// twice in one buffer: the second hash must not see the first's blocks.
func TestPortalParams(t *testing.T) {
	if testing.Short() {
		t.Skip("two full-cost hashes")
	}
	var b Buffer
	defer b.Release()
	for _, pw := range []string{"correct horse battery staple", "another password"} {
		salt := []byte("0123456789abcdef")
		if got, want := b.Key([]byte(pw), salt, 2, 19456, 1, 32), argon2.IDKey([]byte(pw), salt, 2, 19456, 1, 32); !bytes.Equal(got, want) {
			t.Fatalf("tag %x, want %x", got, want)
		}
	}
}

func TestSelfCheck(t *testing.T) {
	if err := SelfCheck(); err != nil {
		t.Fatal(err)
	}
}

// TestKeepsMemory checks that a hash in a grown buffer allocates only its
// tag and H's few bytes, not its memory cost.
func TestKeepsMemory(t *testing.T) {
	var b Buffer
	defer b.Release()
	pw, salt := []byte("pw"), []byte("0123456789abcdef")
	b.Key(pw, salt, 1, 1024, 1, 32)
	before := heapAlloc()
	for range 20 {
		b.Key(pw, salt, 1, 1024, 1, 32)
	}
	if grew := heapAlloc() - before; grew > 20*64<<10 {
		t.Fatalf("20 hashes of 1 MiB allocated %d bytes on the heap", grew)
	}
}

func BenchmarkKey(b *testing.B) {
	pw, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	b.Run("buffer", func(b *testing.B) {
		var buf Buffer
		defer buf.Release()
		for b.Loop() {
			buf.Key(pw, salt, 2, 19456, 1, 32)
		}
	})
	b.Run("x/crypto", func(b *testing.B) {
		for b.Loop() {
			argon2.IDKey(pw, salt, 2, 19456, 1, 32)
		}
	})
}

func heapAlloc() uint64 {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return s.TotalAlloc
}
