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
	if err := d.scanQueues(now); err != nil {
		return err
	}
	b := d.db.NewBatch()
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

// scanQueues queues every item of the queue keys in the scheduler. The
// keys sort by host, then depth, then sequence number, and a bucket's
// sequence numbers must be contiguous.
func (d *Disk) scanQueues(now time.Time) error {
	var last struct {
		host  string
		depth int
		ok    bool
	}
	return d.scan(prefixQueue, func(k, _ []byte) error {
		name, depth, seq, err := parseQueueKey(k)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		switch {
		case seq == math.MaxUint64:
			return fmt.Errorf("queue key %q: sequence number overflows: %w", k, ErrCorrupt)
		case last.ok && last.host == name && last.depth > depth:
			return fmt.Errorf("queue key %q out of order: %w", k, ErrCorrupt)
		}
		last.host, last.depth, last.ok = name, depth, true
		q, n := d.s.Push(name, depth, now)
		if n == 0 {
			q.first = seq - seqStart
		} else if want := q.at(n); seq != want {
			return fmt.Errorf("queue of %q at depth %d skips from %d to %d: %w", name, depth, want, seq, ErrCorrupt)
		}
		return nil
	})
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
		d.vbuf = appendItem(d.vbuf[:0], queuedItem(it))
		if err := b.Set(queueKey(nil, it.Host, it.Depth, q.at(0)), d.vbuf, nil); err != nil {
			return err
		}
		if err := b.Delete(ls[i].key, nil); err != nil {
			return err
		}
	}
	return nil
}
