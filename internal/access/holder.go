package access

import (
	"fmt"
	"sync/atomic"
)

// Holder keeps the rules in force and swaps them on Reload. It is safe for
// concurrent use: a decision in flight keeps the rules it started with.
type Holder struct {
	path  string
	rules atomic.Pointer[Rules]
}

// NewHolder loads the rules file at path. An empty path means no rules
// file: a signed-in person is allowed everywhere and Reload does nothing.
func NewHolder(path string) (*Holder, error) {
	h := &Holder{path: path}
	if path == "" {
		return h, nil
	}
	r, err := Load(path)
	if err != nil {
		return nil, err
	}
	h.rules.Store(r)
	return h, nil
}

// Rules returns the rules in force; nil means no rules file.
func (h *Holder) Rules() *Rules { return h.rules.Load() }

// Decide answers the request with the rules in force.
func (h *Holder) Decide(req Request, sub Subject) Decision {
	return h.rules.Load().Decide(req, sub)
}

// Reload reads the rules file again, as on SIGHUP. When the new file is
// invalid the old rules stay in force and the error lists every problem.
func (h *Holder) Reload() error {
	if h.path == "" {
		return nil
	}
	r, err := Load(h.path)
	if err != nil {
		return fmt.Errorf("reload kept the previous rules: %w", err)
	}
	h.rules.Store(r)
	return nil
}
