package sched

import "time"

// This file holds leasing ahead: a host whose items of the level are all
// leased or done may have its items of the next depth fetched while other
// hosts finish the level, so that no host waits for another's level. A
// lease taken ahead (Pick) is fetched like any other; when its fetch
// is over the backend parks it (Park), which frees its host's slot but
// keeps it pending, and it becomes ripe, to be completed, when the level
// reaches its depth (Ripe hands it back). A Complete child that reaches
// the URL of such a lease by a shorter path moves the lease to the child's
// depth (MoveLease). Since nothing of depth d+1 is completed while
// anything of depth d is pending, every URL is still completed at its
// shortest depth, and its children are added only then.

// aheadScan bounds the hosts one ReadyAhead looks at, so that a crawl of
// many hosts does not scan them all on every call at a level's end.
const aheadScan = 256

// ReadyAhead is Ready for a lease ahead of the level: the host due first
// of those whose head is one deeper than the level and that are below
// their in-flight limit, if it is due at now. Otherwise it returns nil and
// how long until the first of them is due (0 if there is none). With more
// than aheadScan such hosts it looks at aheadScan of them (more if none of
// those can be leased), the next ones at each call. The backend takes the
// item as for Ready and calls Lease. Backends call it through Pick.
func (s *Scheduler[Q]) ReadyAhead(now time.Time) (h *Host[Q], wait time.Duration) {
	d := s.level + 1
	hs := s.parked[d]
	if len(hs) <= aheadScan {
		// Drop the stale entries of a short list as it is read.
		live := hs[:0]
		for _, c := range hs {
			if c.state == stateParked && c.parkDepth == d {
				live = append(live, c)
			}
		}
		clear(hs[len(live):])
		if hs = live; len(hs) == 0 {
			delete(s.parked, d)
		} else {
			s.parked[d] = hs
		}
	}
	var best *Host[Q]
	n := 0
	for ; n < len(hs) && (n < aheadScan || best == nil); n++ {
		c := hs[(s.aheadAt+n)%len(hs)]
		if c.state != stateParked || c.parkDepth != d || c.inflight >= s.maxInflight {
			continue // stale (the host moved), or at its limit
		}
		if best == nil || c.due.Before(best.due) {
			best = c
		}
	}
	if len(hs) > 0 {
		s.aheadAt = (s.aheadAt + n) % len(hs)
	}
	switch {
	case best == nil:
		return nil, 0
	case best.due.After(now):
		return nil, best.due.Sub(now)
	}
	return best, 0
}

// Pick returns the host whose head the next lease takes: Ready's, else,
// with ahead, ReadyAhead's, and whether that lease is ahead of the level
// (Lease marks it so: the backend parks it when its fetch is over). With
// none, wait is the shorter of their waits (0 if neither has one).
func (s *Scheduler[Q]) Pick(now time.Time, ahead bool) (h *Host[Q], wait time.Duration, isAhead bool) {
	h, wait = s.Ready(now)
	if h != nil || !ahead {
		return h, wait, false
	}
	h, w := s.ReadyAhead(now)
	if wait == 0 || (w > 0 && w < wait) {
		wait = w
	}
	return h, wait, h != nil
}

// Park ends the fetch of the ahead lease id: it no longer holds a slot of
// its host, and stays pending until it is completed or retried. It returns
// the lease's depth (a move may have lowered it) and whether it is ripe:
// at the level, so that the backend hands it back at once. Otherwise Ripe
// hands it back once the level reaches its depth. ok is false, and nothing
// changes, when id is not an ahead lease held and not parked.
func (s *Scheduler[Q]) Park(id uint64, now time.Time) (depth int, ripe, ok bool) {
	l, held := s.leases[id]
	if !held || !l.ahead || l.parked {
		return 0, false, false
	}
	l.h.inflight--
	s.place(l.h, now)
	l.h, l.parked = nil, true
	s.parkedN++
	if l.depth <= s.level {
		l.ripe = true
	} else {
		s.waiting[l.depth] = append(s.waiting[l.depth], id)
	}
	s.leases[id] = l
	s.Broadcast() // the host's slot is free
	return l.depth, l.ripe, true
}

// Ripe takes a parked lease that the level has reached, if there is one,
// and returns its ID and depth. The backend hands it back to be completed.
func (s *Scheduler[Q]) Ripe() (id uint64, depth int, ok bool) {
	for len(s.ripe) > 0 {
		id = s.ripe[0]
		s.ripe[0] = 0
		s.ripe = s.ripe[1:]
		if l, held := s.leases[id]; held && l.ripe {
			return id, l.depth, true
		}
	}
	s.ripe = nil
	return 0, 0, false
}

// MoveLease lowers the depth of the ahead lease id to depth: a Complete
// child reached its URL by a shorter path. A parked lease that the level
// has then reached is ripe. It changes nothing, and returns false, when id
// is not an ahead lease held or is not deeper than depth.
func (s *Scheduler[Q]) MoveLease(id uint64, depth int, now time.Time) bool {
	l, held := s.leases[id]
	if !held || !l.ahead || l.depth <= depth {
		return false
	}
	if depth < s.level {
		s.level = depth // not from a Complete: its children are at the level or deeper
	}
	s.pending[depth]++
	s.total++
	old := l.depth
	l.depth = depth
	switch {
	case !l.parked || l.ripe:
	case depth <= s.level:
		l.ripe = true
		s.ripe = append(s.ripe, id)
	default:
		// Still deeper than the level (a late Add lowered it): it
		// waits at its new depth.
		s.waiting[depth] = append(s.waiting[depth], id)
	}
	s.leases[id] = l
	s.settle(old, now)
	s.Broadcast()
	return true
}

// ripen makes ripe the parked leases the level has reached. Entries of
// leases that ended, moved or are ripe already are stale.
func (s *Scheduler[Q]) ripen() {
	for depth, ids := range s.waiting {
		if depth > s.level {
			continue
		}
		delete(s.waiting, depth)
		for _, id := range ids {
			if l, held := s.leases[id]; held && l.parked && !l.ripe && l.depth == depth {
				l.ripe = true
				s.leases[id] = l
				s.ripe = append(s.ripe, id)
			}
		}
	}
}
