//go:build unix

package argon2id

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on amd64 and arm64.
const hugePage = 2 << 20

// allocBlocks maps n blocks of anonymous memory outside the Go heap, so the
// collector neither counts them toward its next goal nor scans them, and
// returns them with the function that unmaps them. The blocks start on a
// huge-page boundary and ask for huge pages: argon2id reads its memory at
// random, and with 4 KiB pages most of those reads would also miss the TLB.
func allocBlocks(n int) ([]block, func()) {
	size := n * blockBytes
	mem, err := syscall.Mmap(-1, 0, size+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		// Out of address space or a strict limit: the heap will do.
		return make([]block, n), func() {}
	}
	skip := (hugePage - int(uintptr(unsafe.Pointer(unsafe.SliceData(mem)))%hugePage)) % hugePage
	use := mem[skip : skip+size]
	_ = madviseHuge(use) // only a hint: without huge pages it is slower, not wrong
	blocks := unsafe.Slice((*block)(unsafe.Pointer(unsafe.SliceData(use))), n)
	return blocks, func() { _ = syscall.Munmap(mem) }
}
