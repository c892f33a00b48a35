//go:build unix

package argon2id

import (
	"syscall"
	"unsafe"
)

// allocBlocks maps n blocks of anonymous memory outside the Go heap, so the
// collector neither counts them toward its next goal nor scans them, and
// returns them with the function that unmaps them.
func allocBlocks(n int) ([]block, func()) {
	mem, err := syscall.Mmap(-1, 0, n*blockBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		// Out of address space or a strict limit: the heap will do.
		return make([]block, n), func() {}
	}
	blocks := unsafe.Slice((*block)(unsafe.Pointer(unsafe.SliceData(mem))), n)
	return blocks, func() { _ = syscall.Munmap(mem) }
}
