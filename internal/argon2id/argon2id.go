// Package argon2id computes argon2id (RFC 9106) in working memory that the
// caller keeps and reuses, instead of allocating the whole memory cost anew
// on the garbage-collected heap for every hash as golang.org/x/crypto/argon2
// does.
//
// The block compression, the part that takes the time and that x/crypto
// implements in assembly, is x/crypto's own processBlocks, reached through a
// linkname: this package writes only the first blocks of each lane and reads
// the tag from the last ones (RFC 9106 sections 3.2 to 3.4). SelfCheck
// compares the result with x/crypto's IDKey, so a change of x/crypto's
// internals cannot go unnoticed; the tests compare them on many parameters
// and against the RFC's test vector.
package argon2id

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	_ "unsafe" // for go:linkname

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/blake2b"
)

const (
	blockWords = 128 // a block is 1 KiB: 128 little-endian 64-bit words
	blockBytes = 8 * blockWords
	syncPoints = 4 // slices per pass
	modeID     = 2 // argon2id's type y, and x/crypto's constant for it
)

type block [blockWords]uint64

// processBlocks fills every block of B for all passes. B must be zeroed:
// x/crypto XORs the first pass into it as it does the later ones.
//
//go:linkname processBlocks golang.org/x/crypto/argon2.processBlocks
func processBlocks(B []block, time, memory, threads uint32, mode int)

// Buffer is the working memory of one hash at a time: it grows to the
// largest memory cost it was asked for and keeps it. It is not safe for
// concurrent use; give each concurrent hash its own.
type Buffer struct {
	blocks []block
	free   func()
}

// Key returns the argon2id tag of password and salt, like argon2.IDKey with
// the same arguments, computed in b.
func (b *Buffer) Key(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	return b.key(password, salt, nil, nil, time, memory, threads, keyLen)
}

func (b *Buffer) key(password, salt, secret, data []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	if time < 1 {
		panic("argon2id: number of passes too small")
	}
	if threads < 1 {
		panic("argon2id: parallelism degree too low")
	}
	if keyLen < 4 {
		panic("argon2id: tag shorter than 4 bytes")
	}
	p := uint32(threads)
	h0 := initHash(password, salt, secret, data, time, memory, p, keyLen)

	// m' blocks: a multiple of 4p, at least 2 × 4p (as x/crypto rounds).
	m := memory / (syncPoints * p) * (syncPoints * p)
	if m < 2*syncPoints*p {
		m = 2 * syncPoints * p
	}
	B := b.grow(m)
	clear(B)
	laneLen := m / p
	var in [72]byte
	copy(in[:], h0[:])
	var out [blockBytes]byte
	for lane := range p {
		binary.LittleEndian.PutUint32(in[68:], lane)
		for i := range uint32(2) {
			binary.LittleEndian.PutUint32(in[64:], i)
			hashLong(out[:], in[:])
			blk := &B[lane*laneLen+i]
			for w := range blk {
				blk[w] = binary.LittleEndian.Uint64(out[8*w:])
			}
		}
	}
	processBlocks(B, time, m, p, modeID)

	// C: the XOR of the last block of every lane; the tag is H'(C).
	last := B[m-1]
	for lane := range p - 1 {
		for w, v := range B[lane*laneLen+laneLen-1] {
			last[w] ^= v
		}
	}
	for w, v := range last {
		binary.LittleEndian.PutUint64(out[8*w:], v)
	}
	tag := make([]byte, keyLen)
	hashLong(tag, out[:])
	return tag
}

// grow returns the first m blocks of b, mapping more memory when b holds
// fewer.
func (b *Buffer) grow(m uint32) []block {
	if uint32(len(b.blocks)) < m {
		b.Release()
		b.blocks, b.free = allocBlocks(int(m))
	}
	return b.blocks[:m]
}

// Release gives b's memory back to the system; the next Key maps it again.
func (b *Buffer) Release() {
	if b.free != nil {
		b.free()
	}
	b.blocks, b.free = nil, nil
}

// initHash is H0 of RFC 9106 section 3.2, with room for the two words that
// initialise each lane's first blocks.
func initHash(password, salt, secret, data []byte, time, memory, threads, keyLen uint32) [blake2b.Size]byte {
	h, _ := blake2b.New512(nil)
	var w [4]byte
	put := func(v uint32) {
		binary.LittleEndian.PutUint32(w[:], v)
		h.Write(w[:])
	}
	put(threads)
	put(keyLen)
	put(memory)
	put(time)
	put(argon2.Version)
	put(modeID)
	for _, s := range [][]byte{password, salt, secret, data} {
		put(uint32(len(s)))
		h.Write(s)
	}
	var h0 [blake2b.Size]byte
	h.Sum(h0[:0])
	return h0
}

// hashLong is H' of RFC 9106 section 3.3: a BLAKE2b hash of any length,
// written to out.
func hashLong(out, in []byte) {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		h, _ := blake2b.New(len(out), nil)
		h.Write(n[:])
		h.Write(in)
		h.Sum(out[:0])
		return
	}
	h, _ := blake2b.New512(nil)
	h.Write(n[:])
	h.Write(in)
	var v [blake2b.Size]byte
	h.Sum(v[:0])
	// V1..Vr give their first 32 bytes each, V(r+1) the rest whole.
	r := (len(out)+31)/32 - 2
	copy(out, v[:32])
	for i := 1; i < r; i++ {
		v = blake2b.Sum512(v[:])
		copy(out[32*i:], v[:32])
	}
	rest := len(out) - 32*r
	h, _ = blake2b.New(rest, nil)
	h.Write(v[:])
	h.Sum(out[32*r : 32*r : len(out)])
}

var (
	checkOnce sync.Once
	checkErr  error
)

// ErrMismatch means this package's tags differ from x/crypto's: the
// x/crypto internals it links to have changed.
var ErrMismatch = errors.New("argon2id: tags differ from golang.org/x/crypto/argon2")

// SelfCheck compares a few small hashes with argon2.IDKey, once per
// process, and returns ErrMismatch if any differs.
func SelfCheck() error {
	checkOnce.Do(func() {
		var b Buffer
		defer b.Release()
		for _, c := range []struct {
			t, m uint32
			p    uint8
			n    uint32
		}{{1, 64, 1, 32}, {2, 70, 2, 16}, {3, 256, 3, 100}} {
			pw, salt := []byte("gatehouse self-check"), []byte("sixteen byte slt")
			if !bytes.Equal(b.Key(pw, salt, c.t, c.m, c.p, c.n), argon2.IDKey(pw, salt, c.t, c.m, c.p, c.n)) {
				checkErr = ErrMismatch
				return
			}
		}
	})
	return checkErr
}
