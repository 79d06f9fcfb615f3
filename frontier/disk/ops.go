package disk

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// Writes are applied to the store under d.mu without waiting for the disk,
// so their order on disk is the order of the changes in memory and any
// crash leaves a prefix of them. Calls that must be durable when they
// return (Add, Complete, CompleteBatch, Retry) then release d.mu and wait
// for a sync of the write-ahead log, which covers every write applied
// before it: concurrent callers share one fsync. Next and SetHostDelay do
// not wait: losing them in a crash is harmless (a reopen returns leased
// items to the front of their queues anyway, and delays are set again from
// robots.txt).

// Add queues the items whose dedup keys are new, in one durable
// transaction, and returns how many were new.
func (d *Disk) Add(ctx context.Context, items ...frontier.Item) (int, error) {
	if err := d.enter(ctx); err != nil {
		return 0, err
	}
	b := d.db.NewBatch()
	n, err := d.add(b, items, time.Now(), make(map[string]place), false)
	if err == nil && n > 0 {
		err = d.putCounters(b)
	}
	if err != nil {
		err = d.fail(joinClose(err, b))
		d.mu.Unlock()
		return 0, err
	}
	if n == 0 {
		if err := b.Close(); err != nil {
			err = d.fail(err)
			d.mu.Unlock()
			return 0, err
		}
		// The keys may have been seen in a write not yet synced.
		return 0, d.syncUnlock()
	}
	if err := d.apply(b); err != nil {
		err = d.fail(err)
		d.mu.Unlock()
		return 0, err
	}
	return n, d.syncUnlock()
}

// Next leases the next item: a parked lease that has become ripe (see
// NextAhead), else the oldest item of the current level on the host that
// has been due longest. It blocks while no item can be leased.
func (d *Disk) Next(ctx context.Context) (frontier.Lease, error) {
	return d.next(ctx, false)
}

func (d *Disk) next(ctx context.Context, ahead bool) (frontier.Lease, error) {
	for {
		if err := d.enter(ctx); err != nil {
			return frontier.Lease{}, err
		}
		l, wait, ok, err := d.lease(time.Now(), ahead)
		switch {
		case err != nil:
			err = d.fail(err)
			d.mu.Unlock()
			return frontier.Lease{}, err
		case ok:
			d.mu.Unlock()
			return l, nil
		case d.s.Pending() == 0:
			d.mu.Unlock()
			return frontier.Lease{}, frontier.ErrDone
		}
		if err := d.s.Wait(ctx, &d.mu, wait); err != nil {
			return frontier.Lease{}, err
		}
	}
}

// Complete ends the lease and queues the new children in one durable
// transaction. It is CompleteBatch with one Done and no checkpoint.
func (d *Disk) Complete(ctx context.Context, l frontier.Lease, children []frontier.Item) (int, error) {
	return d.CompleteBatch(ctx, []Done{{Lease: l, Children: children}}, nil)
}

// CompleteBatch ends every lease in done, queues their new children and,
// if checkpoint is not nil, stores checkpoint, all in one durable
// transaction, and returns how many children were new. Checkpoint returns
// the stored checkpoint after a reopen, so a caller can commit "these URLs
// are done and my output ends at this offset" as one step (see the package
// doc). If any lease is no longer held, or appears twice, CompleteBatch
// changes nothing and returns an error wrapping frontier.ErrStaleLease.
// With no done and a checkpoint, it stores the checkpoint alone.
//
// A Done's Annotation, when not nil, is stored under the dedup key of its
// lease's item in the same transaction, replacing the one stored before
// (an empty, non-nil Annotation stores an empty value). One larger than
// MaxAnnotation fails the batch with ErrAnnotationTooLarge, changing
// nothing; that error does not stick.
func (d *Disk) CompleteBatch(ctx context.Context, done []Done, checkpoint []byte) (int, error) {
	if err := checkAnnotations(done); err != nil {
		return 0, err
	}
	if err := d.enter(ctx); err != nil {
		return 0, err
	}
	if err := d.checkLeases(done); err != nil {
		d.mu.Unlock()
		return 0, err
	}
	if len(done) == 0 && checkpoint == nil {
		d.mu.Unlock()
		return 0, nil
	}
	n, err := d.complete(done, checkpoint)
	if err != nil {
		err = d.fail(err)
		d.mu.Unlock()
		return 0, err
	}
	return n, d.syncUnlock()
}

// checkLeases returns an error wrapping ErrStaleLease unless every lease in
// done is held and appears once.
func (d *Disk) checkLeases(done []Done) error {
	var ids map[uint64]struct{}
	if len(done) > 1 {
		ids = make(map[uint64]struct{}, len(done))
	}
	for _, dn := range done {
		held := d.s.Held(dn.Lease.ID)
		_, twice := ids[dn.Lease.ID]
		if !held || twice {
			return fmt.Errorf("complete %s: %w", dn.Lease.Item.URL, frontier.ErrStaleLease)
		}
		if ids != nil {
			ids[dn.Lease.ID] = struct{}{}
		}
	}
	return nil
}

// complete writes and applies the completions of CompleteBatch.
func (d *Disk) complete(done []Done, checkpoint []byte) (int, error) {
	now := time.Now()
	b := d.db.NewBatch()
	fresh := make(map[string]place)
	n := 0
	for _, dn := range done {
		k, err := d.add(b, dn.Children, now, fresh, true)
		n += k
		if err != nil {
			return n, joinClose(err, b)
		}
		if err := b.Delete(leaseKey(dn.Lease.ID), nil); err != nil {
			return n, joinClose(err, b)
		}
		if dn.Annotation != nil {
			d.kbuf = annotationKey(d.kbuf[:0], dn.Lease.Item.DedupKey())
			if err := b.Set(d.kbuf, dn.Annotation, nil); err != nil {
				return n, joinClose(err, b)
			}
		}
		d.s.Complete(dn.Lease.ID, now)
		d.forgetAhead(dn.Lease.ID)
		d.done++
	}
	if err := d.putCounters(b); err != nil {
		return n, joinClose(err, b)
	}
	if checkpoint != nil {
		if err := b.Set(keyCheckpoint, checkpoint, nil); err != nil {
			return n, joinClose(err, b)
		}
		d.checkpoint = slices.Clone(checkpoint)
	}
	return n, d.apply(b)
}

// Retry ends the lease and puts l.Item back at the front of its host's
// queue. The item keeps the host and depth it was leased with; its other
// fields are taken from l.Item. It returns once the change is durable, so
// the item's Attempts survive a crash.
func (d *Disk) Retry(ctx context.Context, l frontier.Lease, wait time.Duration) error {
	if err := d.enter(ctx); err != nil {
		return err
	}
	h, depth, q := d.s.Retry(l.ID, wait, time.Now())
	if h == nil {
		d.mu.Unlock()
		return frontier.ErrStaleLease
	}
	if a, ok := d.forgetAhead(l.ID); ok {
		l.Item = movedItem(l.Item, a, depth)
	}
	q.first--
	q.n++
	b := d.db.NewBatch()
	err := b.Delete(leaseKey(l.ID), nil)
	if err == nil {
		err = d.requeue(b, l.Item, h.Name(), depth, q.at(0))
	}
	if err != nil {
		err = d.fail(joinClose(err, b))
		d.mu.Unlock()
		return err
	}
	if err := d.apply(b); err != nil {
		err = d.fail(err)
		d.mu.Unlock()
		return err
	}
	// Durable like Complete: a retry's attempt count must survive a
	// crash, or a failing URL would get more requests than allowed.
	return d.syncUnlock()
}

// SetHostDelay sets host's delay between lease starts; a negative dl is 0.
// The override is stored and outlives a reopen.
func (d *Disk) SetHostDelay(ctx context.Context, host string, dl time.Duration) error {
	dl = max(0, dl)
	if err := d.enter(ctx); err != nil {
		return err
	}
	defer d.mu.Unlock()
	b := d.db.NewBatch()
	var err error
	if d.s.SetDelay(host, dl, time.Now()) {
		err = b.Set(delayKey(host), binary.AppendUvarint(nil, uint64(dl)), nil)
	} else {
		err = b.Delete(delayKey(host), nil)
	}
	if err != nil {
		return d.fail(joinClose(err, b))
	}
	if err := d.apply(b); err != nil {
		return d.fail(err)
	}
	return nil
}

// Stats returns the current counters.
func (d *Disk) Stats(ctx context.Context) (frontier.Stats, error) {
	if err := d.enter(ctx); err != nil {
		return frontier.Stats{}, err
	}
	defer d.mu.Unlock()
	return frontier.Stats{Queued: d.s.Queued(), Inflight: d.s.Inflight(), Parked: d.s.Parked(), Seen: d.seen, Done: d.done}, nil
}

func (d *Disk) putCounters(b *pebble.Batch) error {
	return b.Set(keyCounters, appendCounters(nil, counters{seen: d.seen, done: d.done}), nil)
}

// apply writes b to the store without waiting for the disk and closes it.
func (d *Disk) apply(b *pebble.Batch) error {
	if err := d.db.Apply(b, pebble.NoSync); err != nil {
		return joinClose(fmt.Errorf("write: %w", err), b)
	}
	if err := b.Close(); err != nil {
		return err
	}
	d.applied++
	return nil
}

// syncUnlock releases d.mu and waits until every write applied so far is
// on disk. Concurrent callers share fsyncs.
func (d *Disk) syncUnlock() error {
	target := d.applied
	if d.noSync || d.synced.Load() >= target {
		d.mu.Unlock()
		return nil
	}
	d.ops.Add(1)
	d.mu.Unlock()
	defer d.ops.Done()
	// A log record written with Sync reaches the disk with every record
	// before it.
	if err := d.db.LogData(nil, pebble.Sync); err != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.fail(fmt.Errorf("sync: %w", err))
	}
	for {
		cur := d.synced.Load()
		if cur >= target || d.synced.CompareAndSwap(cur, target) {
			return nil
		}
	}
}
