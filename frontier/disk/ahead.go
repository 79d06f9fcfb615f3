package disk

import (
	"context"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

var _ frontier.Aheader = (*Disk)(nil)

// Leases ahead of the level (frontier.Aheader) are held in memory like
// every lease, with their items in their lease keys. A move of one (a
// Complete child reached its URL by a shorter path) rewrites its lease key
// in the Complete's transaction, so that a reopen puts the item back at
// the depth it was moved to. Parking writes nothing: a reopen returns
// parked leases to their queues like any other, and the crawler, which
// wrote none of their records, fetches them again.

// NextAhead is Next that may also lease ahead of the level (see
// frontier.Aheader).
func (d *Disk) NextAhead(ctx context.Context) (frontier.Lease, error) {
	return d.next(ctx, true)
}

// Park ends the fetch of an ahead lease (see frontier.Aheader).
func (d *Disk) Park(ctx context.Context, l frontier.Lease) (frontier.Lease, bool, error) {
	if err := d.enter(ctx); err != nil {
		return frontier.Lease{}, false, err
	}
	defer d.mu.Unlock()
	depth, ripe, ok := d.s.Park(l.ID, time.Now())
	if !ok {
		return frontier.Lease{}, false, frontier.ErrStaleLease
	}
	l.Item = movedItem(l.Item, d.ahead[l.ID], depth)
	l.Ripe = ripe
	return l, ripe, nil
}

// ripe returns a ripe parked lease, if there is one.
func (d *Disk) ripe() (frontier.Lease, bool) {
	id, depth, ok := d.s.Ripe()
	if !ok {
		return frontier.Lease{}, false
	}
	it := d.ahead[id]
	it.Depth = depth
	return frontier.Lease{ID: id, Item: it, Ahead: true, Ripe: true}, true
}

// noteAhead remembers the ahead lease l of the URL whose dedup key is k.
func (d *Disk) noteAhead(l frontier.Lease, k string) {
	if d.ahead == nil {
		d.ahead, d.aheadKey = make(map[uint64]frontier.Item), make(map[string]uint64)
	}
	d.ahead[l.ID] = l.Item
	d.aheadKey[k] = l.ID
}

// moveAhead moves the ahead lease of the URL of it, if it has one on its
// host deeper than it, writing its moved item to its lease key in b. It
// reports whether there was such a lease.
func (d *Disk) moveAhead(b *pebble.Batch, it *frontier.Item, now time.Time) (bool, error) {
	id, ok := d.aheadKey[it.DedupKey()]
	if !ok {
		return false, nil
	}
	a := d.ahead[id]
	if a.Host != it.Host || a.Depth <= it.Depth || !d.s.MoveLease(id, it.Depth, now) {
		return false, nil
	}
	a.Depth, a.Parent, a.Hops, a.Mode = it.Depth, it.Parent, it.Hops, it.Mode
	d.ahead[id] = a
	d.vbuf = appendItem(d.vbuf[:0], a)
	return true, b.Set(leaseKey(id), d.vbuf, nil)
}

// forgetAhead drops what the Disk keeps of the lease id, if it was taken
// ahead, and returns its item and whether it was.
func (d *Disk) forgetAhead(id uint64) (frontier.Item, bool) {
	a, ok := d.ahead[id]
	if ok {
		delete(d.ahead, id)
		delete(d.aheadKey, a.DedupKey())
	}
	return a, ok
}

// movedItem is the item the caller passed back, it, with what a move
// changed in the lease's item as the Disk keeps it, a, at depth.
func movedItem(it, a frontier.Item, depth int) frontier.Item {
	if a.URL != "" && depth < it.Depth {
		it.Depth, it.Parent, it.Hops, it.Mode = depth, a.Parent, a.Hops, a.Mode
	}
	return it
}
