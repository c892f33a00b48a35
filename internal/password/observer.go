package password

import "time"

// Observer is told how callers queue for a hash slot, for metrics. Its
// methods are called on the hashing path, so they must be quick and must
// not block.
type Observer interface {
	// Queued is called with +1 when a caller finds every slot taken and
	// starts waiting, and with -1 when it stops waiting, with a slot or
	// without one (its context ended).
	Queued(delta int)
	// Waited is called when a caller gets a slot, with how long it waited
	// for it (zero when a slot was free).
	Waited(d time.Duration)
}

// nopObserver is the Observer of a Hasher nobody watches.
type nopObserver struct{}

func (nopObserver) Queued(int)           {}
func (nopObserver) Waited(time.Duration) {}

// WithObserver returns a Hasher that reports to o and shares h's slots, so
// the bound on concurrent hashes still holds across both.
func (h *Hasher) WithObserver(o Observer) *Hasher {
	c := *h
	if o == nil {
		o = nopObserver{}
	}
	c.obs = o
	return &c
}
