package sched

import (
	"context"
	"sync"
	"time"
)

// Scheduler is the in-memory scheduling state of a frontier whose items
// live in storage of type Q, one Q per host and depth. See the package doc
// for the protocol. It is not safe for concurrent use: the backend guards
// it, and its own state, with one mutex.
type Scheduler[Q any] struct {
	maxInflight int
	delay       time.Duration

	hosts map[string]*Host[Q]
	// delays holds the SetDelay overrides, kept while a host is forgotten.
	delays map[string]time.Duration
	// ready holds the hosts whose head can be leased once due; idle the
	// hosts with nothing queued or leased that are not due yet.
	ready, idle hostHeap[Q]
	// parked lists, by head depth, the hosts whose head is deeper than the
	// level. Entries go stale when a host moves; Host.state says so.
	parked map[int][]*Host[Q]
	// pending counts queued plus leased items by depth; total is the sum.
	// level is the smallest depth with pending items: the only depth
	// Ready offers.
	pending map[int]int
	total   int
	level   int
	queued  int
	leases  map[uint64]lease[Q]
	// waiting lists, by depth, the parked leases deeper than the level;
	// ripe the parked leases the level has reached, for Ripe to hand
	// back (ahead.go). Entries go stale when a lease ends or moves.
	waiting map[int][]uint64
	ripe    []uint64
	parkedN int
	aheadAt int // where the next ReadyAhead starts in a long parked list
	lastID  uint64
	seq     uint64
	// wake is closed and dropped on every change a waiting Next may care
	// about. Nil when nobody waits.
	wake chan struct{}
}

// lease is what the Scheduler keeps about a lease.
type lease[Q any] struct {
	h     *Host[Q] // nil once parked: it holds no slot of its host
	host  string
	depth int
	// ahead: leased deeper than the level (ReadyAhead). parked: its
	// fetch is over (Park). ripe: parked and handed back, or to be, by
	// Ripe.
	ahead, parked, ripe bool
}

// New returns an empty Scheduler that allows maxInflight leases per host
// (at least 1) and starts a host's leases delay apart (at least 0) unless
// SetDelay says otherwise.
func New[Q any](maxInflight int, delay time.Duration) *Scheduler[Q] {
	return &Scheduler[Q]{
		maxInflight: max(1, maxInflight),
		delay:       max(0, delay),
		hosts:       make(map[string]*Host[Q]),
		delays:      make(map[string]time.Duration),
		parked:      make(map[int][]*Host[Q]),
		pending:     make(map[int]int),
		leases:      make(map[uint64]lease[Q]),
		waiting:     make(map[int][]uint64),
	}
}

// Release drops the maps and heaps, keeping the counters (Pending, Queued)
// for a closed backend to report. Only Broadcast and the counters may be
// called after it.
func (s *Scheduler[Q]) Release() {
	s.hosts, s.delays, s.parked, s.pending, s.leases, s.waiting, s.ripe = nil, nil, nil, nil, nil, nil, nil
	s.ready, s.idle = nil, nil
}

// Pending is the number of items queued or leased. Zero means the crawl
// is finished.
func (s *Scheduler[Q]) Pending() int { return s.total }

// Queued is the number of items waiting to be leased.
func (s *Scheduler[Q]) Queued() int { return s.queued }

// Inflight is the number of leases held and not parked.
func (s *Scheduler[Q]) Inflight() int { return len(s.leases) - s.parkedN }

// Parked is the number of leases parked (ahead.go).
func (s *Scheduler[Q]) Parked() int { return s.parkedN }

// SetLastID makes id+1 the ID of the next lease.
func (s *Scheduler[Q]) SetLastID(id uint64) { s.lastID = id }

// Push counts a new item of depth on host's queue and returns the storage
// of the host's items of that depth and how many it held before. The
// backend then stores the item in q: at the back for a new item, at the
// front for one that goes before the others (an item a dead process held
// leased). Push wakes the waiting Next calls.
func (s *Scheduler[Q]) Push(host string, depth int, now time.Time) (q *Q, n int) {
	h := s.host(host)
	q, n = h.push(depth)
	s.queued++
	if s.total == 0 || depth < s.level {
		s.level = depth
	}
	s.pending[depth]++
	s.total++
	// A ready host stays ready: its head is either unchanged or the new
	// item, which is at the (possibly lowered) level.
	if h.state != stateReady {
		s.place(h, now)
	}
	s.Broadcast()
	return q, n
}

// host returns the state of the named host, creating it if needed.
func (s *Scheduler[Q]) host(name string) *Host[Q] {
	if h := s.hosts[name]; h != nil {
		return h
	}
	d, ok := s.delays[name]
	if !ok {
		d = s.delay
	}
	h := &Host[Q]{name: name, delay: d, index: -1}
	h.refreshDue()
	s.hosts[name] = h
	return h
}

// Ready returns the host whose head item the next lease takes: the host
// due first of those whose head is at the level and that
// are below their in-flight limit, if it is due at now. Otherwise it returns nil and
// how long until the first of them is due (0 if there is none). The
// backend takes the item from the storage Head returns and calls Lease.
func (s *Scheduler[Q]) Ready(now time.Time) (h *Host[Q], wait time.Duration) {
	s.sweep(now)
	for len(s.ready) > 0 {
		h := s.ready[0]
		if h.queued == 0 || h.inflight >= s.maxInflight || h.headDepth() > s.level {
			s.place(h, now) // moves it out of ready
			continue
		}
		if h.due.After(now) {
			return nil, h.due.Sub(now)
		}
		return h, 0
	}
	return nil, 0
}

// Lease leases the head item of h, which Ready returned at now and whose
// storage the backend has taken the item from, and returns the new lease's
// ID. The host is next due its delay after now. A head deeper than the
// level (ReadyAhead's) makes a lease ahead of the level (ahead.go).
func (s *Scheduler[Q]) Lease(h *Host[Q], now time.Time) (id uint64) {
	depth := h.pop()
	ahead := depth > s.level
	s.queued--
	h.inflight++
	h.lastStart = now
	h.refreshDue()
	s.lastID++
	s.leases[s.lastID] = lease[Q]{h: h, host: h.name, depth: depth, ahead: ahead}
	s.place(h, now)
	return s.lastID
}

// Remove counts out one queued item of depth on host, which the backend
// found superseded: its URL was pushed again at a shallower depth. The
// item stays in the bucket's storage, where the backend must skip it when
// it comes up. n is how many items the bucket still counts; at 0 the
// bucket is gone and q is a copy of its storage, for the backend to clear.
// ok is false, and nothing changes, when host has nothing of depth queued.
func (s *Scheduler[Q]) Remove(host string, depth int, now time.Time) (q Q, n int, ok bool) {
	h := s.hosts[host]
	if h == nil {
		return q, 0, false
	}
	q, n, ok = h.remove(depth)
	if !ok {
		return q, 0, false
	}
	s.queued--
	s.settle(depth, now)
	s.place(h, now)
	return q, n, true
}

// Held tells whether the lease id is held.
func (s *Scheduler[Q]) Held(id uint64) bool {
	_, ok := s.leases[id]
	return ok
}

// Complete ends the lease id, which must be held (Held): its item is done.
// The level moves on when it was the last pending item of its depth. The
// backend pushes the page's new links before, so that the pending count
// never reads zero between a page and its links. Complete wakes the
// waiting Next calls.
func (s *Scheduler[Q]) Complete(id uint64, now time.Time) {
	l, ok := s.leases[id]
	if !ok {
		return
	}
	delete(s.leases, id)
	if l.h != nil {
		l.h.inflight--
		s.place(l.h, now)
	} else {
		s.parkedN--
	}
	s.settle(l.depth, now)
	s.Broadcast()
}

// Retry ends the lease id without finishing its item, which goes back to
// the front of its host's queue at its depth: Retry counts it and returns
// its host, its depth and the storage the backend puts it in, at the front.
// The host is not due before now+wait. A lease that is not held returns a
// nil host and changes nothing. Retry wakes the waiting Next calls.
func (s *Scheduler[Q]) Retry(id uint64, wait time.Duration, now time.Time) (h *Host[Q], depth int, q *Q) {
	l, ok := s.leases[id]
	if !ok {
		return nil, 0, nil
	}
	delete(s.leases, id)
	h = l.h
	if h != nil {
		h.inflight--
	} else {
		s.parkedN--
		h = s.host(l.host) // parked: its host may have been forgotten
	}
	q, _ = h.push(l.depth)
	s.queued++
	if until := now.Add(max(0, wait)); until.After(h.blocked) {
		h.blocked = until
	}
	h.refreshDue()
	s.place(h, now)
	s.Broadcast()
	return h, l.depth, q
}

// SetDelay sets host's delay between lease starts (a negative d is 0),
// remembered while the host is forgotten, and tells whether it overrides
// the default delay given to New. The host's next lease is due d after its
// last one. SetDelay wakes the waiting Next calls if the host is known.
func (s *Scheduler[Q]) SetDelay(host string, d time.Duration, now time.Time) (override bool) {
	d = max(0, d)
	override = d != s.delay
	if override {
		s.delays[host] = d
	} else {
		delete(s.delays, host)
	}
	if h := s.hosts[host]; h != nil {
		h.delay = d
		h.refreshDue()
		s.place(h, now)
		s.Broadcast()
	}
	return override
}

// Broadcast wakes every waiting Next (see Wait).
func (s *Scheduler[Q]) Broadcast() {
	if s.wake != nil {
		close(s.wake)
		s.wake = nil
	}
}

// Wait releases mu, which the caller holds and which guards s, and blocks
// until the next Broadcast, until wait has passed if it is positive, or
// until ctx ends, whose error it returns. mu is released when Wait returns.
func (s *Scheduler[Q]) Wait(ctx context.Context, mu sync.Locker, wait time.Duration) error {
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	wake := s.wake
	mu.Unlock()

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
