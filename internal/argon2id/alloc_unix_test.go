//go:build unix

package argon2id

import (
	"testing"
	"unsafe"
)

// TestBlocksOnHugePage checks that mapped blocks start on a huge-page
// boundary, have the length asked for, and can be written to the last byte.
func TestBlocksOnHugePage(t *testing.T) {
	for _, n := range []int{1, 8, 19 * 1024, 19*1024 + 3} {
		blocks, free := allocBlocks(n)
		if len(blocks) != n {
			t.Fatalf("%d blocks, want %d", len(blocks), n)
		}
		if addr := uintptr(unsafe.Pointer(&blocks[0])); addr%hugePage != 0 {
			t.Errorf("n=%d: blocks start at %#x, not on a %d-byte boundary", n, addr, hugePage)
		}
		blocks[0][0], blocks[n-1][len(blocks[n-1])-1] = 1, 2
		free()
	}
}
