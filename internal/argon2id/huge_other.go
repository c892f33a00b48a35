//go:build unix && !linux

package argon2id

func madviseHuge([]byte) error { return nil }
