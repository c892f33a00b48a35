package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// outbox reads the embedded engine's SMS outbox (JSON Lines with to and
// code) as it grows, from where it last stopped, so finding a code costs the
// new lines only.
type outbox struct {
	path string

	mu     sync.Mutex
	offset int64
	count  map[string]int    // messages seen per number
	last   map[string]string // last code per number
}

func newOutbox(path string) *outbox {
	return &outbox{path: path, count: map[string]int{}, last: map[string]string{}}
}

// mark returns how many messages the number has received so far; codeAfter
// waits for a later one.
func (o *outbox) mark(to string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.read() // a missing file is no message yet
	return o.count[to]
}

// codeAfter returns the code of the first message to the number after mark,
// waiting a few seconds for the file to show it.
func (o *outbox) codeAfter(ctx context.Context, to string, mark int) (string, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		o.mu.Lock()
		err := o.read()
		n, code := o.count[to], o.last[to]
		o.mu.Unlock()
		if n > mark {
			return code, nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return "", fmt.Errorf("outbox: %w", err)
			}
			return "", fmt.Errorf("outbox: no new code for a number after 5 s (is -outbox the portal's GATEHOUSE_SMS_OUTBOX?)")
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("outbox: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// read consumes the complete lines appended since the last read. o.mu is held.
func (o *outbox) read() error {
	f, err := os.Open(o.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() < o.offset {
		o.offset = 0 // truncated or replaced: start over
	}
	if _, err := f.Seek(o.offset, io.SeekStart); err != nil {
		return err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		return nil
	}
	for _, line := range bytes.Split(b[:end], []byte{'\n'}) {
		var m struct{ To, Code string }
		if json.Unmarshal(line, &m) != nil || m.To == "" {
			continue
		}
		o.count[m.To]++
		o.last[m.To] = m.Code
	}
	o.offset += int64(end + 1)
	return nil
}
