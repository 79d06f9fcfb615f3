package sched

import "time"

// This file keeps the indexes that let Ready find work without scanning
// hosts: the ready heap, the parked lists and the idle heap, and the level
// that decides between ready and parked.

// settle drops one pending item of depth d (a completed lease) and moves
// the level on when d's last item is done.
func (s *Scheduler[Q]) settle(d int, now time.Time) {
	s.pending[d]--
	s.total--
	if s.pending[d] > 0 {
		return
	}
	delete(s.pending, d)
	if s.total == 0 {
		clear(s.parked) // only stale entries are left
		return
	}
	if d != s.level {
		return
	}
	first := true
	for depth := range s.pending {
		if first || depth < s.level {
			s.level, first = depth, false
		}
	}
	s.unpark(now)
	s.ripen()
}

// unpark wakes the hosts parked at the level. Entries of depths below the
// level are stale: nothing is pending there.
func (s *Scheduler[Q]) unpark(now time.Time) {
	for depth, hs := range s.parked {
		if depth > s.level {
			continue
		}
		delete(s.parked, depth)
		for _, h := range hs {
			if h.state == stateParked && h.parkDepth == depth {
				h.state = stateNone
				s.place(h, now)
			}
		}
	}
}

// place puts h in the index its state calls for, or forgets it when it has
// nothing queued or leased and is due.
func (s *Scheduler[Q]) place(h *Host[Q], now time.Time) {
	switch {
	case h.queued == 0 && h.inflight == 0:
		s.unindex(h)
		if !h.due.After(now) {
			delete(s.hosts, h.name)
			return
		}
		h.state = stateIdle
		s.idle.push(h)
	case h.queued == 0 || h.inflight >= s.maxInflight:
		// The end of one of its leases places it again.
		s.unindex(h)
	case h.headDepth() > s.level:
		d := h.headDepth()
		if h.state == stateParked && h.parkDepth == d {
			return
		}
		s.unindex(h)
		h.state, h.parkDepth = stateParked, d
		s.parked[d] = append(s.parked[d], h)
	case h.state == stateReady:
		s.ready.fix(h.index)
	default:
		s.unindex(h)
		h.state = stateReady
		s.seq++
		h.seq = s.seq
		s.ready.push(h)
	}
}

// unindex takes h out of whatever index holds it. A parked host's list
// entry stays behind, stale.
func (s *Scheduler[Q]) unindex(h *Host[Q]) {
	switch h.state {
	case stateReady:
		s.ready.remove(h.index)
	case stateIdle:
		s.idle.remove(h.index)
	}
	h.state = stateNone
}

// sweep forgets the idle hosts that are due.
func (s *Scheduler[Q]) sweep(now time.Time) {
	for len(s.idle) > 0 && !s.idle[0].due.After(now) {
		h := s.idle[0]
		s.idle.remove(0)
		h.state = stateNone
		delete(s.hosts, h.name)
	}
}
