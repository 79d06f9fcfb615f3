package frontier

import (
	"slices"
	"time"
)

// entry is a queued item without the fields its place in a host queue
// already says (Host and Depth), so a queued URL costs 64 bytes plus its
// strings.
type entry struct {
	url, key, parent string
	attempts, hops   int
}

func newEntry(it Item) entry {
	return entry{url: it.URL, key: it.Key, parent: it.Parent, attempts: it.Attempts, hops: it.Hops}
}

func (e entry) item(host string, depth int) Item {
	return Item{URL: e.url, Key: e.key, Host: host, Depth: depth, Parent: e.parent, Attempts: e.attempts, Hops: e.hops}
}

// ring is a FIFO of entries that also takes pushes at the front (Retry).
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

// popFront removes the oldest entry. ok is false when the ring is empty.
func (r *ring) popFront() (e entry, ok bool) {
	if r.n == 0 {
		return entry{}, false
	}
	e = r.buf[r.head]
	r.buf[r.head] = entry{} // drop the strings for the collector
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	if len(r.buf) > minRing && r.n <= len(r.buf)/4 {
		r.resize(len(r.buf) / 2)
	}
	return e, true
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

// bucket holds one host's queued entries of one depth, oldest first.
type bucket struct {
	depth int
	q     ring
}

// hostState says which index of the Memory a host is in, if any.
type hostState uint8

const (
	// stateNone: in no index. The host has no queued work, or it is at its
	// in-flight limit; the end of one of its leases places it again.
	stateNone hostState = iota
	// stateReady: in Memory.ready, ordered by due time. Its head is at the
	// current level, except after a late Add lowered the level: Next parks
	// such hosts when it meets them.
	stateReady
	// stateParked: listed in Memory.parked[parkDepth], its head depth,
	// which is deeper than the current level.
	stateParked
	// stateIdle: in Memory.idle: no queue, no leases, but a due time still
	// to come. It is forgotten when that time passes.
	stateIdle
)

// host is the politeness state and the queue of one host.
type host struct {
	name    string
	buckets []bucket // ascending depth, none empty
	queued  int
	// inflight is the number of leases held.
	inflight int
	// delay is the minimum time between two lease starts.
	delay time.Duration
	// lastStart is when the last lease started; blocked is the end of the
	// last Retry's wait. due is max(lastStart+delay, blocked).
	lastStart, blocked, due time.Time

	state     hostState
	index     int    // position in the ready or idle heap
	seq       uint64 // ready-heap tie-break: first in, first served
	parkDepth int
}

func (h *host) refreshDue() {
	h.due = h.lastStart.Add(h.delay)
	if h.blocked.After(h.due) {
		h.due = h.blocked
	}
}

// headDepth is the depth of the next entry to lease; the host must have one.
func (h *host) headDepth() int { return h.buckets[0].depth }

// push queues e at depth, at the back of its depth or, for a retry, at the
// front.
func (h *host) push(depth int, e entry, front bool) {
	i := len(h.buckets)
	for i > 0 && h.buckets[i-1].depth > depth {
		i--
	}
	if i == 0 || h.buckets[i-1].depth != depth {
		h.buckets = slices.Insert(h.buckets, i, bucket{depth: depth})
		i++
	}
	b := &h.buckets[i-1]
	if front {
		b.q.pushFront(e)
	} else {
		b.q.pushBack(e)
	}
	h.queued++
}

// pop removes the head entry: the oldest of the lowest depth.
func (h *host) pop() (e entry, depth int, ok bool) {
	if len(h.buckets) == 0 {
		return entry{}, 0, false
	}
	b := &h.buckets[0]
	e, ok = b.q.popFront()
	depth = b.depth
	if b.q.n == 0 {
		h.buckets = slices.Delete(h.buckets, 0, 1)
	}
	if ok {
		h.queued--
	}
	return e, depth, ok
}

// hostHeap is a min-heap of hosts by due time, then seq. Each host records
// its position in index.
type hostHeap []*host

func (q hostHeap) less(i, j int) bool {
	a, b := q[i], q[j]
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.seq < b.seq
}

func (q hostHeap) swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *hostHeap) push(h *host) {
	h.index = len(*q)
	*q = append(*q, h)
	q.up(h.index)
}

// remove takes out the host at position i.
func (q *hostHeap) remove(i int) {
	old := *q
	n := len(old) - 1
	if i < 0 || i > n {
		return
	}
	h := old[i]
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*q = old[:n]
	if i != n {
		q.fix(i)
	}
	h.index = -1
}

// fix restores the order after the due time of the host at i changed.
func (q hostHeap) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

func (q hostHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q hostHeap) down(i int) bool {
	start := i
	for {
		c := 2*i + 1
		if c >= len(q) {
			break
		}
		if r := c + 1; r < len(q) && q.less(r, c) {
			c = r
		}
		if !q.less(c, i) {
			break
		}
		q.swap(i, c)
		i = c
	}
	return i > start
}
