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
// walks over the tombstones of popped items). The zero span starts at
// seqStart.
type span struct {
	// first is the head's sequence number minus seqStart, modulo 2^64.
	first uint64
}

// at returns the sequence number of the bucket's item i.
func (s *span) at(i int) uint64 { return seqStart + s.first + uint64(i) }

// add queues the unseen items into b and returns how many there were.
// fresh holds the keys this batch already added (b is not readable).
func (d *Disk) add(b *pebble.Batch, items []frontier.Item, now time.Time, fresh map[string]struct{}) (int, error) {
	n := 0
	for i := range items {
		it := &items[i]
		k := it.DedupKey()
		if _, ok := fresh[k]; ok {
			continue
		}
		d.kbuf = seenKey(d.kbuf[:0], k)
		if d.seenCache.has(d.kbuf) {
			continue
		}
		seen, err := d.has(d.kbuf)
		if err != nil {
			return n, err
		}
		if seen {
			d.seenCache.put(d.kbuf)
			continue
		}
		fresh[k] = struct{}{}
		if err := d.enqueue(b, it, now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// enqueue marks it seen and queues it at the back of its bucket, writing
// into b. d.kbuf must hold its seen key.
func (d *Disk) enqueue(b *pebble.Batch, it *frontier.Item, now time.Time) error {
	if err := b.Set(d.kbuf, nil, nil); err != nil {
		return fmt.Errorf("add %s: %w", it.URL, err)
	}
	// Seen from now on: if the batch is not applied, the Disk fails for
	// good (fail), so the cache cannot outlive a lost write.
	d.seenCache.put(d.kbuf)
	q, pos := d.s.Push(it.Host, it.Depth, now)
	d.kbuf = queueKey(d.kbuf[:0], it.Host, it.Depth, q.at(pos))
	d.vbuf = appendItem(d.vbuf[:0], queuedItem(*it))
	if err := b.Set(d.kbuf, d.vbuf, nil); err != nil {
		return fmt.Errorf("add %s: %w", it.URL, err)
	}
	d.seen++
	return nil
}

// queuedItem is it as stored in a host queue: the key says Host and Depth.
func queuedItem(it frontier.Item) frontier.Item {
	it.Host, it.Depth = "", 0
	return it
}

// has tells whether key is in the store.
func (d *Disk) has(key []byte) (bool, error) {
	_, c, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, readErr(key, err)
	}
	if err := c.Close(); err != nil {
		return false, readErr(key, err)
	}
	return true, nil
}

// lease hands out the head of the ready host due first: it moves the item
// from its queue key to a lease key (unsynced: if the move is lost in a
// crash the item is still queued, which is where a reopen puts leased items
// anyway). When nothing is leasable, wait is how long until the first ready
// host is due (0 if no host is ready).
func (d *Disk) lease(now time.Time) (l frontier.Lease, wait time.Duration, ok bool, err error) {
	h, wait := d.s.Ready(now)
	if h == nil {
		return frontier.Lease{}, wait, false, nil
	}
	depth, q := h.Head()
	qk := queueKey(nil, h.Name(), depth, q.at(0))
	it, err := d.readItem(qk)
	if err != nil {
		return frontier.Lease{}, 0, false, err
	}
	it.Host, it.Depth = h.Name(), depth
	q.first++
	id := d.s.Lease(h, now)
	b := d.db.NewBatch()
	if err := b.Delete(qk, nil); err != nil {
		return frontier.Lease{}, 0, false, joinClose(err, b)
	}
	d.vbuf = appendItem(d.vbuf[:0], it)
	if err := b.Set(leaseKey(id), d.vbuf, nil); err != nil {
		return frontier.Lease{}, 0, false, joinClose(err, b)
	}
	if err := d.apply(b); err != nil {
		return frontier.Lease{}, 0, false, err
	}
	return frontier.Lease{ID: id, Item: it}, 0, true, nil
}

// readItem reads and decodes the item stored under key, which must exist.
func (d *Disk) readItem(key []byte) (frontier.Item, error) {
	v, c, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return frontier.Item{}, fmt.Errorf("queued item %q is missing: %w", key, ErrCorrupt)
	}
	if err != nil {
		return frontier.Item{}, readErr(key, err)
	}
	it, err := decodeItem(v)
	if cerr := c.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return frontier.Item{}, fmt.Errorf("read %q: %w: %w", key, ErrCorrupt, err)
	}
	return it, nil
}
