package frontier

import (
	"hash/maphash"
	"time"
)

// This file holds Memory's scheduling: the seen-set, the pending count by
// depth that gates breadth-first order, and the indexes (ready heap, parked
// lists, idle heap) that let Next find work without scanning hosts. Every
// function here expects m.mu held.

// add queues the unseen items and returns how many there were.
func (m *Memory) add(items []Item, now time.Time) int {
	n := 0
	for i := range items {
		it := &items[i]
		k := maphash.String(m.seed, it.DedupKey())
		if _, ok := m.seen[k]; ok {
			continue
		}
		m.seen[k] = struct{}{}
		h := m.host(it.Host)
		h.push(it.Depth, newEntry(*it), false)
		m.queued++
		if m.total == 0 || it.Depth < m.level {
			m.level = it.Depth
		}
		m.pending[it.Depth]++
		m.total++
		// A ready host stays ready: its head is either unchanged or the new
		// item, which is at the (possibly lowered) level.
		if h.state != stateReady {
			m.place(h, now)
		}
		n++
	}
	return n
}

// host returns the state of the named host, creating it if needed.
func (m *Memory) host(name string) *host {
	if h := m.hosts[name]; h != nil {
		return h
	}
	d, ok := m.delays[name]
	if !ok {
		d = m.delay
	}
	h := &host{name: name, delay: d, index: -1}
	h.refreshDue()
	m.hosts[name] = h
	return h
}

// lease hands out the head of the ready host due first. When nothing is
// leasable, wait is how long until the first ready host is due (0 if no
// host is ready).
func (m *Memory) lease(now time.Time) (l Lease, wait time.Duration, ok bool) {
	m.sweep(now)
	for len(m.ready) > 0 {
		h := m.ready[0]
		if h.queued == 0 || h.inflight >= m.maxInflight || h.headDepth() != m.level {
			m.place(h, now) // moves it out of ready
			continue
		}
		if h.due.After(now) {
			return Lease{}, h.due.Sub(now), false
		}
		e, depth, _ := h.pop()
		m.queued--
		h.inflight++
		h.lastStart = now
		h.refreshDue()
		m.lastID++
		m.leases[m.lastID] = leaseRec{h: h, depth: depth}
		m.place(h, now)
		return Lease{ID: m.lastID, Item: e.item(h.name, depth)}, 0, true
	}
	return Lease{}, 0, false
}

// settle drops one pending item of depth d (a completed lease) and moves
// the level on when d's last item is done.
func (m *Memory) settle(d int, now time.Time) {
	m.pending[d]--
	m.total--
	if m.pending[d] > 0 {
		return
	}
	delete(m.pending, d)
	if m.total == 0 {
		clear(m.parked) // only stale entries are left
		return
	}
	if d != m.level {
		return
	}
	first := true
	for depth := range m.pending {
		if first || depth < m.level {
			m.level, first = depth, false
		}
	}
	// Wake the hosts parked at the new level. Entries of smaller depths are
	// stale: nothing is pending there.
	for depth, hs := range m.parked {
		if depth > m.level {
			continue
		}
		delete(m.parked, depth)
		for _, h := range hs {
			if h.state == stateParked && h.parkDepth == depth {
				h.state = stateNone
				m.place(h, now)
			}
		}
	}
}

// place puts h in the index its state calls for, or forgets it when it has
// nothing queued or leased and is due.
func (m *Memory) place(h *host, now time.Time) {
	switch {
	case h.queued == 0 && h.inflight == 0:
		m.unindex(h)
		if !h.due.After(now) {
			delete(m.hosts, h.name)
			return
		}
		h.state = stateIdle
		m.idle.push(h)
	case h.queued == 0 || h.inflight >= m.maxInflight:
		// The end of one of its leases places it again.
		m.unindex(h)
	case h.headDepth() != m.level:
		d := h.headDepth()
		if h.state == stateParked && h.parkDepth == d {
			return
		}
		m.unindex(h)
		h.state, h.parkDepth = stateParked, d
		m.parked[d] = append(m.parked[d], h)
	case h.state == stateReady:
		m.ready.fix(h.index)
	default:
		m.unindex(h)
		h.state = stateReady
		m.seq++
		h.seq = m.seq
		m.ready.push(h)
	}
}

// unindex takes h out of whatever index holds it. A parked host's list
// entry stays behind, stale.
func (m *Memory) unindex(h *host) {
	switch h.state {
	case stateReady:
		m.ready.remove(h.index)
	case stateIdle:
		m.idle.remove(h.index)
	}
	h.state = stateNone
}

// sweep forgets the idle hosts that are due.
func (m *Memory) sweep(now time.Time) {
	for len(m.idle) > 0 && !m.idle[0].due.After(now) {
		h := m.idle[0]
		m.idle.remove(0)
		h.state = stateNone
		delete(m.hosts, h.name)
	}
}
