// Package outbox appends JSON Lines to a file readable by its owner only:
// the SMS and mail outboxes of the embedded defaults, which people and tests
// read instead of a phone or an inbox.
package outbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// File is one outbox. It is safe for concurrent use.
type File struct {
	mu   sync.Mutex
	path string
}

// Open creates the outbox at path (and its directory) when absent, mode
// 0600, and checks that it can be written.
func Open(path string) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	err = f.Chmod(0o600)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &File{path: path}, nil
}

func open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return f, nil
}

// Append writes v as one JSON line and syncs it. The file is opened per
// line, so an outbox moved or truncated by its reader is recreated;
// O_APPEND keeps lines whole across processes.
func (o *File) Append(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	line = append(line, '\n')
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := open(o.path)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}
