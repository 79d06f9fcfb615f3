package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// recover rebuilds the in-memory scheduling state from the store: it loads
// the SetHostDelay overrides, measures every host queue, puts the items the
// last process held leased back at the front of their queues and bumps the
// epoch, in one synced batch. Every host starts due at once.
func (d *Disk) recover(epoch uint64) error {
	now := time.Now()
	if err := d.loadDelays(now); err != nil {
		return err
	}
	b := d.db.NewBatch()
	if err := d.scanQueues(b, now); err != nil {
		return joinClose(err, b)
	}
	if err := d.returnLeases(b, now); err != nil {
		return joinClose(err, b)
	}
	epoch++
	if err := b.Set(keyEpoch, binary.AppendUvarint(nil, epoch), nil); err != nil {
		return joinClose(err, b)
	}
	if err := d.db.Apply(b, d.writeOpts()); err != nil {
		return joinClose(fmt.Errorf("return leases: %w", err), b)
	}
	if err := b.Close(); err != nil {
		return err
	}
	// Lease IDs of one Open never meet those of another.
	d.epoch = epoch
	d.s.SetLastID(epoch << 40)

	if q := d.s.Queued(); d.seen != d.done+q {
		return fmt.Errorf("counters say %d seen and %d done, but %d are queued: %w", d.seen, d.done, q, ErrCorrupt)
	}
	return nil
}

// writeOpts are the options of the writes that must be durable when they
// return.
func (d *Disk) writeOpts() *pebble.WriteOptions {
	if d.noSync {
		return pebble.NoSync
	}
	return pebble.Sync
}

// scan calls fn with each key and value of the range of prefix.
func (d *Disk) scan(prefix byte, fn func(k, v []byte) error) error {
	lo, hi := rangeOf(prefix)
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return readErr(lo, err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key(), v)
		}
		if err != nil {
			return errors.Join(err, it.Close())
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return readErr(lo, err)
	}
	return nil
}

// loadDelays reads the SetHostDelay overrides.
func (d *Disk) loadDelays(now time.Time) error {
	return d.scan(prefixDelay, func(k, v []byte) error {
		n, err := decodeUint(v)
		if err != nil {
			return fmt.Errorf("delay of %q: %w: %w", k[1:], ErrCorrupt, err)
		}
		d.s.SetDelay(string(k[1:]), time.Duration(min(n, math.MaxInt64)), now)
		return nil
	})
}

// scanQueues counts every queued item in the scheduler and locates each
// bucket's slots. The keys sort by host, then depth, then sequence number,
// and a bucket's sequence numbers must be contiguous. Moved items hold
// slots but are not counted; a bucket of moved items only (its last item
// was leased in a write that did not reach the disk, after the moves) is
// deleted, writing into b.
func (d *Disk) scanQueues(b *pebble.Batch, now time.Time) error {
	var cur struct {
		host         string
		depth        int
		first, slots uint64 // seq of the first slot and how many follow
		items        int
		ok           bool
	}
	flush := func() error {
		if !cur.ok {
			return nil
		}
		if cur.items == 0 {
			return b.DeleteRange(queueKey(nil, cur.host, cur.depth, cur.first), queueKey(nil, cur.host, cur.depth, cur.first+cur.slots), nil)
		}
		var q *span
		for range cur.items {
			q, _ = d.s.Push(cur.host, cur.depth, now)
		}
		q.first, q.n = cur.first-seqStart, int(cur.slots)
		return nil
	}
	err := d.scan(prefixQueue, func(k, v []byte) error {
		name, depth, seq, err := parseQueueKey(k)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		switch {
		case seq == math.MaxUint64:
			return fmt.Errorf("queue key %q: sequence number overflows: %w", k, ErrCorrupt)
		case cur.ok && cur.host == name && cur.depth > depth:
			return fmt.Errorf("queue key %q out of order: %w", k, ErrCorrupt)
		}
		if !cur.ok || cur.host != name || cur.depth != depth {
			if err := flush(); err != nil {
				return err
			}
			cur.host, cur.depth, cur.first, cur.slots, cur.items, cur.ok = name, depth, seq, 0, 0, true
		} else if want := cur.first + cur.slots; seq != want {
			return fmt.Errorf("queue of %q at depth %d skips from %d to %d: %w", name, depth, want, seq, ErrCorrupt)
		}
		cur.slots++
		if !isMoved(v) {
			cur.items++
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// returnLeases moves the items leased by the last process back to the
// front of their queues, in lease order, writing the moves into b.
func (d *Disk) returnLeases(b *pebble.Batch, now time.Time) error {
	type leased struct {
		key  []byte
		item frontier.Item
	}
	var ls []leased
	err := d.scan(prefixLease, func(k, v []byte) error {
		it, err := decodeItem(v)
		if err != nil || len(k) != 9 {
			return fmt.Errorf("lease %q: %w: %w", k, ErrCorrupt, errors.Join(errDecode, err))
		}
		ls = append(ls, leased{key: append([]byte(nil), k...), item: it})
		return nil
	})
	if err != nil {
		return err
	}
	// The oldest lease goes in last, so it ends up first.
	for i := len(ls) - 1; i >= 0; i-- {
		it := ls[i].item
		q, _ := d.s.Push(it.Host, it.Depth, now)
		q.first--
		q.n++
		if err := d.requeue(b, it, it.Host, it.Depth, q.at(0)); err != nil {
			return err
		}
		if err := b.Delete(ls[i].key, nil); err != nil {
			return err
		}
	}
	return nil
}
