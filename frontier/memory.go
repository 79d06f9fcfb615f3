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
// each dedup key and where its item waits (about 38 bytes a URL, as
// BenchmarkMemoryPerURL measures: the same as a hash alone); queued
// items keep their strings.
// It starts no goroutines, never expires a lease, and loses everything when
// the process ends. All methods are safe for concurrent use.
type Memory struct {
	seed maphash.Seed

	mu     sync.Mutex
	closed bool
	// seen holds every dedup key's hash, with where its item waits while
	// it is queued, so that a child reaching a queued URL by a shorter
	// path can move it (add); the entry left behind in the deeper ring is
	// skipped when it comes up (lease).
	seen map[uint64]place
	done int
	// s holds the hosts, their due times, the breadth-first level, the
	// leases and the wake-ups of waiting Next calls; the items live in its
	// rings.
	s *sched.Scheduler[ring]
	// ahead holds the items of the leases taken ahead of the level
	// (NextAhead), as a move left them, by lease ID; aheadKey finds
	// those leases by the hash of their dedup key.
	ahead    map[uint64]Item
	aheadKey map[uint64]uint64
}

// NewMemory returns an empty in-memory frontier enforcing p. It starts no
// goroutines.
func NewMemory(p Policy) *Memory {
	return &Memory{
		seed:     maphash.MakeSeed(),
		seen:     make(map[uint64]place),
		s:        sched.New[ring](p.MaxInflight, p.Delay),
		ahead:    make(map[uint64]Item),
		aheadKey: make(map[uint64]uint64),
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
	return m.add(items, time.Now(), false), nil
}

// Next leases the next item: a parked lease that has become ripe (see
// NextAhead), else the oldest item of the current level on the host that
// has been due longest. It blocks while no item can be leased.
func (m *Memory) Next(ctx context.Context) (Lease, error) {
	return m.next(ctx, false)
}

// NextAhead is Next that may also lease ahead of the level (see Aheader).
func (m *Memory) NextAhead(ctx context.Context) (Lease, error) {
	return m.next(ctx, true)
}

func (m *Memory) next(ctx context.Context, ahead bool) (Lease, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Lease{}, err
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return Lease{}, ErrClosed
		}
		l, wait, ok := m.lease(time.Now(), ahead)
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

// Complete ends the lease and queues the new children in one step; a child
// whose URL is queued at a greater depth moves it to its own.
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
	n := m.add(children, now, true)
	m.s.Complete(l.ID, now)
	m.forgetAhead(l.ID)
	m.done++
	return n, nil
}

// Park ends the fetch of an ahead lease (see Aheader).
func (m *Memory) Park(ctx context.Context, l Lease) (Lease, bool, error) {
	if err := ctx.Err(); err != nil {
		return Lease{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Lease{}, false, ErrClosed
	}
	depth, ripe, ok := m.s.Park(l.ID, time.Now())
	if !ok {
		return Lease{}, false, ErrStaleLease
	}
	l.Item = movedItem(l.Item, m.ahead[l.ID], depth)
	l.Ripe = ripe
	return l, ripe, nil
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
	h, depth, q := m.s.Retry(l.ID, wait, time.Now())
	if h == nil {
		return ErrStaleLease
	}
	if a, ok := m.ahead[l.ID]; ok {
		l.Item = movedItem(l.Item, a, depth)
		m.forgetAhead(l.ID)
	}
	q.pushFront(newEntry(l.Item))
	m.seen[maphash.String(m.seed, l.Item.DedupKey())] = m.placeOf(h.Name(), depth)
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

// Stats returns the current counters.
func (m *Memory) Stats(ctx context.Context) (Stats, error) {
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Stats{}, ErrClosed
	}
	return Stats{Queued: m.s.Queued(), Inflight: m.s.Inflight(), Parked: m.s.Parked(), Seen: len(m.seen), Done: m.done}, nil
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
	m.seen, m.ahead, m.aheadKey = nil, nil, nil
	m.s.Release()
	m.s.Broadcast()
	return nil
}
