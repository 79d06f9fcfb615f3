package frontier

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/crawl-dev/crawl/frontier/internal/sched"
)

var _ Frontier = (*Memory)(nil)

// Memory is a Frontier held in memory. Its seen-set keeps a 64-bit hash of
// each dedup key (about 38 bytes a URL); queued items keep their strings.
// It starts no goroutines, never expires a lease, and loses everything when
// the process ends. All methods are safe for concurrent use.
type Memory struct {
	seed maphash.Seed

	mu     sync.Mutex
	closed bool
	seen   map[uint64]struct{}
	done   int
	// s holds the hosts, their due times, the breadth-first level, the
	// leases and the wake-ups of waiting Next calls; the items live in its
	// rings.
	s *sched.Scheduler[ring]
	// held are the children held back for a later level, by the depth of
	// the pages they came from (hold.go).
	held map[int]*heldLinks
}

// NewMemory returns an empty in-memory frontier enforcing p. It starts no
// goroutines.
func NewMemory(p Policy) *Memory {
	return &Memory{
		seed: maphash.MakeSeed(),
		seen: make(map[uint64]struct{}),
		s:    sched.New[ring](p.MaxInflight, p.Delay, true),
		held: make(map[int]*heldLinks),
	}
}

// Add queues the items whose dedup keys are new and returns how many were.
func (m *Memory) Add(ctx context.Context, items ...Item) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	return m.add(items, time.Now()), nil
}

// Next leases the next item: the oldest item of the current level (or, once
// all of the level is leased, of the next depth) on the host that has been
// due longest. It blocks while no item can be leased.
func (m *Memory) Next(ctx context.Context) (Lease, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Lease{}, err
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return Lease{}, ErrClosed
		}
		l, wait, ok := m.lease(time.Now())
		if ok {
			m.mu.Unlock()
			return l, nil
		}
		if m.s.Pending() == 0 {
			m.mu.Unlock()
			return Lease{}, ErrDone
		}
		if err := m.s.Wait(ctx, &m.mu, wait); err != nil {
			return Lease{}, err
		}
	}
}

// Complete ends the lease and queues the new children in one step. The
// children of a page leased ahead of its level are held back until the
// level catches up (hold.go) and are not counted in the result.
func (m *Memory) Complete(ctx context.Context, l Lease, children []Item) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	if !m.s.Held(l.ID) {
		return 0, ErrStaleLease
	}
	now := time.Now()
	n := 0
	if depth, ahead := m.s.Ahead(l.ID); ahead {
		m.hold(depth, children)
	} else {
		n = m.add(children, now)
	}
	m.s.Complete(l.ID, now)
	m.release(now)
	m.done++
	return n, nil
}

// Retry ends the lease and puts l.Item back at the front of its host's
// queue. The item keeps the host and depth it was leased with; its other
// fields are taken from l.Item.
func (m *Memory) Retry(ctx context.Context, l Lease, wait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	h, _, q := m.s.Retry(l.ID, wait, time.Now())
	if h == nil {
		return ErrStaleLease
	}
	q.pushFront(newEntry(l.Item))
	return nil
}

// SetHostDelay sets host's delay between lease starts; a negative d is 0.
func (m *Memory) SetHostDelay(ctx context.Context, host string, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.s.SetDelay(host, d, time.Now())
	return nil
}

// Stats returns the current counters. Children held back for a later level
// are not counted until they are released.
func (m *Memory) Stats(ctx context.Context) (Stats, error) {
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Stats{}, ErrClosed
	}
	return Stats{Queued: m.s.Queued(), Inflight: m.s.Inflight(), Seen: len(m.seen), Done: m.done}, nil
}

// Close drops the frontier's state and makes every blocked Next return
// ErrClosed. Closing twice returns ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.closed = true
	m.seen, m.held = nil, nil
	m.s.Release()
	m.s.Broadcast()
	return nil
}
