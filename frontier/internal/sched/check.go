package sched

import (
	"errors"
	"fmt"
)

// Sizes returns how many hosts the Scheduler knows, how many of them are
// idle (nothing queued or leased, not due yet) and how many SetDelay
// overrides it keeps. Tests use it to show that memory does not grow with
// the hosts ever seen.
func (s *Scheduler[Q]) Sizes() (hosts, idle, delays int) {
	return len(s.hosts), len(s.idle), len(s.delays)
}

// Check verifies the Scheduler's invariants and returns the first one
// broken. If size is not nil, each bucket's storage must hold as many
// items (not counting those Remove left behind) as the Scheduler counts
// in it. For tests: it walks every host.
func (s *Scheduler[Q]) Check(size func(host string, depth int, q *Q) int) error {
	pending := make(map[int]int)
	queued, inflight := 0, 0
	for name, h := range s.hosts {
		if h.name != name {
			return fmt.Errorf("host %q stored under %q", h.name, name)
		}
		n := 0
		for i := range h.buckets {
			b := &h.buckets[i]
			if b.n <= 0 {
				return fmt.Errorf("host %q: empty bucket of depth %d", name, b.depth)
			}
			if size != nil && size(name, b.depth, &b.q) != b.n {
				return fmt.Errorf("host %q: bucket of depth %d holds %d items, counted %d", name, b.depth, size(name, b.depth, &b.q), b.n)
			}
			if i > 0 && h.buckets[i-1].depth >= b.depth {
				return fmt.Errorf("host %q: buckets out of order", name)
			}
			n += b.n
			pending[b.depth] += b.n
		}
		if n != h.queued {
			return fmt.Errorf("host %q: queued = %d, buckets hold %d", name, h.queued, n)
		}
		queued += n
		inflight += h.inflight
		if err := s.checkState(h); err != nil {
			return fmt.Errorf("host %q: %w", name, err)
		}
	}
	fetching := 0
	for id, l := range s.leases {
		pending[l.depth]++
		if l.parked != (l.h == nil) || (l.parked && !l.ahead) || (l.ripe && !l.parked) {
			return fmt.Errorf("lease of %q: parked %v, ahead %v, ripe %v, host %v", l.host, l.parked, l.ahead, l.ripe, l.h != nil)
		}
		if l.parked && !l.ripe && !s.isWaiting(id, l.depth) {
			return fmt.Errorf("lease of %q parked at depth %d, neither ripe nor waiting", l.host, l.depth)
		}
		if l.h == nil {
			continue
		}
		fetching++
		if s.hosts[l.h.name] != l.h {
			return fmt.Errorf("lease of forgotten host %q", l.h.name)
		}
	}
	if len(s.leases)-fetching != s.parkedN {
		return fmt.Errorf("%d leases parked, counted %d", len(s.leases)-fetching, s.parkedN)
	}
	if queued != s.queued || inflight != fetching {
		return fmt.Errorf("queued %d / inflight %d, hosts hold %d / %d", s.queued, fetching, queued, inflight)
	}
	total, level := 0, 0
	for d, n := range pending {
		if total == 0 || d < level {
			level = d
		}
		total += n
		if s.pending[d] != n {
			return fmt.Errorf("pending[%d] = %d, want %d", d, s.pending[d], n)
		}
	}
	if len(s.pending) != len(pending) || total != s.total {
		return fmt.Errorf("pending %v (total %d), want %v (total %d)", s.pending, s.total, pending, total)
	}
	if total > 0 && level != s.level {
		return fmt.Errorf("level = %d, want %d", s.level, level)
	}
	for _, q := range []hostHeap[Q]{s.ready, s.idle} {
		for i, h := range q {
			if h.index != i || s.hosts[h.name] != h {
				return fmt.Errorf("heap entry %d (%q) has index %d or is forgotten", i, h.name, h.index)
			}
			if p := (i - 1) / 2; i > 0 && q.less(i, p) {
				return fmt.Errorf("heap out of order at %d", i)
			}
		}
	}
	return nil
}

func (s *Scheduler[Q]) checkState(h *Host[Q]) error {
	switch h.state {
	case stateReady:
		if h.index < 0 || h.index >= len(s.ready) || s.ready[h.index] != h {
			return errors.New("ready but not in the ready heap")
		}
		if h.queued == 0 || h.inflight >= s.maxInflight || h.headDepth() < s.level {
			return fmt.Errorf("ready with queued %d, inflight %d", h.queued, h.inflight)
		}
	case stateIdle:
		if h.index < 0 || h.index >= len(s.idle) || s.idle[h.index] != h {
			return errors.New("idle but not in the idle heap")
		}
		if h.queued != 0 || h.inflight != 0 {
			return errors.New("idle with work")
		}
	case stateParked:
		found := false
		for _, p := range s.parked[h.parkDepth] {
			found = found || p == h
		}
		if !found || h.queued == 0 || h.headDepth() != h.parkDepth || h.parkDepth <= s.level {
			return fmt.Errorf("parked at %d, level %d, found %v", h.parkDepth, s.level, found)
		}
	case stateNone:
		if h.queued > 0 && h.inflight < s.maxInflight {
			return errors.New("leasable work but in no index")
		}
		if h.queued == 0 && h.inflight == 0 {
			return errors.New("idle host in no index")
		}
	}
	return nil
}

// isWaiting reports whether the lease id is listed as waiting at depth.
func (s *Scheduler[Q]) isWaiting(id uint64, depth int) bool {
	for _, w := range s.waiting[depth] {
		if w == id {
			return true
		}
	}
	return false
}
