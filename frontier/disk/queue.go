package disk

import (
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// This file holds the store side of the Disk's queues: the seen-set, the
// queue keys of the items the scheduler (frontier/internal/sched) hands
// out, and the span that locates each bucket's items. The functions that
// touch the store write into the batch they are given or apply their own;
// every function here expects d.mu held.

// span locates one bucket's items in the store (a bucket is one host's
// items of one depth; the scheduler counts them). They sit under the
// contiguous sequence numbers at(0), at(1), ..., at(n-1): pops take at(0),
// pushes at the back take at(n), and Retry pushes at at(-1), so a bucket
// never has holes and its head key is always known exactly (no iterator
// walks over the tombstones of popped items). A slot may hold a moved
// item (itemMoved), which the scheduler no longer counts, so n may exceed
// the bucket's count; when the count reaches zero the slots left are
// deleted with it. The zero span starts at seqStart.
type span struct {
	// first is the head's sequence number minus seqStart, modulo 2^64.
	first uint64
	// n is the number of slots, moved items included.
	n int
}

// at returns the sequence number of the bucket's slot i.
func (s *span) at(i int) uint64 { return seqStart + s.first + uint64(i) }

// add queues the unseen items into b and returns how many there were.
// With move (the children of a Complete), an item whose URL is still
// queued at a greater depth was reached by a shorter path (a redirect or a
// sitemap keeps its page's depth, so it can reach a URL that a link of the
// same level queued one deeper): it moves there (move). fresh holds the
// places of the keys this batch already added (b is not readable).
func (d *Disk) add(b *pebble.Batch, items []frontier.Item, now time.Time, fresh map[string]place, move bool) (int, error) {
	n := 0
	for i := range items {
		it := &items[i]
		k := it.DedupKey()
		if p, ok := fresh[k]; ok {
			if move && p.depth > it.Depth {
				if err := d.move(b, it, p, now, fresh); err != nil {
					return n, err
				}
			}
			continue
		}
		d.kbuf = seenKey(d.kbuf[:0], k)
		if depth, ok := d.seenCache.get(d.kbuf); ok && (!move || depth <= it.Depth) {
			continue
		}
		p, seen, err := d.seenAt(d.kbuf)
		if err != nil {
			return n, err
		}
		if seen {
			d.seenCache.put(d.kbuf, p.depth)
			if !move || p.depth <= it.Depth {
				continue
			}
			ok, err := d.stillQueued(p, k)
			if err != nil {
				return n, err
			}
			if !ok {
				// Leased, or done: its depth is final, unless it was
				// leased ahead of the level.
				if _, err := d.moveAhead(b, it, now); err != nil {
					return n, err
				}
				continue
			}
			if err := d.move(b, it, p, now, fresh); err != nil {
				return n, err
			}
			continue
		}
		p, err = d.enqueue(b, it, now)
		if err != nil {
			return n, err
		}
		fresh[k] = p
		d.seen++
		n++
	}
	return n, nil
}

// enqueue marks it seen and queues it at the back of its bucket, writing
// into b, and returns its place. d.kbuf must hold its seen key.
func (d *Disk) enqueue(b *pebble.Batch, it *frontier.Item, now time.Time) (place, error) {
	q, _ := d.s.Push(it.Host, it.Depth, now)
	p := place{host: it.Host, depth: it.Depth, seq: q.at(q.n)}
	q.n++
	d.vbuf = appendPlace(d.vbuf[:0], p)
	if err := b.Set(d.kbuf, d.vbuf, nil); err != nil {
		return p, fmt.Errorf("add %s: %w", it.URL, err)
	}
	// Seen from now on: if the batch is not applied, the Disk fails for
	// good (fail), so the cache cannot outlive a lost write.
	d.seenCache.put(d.kbuf, it.Depth)
	d.kbuf = queueKey(d.kbuf[:0], p.host, p.depth, p.seq)
	d.vbuf = appendItem(d.vbuf[:0], queuedItem(*it))
	if err := b.Set(d.kbuf, d.vbuf, nil); err != nil {
		return p, fmt.Errorf("add %s: %w", it.URL, err)
	}
	return p, nil
}

// move queues it, whose URL waits at the deeper place old, at its own
// depth, writing into b: the new copy is queued and becomes the URL's
// place, and the old slot holds itemMoved, or goes with the rest of its
// bucket's slots when it was the bucket's last counted item.
func (d *Disk) move(b *pebble.Batch, it *frontier.Item, old place, now time.Time, fresh map[string]place) error {
	k := it.DedupKey()
	d.kbuf = seenKey(d.kbuf[:0], k)
	p, err := d.enqueue(b, it, now)
	if err != nil {
		return err
	}
	fresh[k] = p
	rest, left, ok := d.s.Remove(old.host, old.depth, now)
	if !ok {
		return fmt.Errorf("move %s: nothing queued for %q at depth %d: %w", it.URL, old.host, old.depth, ErrCorrupt)
	}
	if left > 0 {
		err = b.Set(queueKey(nil, old.host, old.depth, old.seq), movedValue, nil)
	} else {
		err = b.DeleteRange(queueKey(nil, old.host, old.depth, rest.at(0)), queueKey(nil, old.host, old.depth, rest.at(rest.n)), nil)
	}
	if err != nil {
		return fmt.Errorf("move %s: %w", it.URL, err)
	}
	return nil
}

// stillQueued tells whether the slot of p holds the item of dedup key k:
// a URL's place is where it was last queued, and stays in its seen value
// after the item is leased (or put back by Retry or a reopen under a new
// sequence number), when the slot is gone or holds another item.
func (d *Disk) stillQueued(p place, k string) (bool, error) {
	key := queueKey(nil, p.host, p.depth, p.seq)
	v, c, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, readErr(key, err)
	}
	defer c.Close()
	if isMoved(v) {
		return false, nil
	}
	it, err := decodeItem(v)
	if err != nil {
		return false, fmt.Errorf("read %q: %w: %w", key, ErrCorrupt, err)
	}
	return it.DedupKey() == k, nil
}

// requeue writes into b a leased item put back at the front of its
// bucket, in slot seq, and makes that slot its URL's place, so that a
// shorter path can still move it (an item leased ahead of the level may
// come back deeper than its shortest depth).
func (d *Disk) requeue(b *pebble.Batch, it frontier.Item, host string, depth int, seq uint64) error {
	d.vbuf = appendItem(d.vbuf[:0], queuedItem(it))
	if err := b.Set(queueKey(nil, host, depth, seq), d.vbuf, nil); err != nil {
		return err
	}
	d.kbuf = seenKey(d.kbuf[:0], it.DedupKey())
	d.vbuf = appendPlace(d.vbuf[:0], place{host: host, depth: depth, seq: seq})
	if err := b.Set(d.kbuf, d.vbuf, nil); err != nil {
		return err
	}
	d.seenCache.put(d.kbuf, depth)
	return nil
}

// queuedItem is it as stored in a host queue: the key says Host and Depth.
func queuedItem(it frontier.Item) frontier.Item {
	it.Host, it.Depth = "", 0
	return it
}

// seenAt tells whether key is in the seen-set and returns the place its
// value holds (depth noPlace if it holds none).
func (d *Disk) seenAt(key []byte) (p place, seen bool, err error) {
	v, c, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return place{}, false, nil
	}
	if err != nil {
		return place{}, false, readErr(key, err)
	}
	p, ok := decodePlace(v)
	if !ok {
		p = place{depth: noPlace}
	}
	if err := c.Close(); err != nil {
		return place{}, false, readErr(key, err)
	}
	return p, true, nil
}

// lease hands out the head of the ready host due first: it moves the item
// from its queue key to a lease key (unsynced: if the move is lost in a
// crash the item is still queued, which is where a reopen puts leased items
// anyway), deleting the moved items before it and, when it is the last
// item its bucket counts, the moved items after it. When nothing is
// leasable, wait is how long until the first ready host is due (0 if no
// host is ready).
func (d *Disk) lease(now time.Time, ahead bool) (l frontier.Lease, wait time.Duration, ok bool, err error) {
	if l, ok := d.ripe(); ok {
		return l, 0, true, nil
	}
	h, wait, isAhead := d.s.Pick(now, ahead)
	if h == nil {
		return frontier.Lease{}, wait, false, nil
	}
	depth, q := h.Head()
	last := h.HeadLen() == 1
	b := d.db.NewBatch()
	var it frontier.Item
	for {
		qk := queueKey(nil, h.Name(), depth, q.at(0))
		var moved bool
		it, moved, err = d.readItem(qk)
		if err == nil {
			err = b.Delete(qk, nil)
		}
		if err != nil {
			return frontier.Lease{}, 0, false, joinClose(err, b)
		}
		q.first++
		q.n--
		if !moved {
			break
		}
	}
	if rest := *q; last && rest.n > 0 {
		err := b.DeleteRange(queueKey(nil, h.Name(), depth, rest.at(0)), queueKey(nil, h.Name(), depth, rest.at(rest.n)), nil)
		if err != nil {
			return frontier.Lease{}, 0, false, joinClose(err, b)
		}
	}
	it.Host, it.Depth = h.Name(), depth
	id := d.s.Lease(h, now) // may drop the bucket, and q with it
	d.vbuf = appendItem(d.vbuf[:0], it)
	if err := b.Set(leaseKey(id), d.vbuf, nil); err != nil {
		return frontier.Lease{}, 0, false, joinClose(err, b)
	}
	if err := d.apply(b); err != nil {
		return frontier.Lease{}, 0, false, err
	}
	l = frontier.Lease{ID: id, Item: it, Ahead: isAhead}
	if isAhead {
		d.noteAhead(l, it.DedupKey())
	}
	return l, 0, true, nil
}

// readItem reads and decodes the item stored under key, which must exist;
// moved says the slot holds a moved item instead.
func (d *Disk) readItem(key []byte) (it frontier.Item, moved bool, err error) {
	v, c, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return frontier.Item{}, false, fmt.Errorf("queued item %q is missing: %w", key, ErrCorrupt)
	}
	if err != nil {
		return frontier.Item{}, false, readErr(key, err)
	}
	if isMoved(v) {
		return frontier.Item{}, true, c.Close()
	}
	it, err = decodeItem(v)
	if cerr := c.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return frontier.Item{}, false, fmt.Errorf("read %q: %w: %w", key, ErrCorrupt, err)
	}
	return it, false, nil
}
