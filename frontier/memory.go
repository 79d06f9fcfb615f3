package frontier

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

var _ Frontier = (*Memory)(nil)

// Memory is a Frontier held in memory. Its seen-set keeps a 64-bit hash of
// each dedup key (about 38 bytes a URL); queued items keep their strings.
// It starts no goroutines, never expires a lease, and loses everything when
// the process ends. All methods are safe for concurrent use.
type Memory struct {
	maxInflight int
	delay       time.Duration
	seed        maphash.Seed

	mu     sync.Mutex
	closed bool
	seen   map[uint64]struct{}
	hosts  map[string]*host
	// delays holds the SetHostDelay overrides, kept while a host is
	// forgotten.
	delays map[string]time.Duration
	// ready holds the hosts whose head can be leased once due; idle the
	// hosts with nothing queued or leased that are not due yet.
	ready, idle hostHeap
	// parked lists, by head depth, the hosts whose head is deeper than the
	// level. Entries go stale when a host moves; host.state says so.
	parked map[int][]*host
	// pending counts queued plus leased items by depth; total is the sum.
	// level is the smallest depth with pending items: the only depth Next
	// leases.
	pending map[int]int
	total   int
	level   int
	queued  int
	done    int
	leases  map[uint64]leaseRec
	lastID  uint64
	seq     uint64
	// wake is closed and dropped on every change a waiting Next may care
	// about. Nil when nobody waits.
	wake chan struct{}
}

// leaseRec is what Memory keeps about a lease.
type leaseRec struct {
	h     *host
	depth int
}

// NewMemory returns an empty in-memory frontier enforcing p. It starts no
// goroutines.
func NewMemory(p Policy) *Memory {
	m := &Memory{
		maxInflight: max(1, p.MaxInflight),
		delay:       max(0, p.Delay),
		seed:        maphash.MakeSeed(),
	}
	m.reset()
	return m
}

// reset allocates the empty maps; Close drops them.
func (m *Memory) reset() {
	m.seen = make(map[uint64]struct{})
	m.hosts = make(map[string]*host)
	m.delays = make(map[string]time.Duration)
	m.parked = make(map[int][]*host)
	m.pending = make(map[int]int)
	m.leases = make(map[uint64]leaseRec)
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
	n := m.add(items, time.Now())
	if n > 0 {
		m.broadcast()
	}
	return n, nil
}

// Next leases the next item: the oldest item of the current level on the
// host that has been due longest. It blocks while no item can be leased.
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
		if m.total == 0 {
			m.mu.Unlock()
			return Lease{}, ErrDone
		}
		if m.wake == nil {
			m.wake = make(chan struct{})
		}
		wake := m.wake
		m.mu.Unlock()

		if err := sleep(ctx, wake, wait); err != nil {
			return Lease{}, err
		}
	}
}

// sleep waits for wake, for wait to pass (if positive) or for ctx to end.
func sleep(ctx context.Context, wake <-chan struct{}, wait time.Duration) error {
	var due <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		due = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-due:
	}
	return nil
}

// Complete ends the lease and queues the new children in one step.
func (m *Memory) Complete(ctx context.Context, l Lease, children []Item) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	rec, ok := m.leases[l.ID]
	if !ok {
		return 0, ErrStaleLease
	}
	now := time.Now()
	n := m.add(children, now)
	delete(m.leases, l.ID)
	rec.h.inflight--
	m.done++
	m.settle(rec.depth, now)
	m.place(rec.h, now)
	m.broadcast()
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
	rec, ok := m.leases[l.ID]
	if !ok {
		return ErrStaleLease
	}
	now := time.Now()
	delete(m.leases, l.ID)
	h := rec.h
	h.inflight--
	h.push(rec.depth, newEntry(l.Item), true)
	m.queued++
	if until := now.Add(max(0, wait)); until.After(h.blocked) {
		h.blocked = until
	}
	h.refreshDue()
	m.place(h, now)
	m.broadcast()
	return nil
}

// SetHostDelay sets host's delay between lease starts; a negative d is 0.
func (m *Memory) SetHostDelay(ctx context.Context, host string, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d = max(0, d)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if d == m.delay {
		delete(m.delays, host)
	} else {
		m.delays[host] = d
	}
	if h := m.hosts[host]; h != nil {
		h.delay = d
		h.refreshDue()
		m.place(h, time.Now())
		m.broadcast()
	}
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
	return Stats{Queued: m.queued, Inflight: len(m.leases), Seen: len(m.seen), Done: m.done}, nil
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
	m.seen, m.hosts, m.delays, m.parked, m.pending, m.leases = nil, nil, nil, nil, nil, nil
	m.ready, m.idle = nil, nil
	m.broadcast()
	return nil
}

// broadcast wakes every waiting Next.
func (m *Memory) broadcast() {
	if m.wake != nil {
		close(m.wake)
		m.wake = nil
	}
}
