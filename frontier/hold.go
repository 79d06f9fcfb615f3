package frontier

import (
	"hash/maphash"
	"maps"
	"slices"
	"time"
)

// Lookahead. The memory frontier leases depth d+1 as soon as all of depth d
// is leased, instead of once all of it is completed, so that a level's
// slowest pages no longer leave the workers idle. The children (links and
// redirect targets) of a page of depth d+1 that completes while depth d is
// still in flight are held back here until depth d completes: a page of
// depth d may still reach the same URL by a shorter path, and the URL must
// get that depth. Held children are not seen and not counted in Stats until
// they are released; they keep the crawl pending.

// heldLinks are the held-back children of the pages of one depth, each
// once.
type heldLinks struct {
	items []Item
	keys  map[uint64]struct{}
}

// hold holds back the children of a page of depth that was leased ahead of
// its level, skipping those already seen or held.
func (m *Memory) hold(depth int, children []Item) {
	h := m.held[depth]
	if h == nil {
		h = &heldLinks{keys: make(map[uint64]struct{})}
		m.held[depth] = h
	}
	n := 0
	for _, it := range children {
		k := maphash.String(m.seed, it.DedupKey())
		if _, ok := m.seen[k]; ok {
			continue
		}
		if _, ok := h.keys[k]; ok {
			continue
		}
		h.keys[k] = struct{}{}
		h.items = append(h.items, it)
		n++
	}
	m.s.Hold(n)
}

// release queues the children held for the pages of depths that are no
// longer ahead of the level, shallowest first; those seen since are dropped
// as Add drops them.
func (m *Memory) release(now time.Time) {
	for len(m.held) > 0 {
		d := slices.Min(slices.Collect(maps.Keys(m.held)))
		if m.s.AheadOf(d) {
			return
		}
		h := m.held[d]
		delete(m.held, d)
		m.s.Hold(-len(h.items))
		m.add(h.items, now)
	}
}

// heldCount is the number of children held back.
func (m *Memory) heldCount() int {
	n := 0
	for _, h := range m.held {
		n += len(h.items)
	}
	return n
}
