package frontier

import (
	"hash/maphash"
	"math"
	"time"
)

// This file holds where Memory keeps its items: a ring of entries per host
// and depth, which the scheduler (frontier/internal/sched) hands out, and
// the seen-set. Every function here expects m.mu held.

// place is where a seen URL's item waits: the depth of its queue (notQueued
// once it is leased or done) and a 32-bit hash of its host, which a move
// must match (a move counts the old item out of its host's queue).
type place struct {
	depth int32
	host  uint32
}

const notQueued = -1 << 31

func (m *Memory) placeOf(host string, depth int) place {
	return place{depth: clamp32(depth), host: uint32(maphash.String(m.seed, host))}
}

// add queues the unseen items and returns how many there were. With move
// (the children of a Complete), an item whose URL is still queued at a
// greater depth, on its host, was reached by a shorter path (a redirect or
// a sitemap keeps its page's depth, so it can reach a URL that a link of
// the same level queued one deeper): it is queued again, as given, at its
// depth, and the deeper entry is counted out and left behind for lease to
// skip.
func (m *Memory) add(items []Item, now time.Time, move bool) int {
	n := 0
	for i := range items {
		it := &items[i]
		k := maphash.String(m.seed, it.DedupKey())
		p := m.placeOf(it.Host, it.Depth)
		old, seen := m.seen[k]
		if seen && move && old.depth == notQueued {
			m.moveAhead(k, it, now)
			continue
		}
		moved := seen && move && old.depth > p.depth && old.host == p.host
		if seen && !moved {
			continue
		}
		if !seen {
			n++
		}
		m.seen[k] = p
		q, _ := m.s.Push(it.Host, it.Depth, now)
		q.pushBack(newEntry(*it))
		if moved {
			m.s.Remove(it.Host, int(old.depth), now)
		}
	}
	return n
}

// lease hands out a ripe parked lease, else the head of the ready host due
// first, else, with ahead, the head of the host due first of those one
// level deeper, skipping the entries left behind by a move to a shallower
// depth (add). When nothing is leasable, wait is how long until the first
// host that could be leased is due (0 if there is none).
func (m *Memory) lease(now time.Time, ahead bool) (l Lease, wait time.Duration, ok bool) {
	if id, depth, ok := m.s.Ripe(); ok {
		it := m.ahead[id]
		it.Depth = depth
		return Lease{ID: id, Item: it, Ahead: true, Ripe: true}, 0, true
	}
	h, wait, isAhead := m.s.Pick(now, ahead)
	if h == nil {
		return Lease{}, wait, false
	}
	depth, q := h.Head()
	for {
		e := q.popFront()
		k := maphash.String(m.seed, e.dedupKey())
		p := m.seen[k]
		if p.depth != clamp32(depth) {
			continue // left behind; the bucket counts a live entry after it
		}
		m.seen[k] = place{depth: notQueued, host: p.host}
		id := m.s.Lease(h, now)
		l := Lease{ID: id, Item: e.item(h.Name(), depth)}
		if isAhead {
			l.Ahead = true
			m.ahead[id] = l.Item
			m.aheadKey[k] = id
		}
		return l, 0, true
	}
}

// moveAhead moves the ahead lease of the URL whose key hash is k, if it
// has one on its host, deeper than it: a Complete child reached it by a
// shorter path. The lease keeps its ID; it takes its depth, parent, hops
// and mode.
func (m *Memory) moveAhead(k uint64, it *Item, now time.Time) {
	id, ok := m.aheadKey[k]
	if !ok {
		return
	}
	a := m.ahead[id]
	if a.Host != it.Host || a.Depth <= it.Depth || !m.s.MoveLease(id, it.Depth, now) {
		return
	}
	a.Depth, a.Parent, a.Hops, a.Mode = it.Depth, it.Parent, it.Hops, it.Mode
	m.ahead[id] = a
}

// forgetAhead drops what Memory keeps of the ahead lease id, if it is one.
func (m *Memory) forgetAhead(id uint64) {
	if it, ok := m.ahead[id]; ok {
		delete(m.ahead, id)
		delete(m.aheadKey, maphash.String(m.seed, it.DedupKey()))
	}
}

// movedItem is the item the crawler passed back, it, with what a move
// changed in the lease's item as the frontier keeps it, a, at depth.
func movedItem(it, a Item, depth int) Item {
	if a.URL != "" && depth < it.Depth {
		it.Depth, it.Parent, it.Hops, it.Mode = depth, a.Parent, a.Hops, a.Mode
	}
	return it
}

// entry is a queued item without the fields its place in a host queue
// already says (Host and Depth), so a queued URL costs 64 bytes plus its
// strings. Attempts and Hops are kept in 32 bits, saturating: a crawl
// makes far fewer requests or redirects for one URL.
type entry struct {
	url, key, parent string
	attempts, hops   int32
	mode             uint8
}

func newEntry(it Item) entry {
	return entry{url: it.URL, key: it.Key, parent: it.Parent, attempts: clamp32(it.Attempts), hops: clamp32(it.Hops), mode: it.Mode}
}

func (e entry) dedupKey() string {
	if e.key != "" {
		return e.key
	}
	return e.url
}

func (e entry) item(host string, depth int) Item {
	return Item{URL: e.url, Key: e.key, Host: host, Depth: depth, Parent: e.parent, Attempts: int(e.attempts), Hops: int(e.hops), Mode: e.mode}
}

func clamp32(n int) int32 {
	return int32(max(min(n, math.MaxInt32), math.MinInt32))
}

// ring is a FIFO of entries that also takes pushes at the front (Retry):
// the storage of one host's items of one depth.
type ring struct {
	buf  []entry
	head int
	n    int
}

// minRing is the capacity below which a ring never shrinks.
const minRing = 8

func (r *ring) pushBack(e entry) {
	if r.n == len(r.buf) {
		r.resize(max(minRing, 2*len(r.buf)))
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
}

func (r *ring) pushFront(e entry) {
	if r.n == len(r.buf) {
		r.resize(max(minRing, 2*len(r.buf)))
	}
	r.head = (r.head - 1 + len(r.buf)) % len(r.buf)
	r.buf[r.head] = e
	r.n++
}

// popFront removes and returns the oldest entry; an empty ring returns the
// zero entry.
func (r *ring) popFront() entry {
	if r.n == 0 {
		return entry{}
	}
	e := r.buf[r.head]
	r.buf[r.head] = entry{} // drop the strings for the collector
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	if len(r.buf) > minRing && r.n <= len(r.buf)/4 {
		r.resize(len(r.buf) / 2)
	}
	return e
}

// resize moves the entries, oldest first, into a buffer of capacity c >= n.
func (r *ring) resize(c int) {
	buf := make([]entry, c)
	if r.n > 0 {
		k := copy(buf, r.buf[r.head:min(len(r.buf), r.head+r.n)])
		copy(buf[k:r.n], r.buf)
	}
	r.buf, r.head = buf, 0
}
