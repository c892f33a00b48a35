//go:build !unix

package argon2id

// allocBlocks allocates n blocks on the heap, where no mapping is at hand.
func allocBlocks(n int) ([]block, func()) { return make([]block, n), func() {} }
