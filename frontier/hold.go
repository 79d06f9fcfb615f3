package frontier

import (
	"hash/maphash"
	"maps"
	"slices"
	"time"
)

// Lookahead. The memory frontier leases depth d+1 as soon as all of depth d
// is leased, instead of once all of it is completed, so that a level's
// slowest pages no longer leave the workers idle. The links of a page of
// depth d+1 that completes while depth d is still in flight are held back
// here until depth d completes: a page of depth d may link the same URL,
// which then gets its shortest depth, d+1, and not d+2.

// heldLinks are the held-back links of one depth, each once.
type heldLinks struct {
	items []Item
	keys  map[uint64]struct{}
}

// addOrHold queues the items the scheduler allows now and holds back the
// others (sched.Scheduler.Defers). It returns how many were new: not seen
// and not held already.
func (m *Memory) addOrHold(items []Item, now time.Time) int {
	n := 0
	for i := range items {
		it := &items[i]
		if !m.s.Defers(it.Depth) {
			n += m.add(items[i:i+1], now)
			continue
		}
		k := maphash.String(m.seed, it.DedupKey())
		if _, ok := m.seen[k]; ok {
			continue
		}
		h := m.held[it.Depth]
		if h == nil {
			h = &heldLinks{keys: make(map[uint64]struct{})}
			m.held[it.Depth] = h
		}
		if _, ok := h.keys[k]; ok {
			continue
		}
		h.keys[k] = struct{}{}
		h.items = append(h.items, *it)
		m.s.Hold(1)
		n++
	}
	return n
}

// release queues the held links the scheduler now allows, shallowest
// depth first; those seen since are dropped as Add drops them.
func (m *Memory) release(now time.Time) {
	for len(m.held) > 0 {
		d := slices.Min(slices.Collect(maps.Keys(m.held)))
		if m.s.Defers(d) {
			return
		}
		h := m.held[d]
		delete(m.held, d)
		m.s.Hold(-len(h.items))
		m.add(h.items, now)
	}
}

// heldCount is the number of links held back.
func (m *Memory) heldCount() int {
	n := 0
	for _, h := range m.held {
		n += len(h.items)
	}
	return n
}
