package disk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// This file holds the Annotator side of the Disk: the annotations kept per
// dedup key across generations, and NextGeneration, which starts a
// finished crawl again (see "Generations" in the package doc).

// MaxAnnotation is the size of the largest Done.Annotation CompleteBatch
// stores: 1 MiB. An annotation is the crawler's memory of one URL
// (validators, a fingerprint, outlinks), read back one URL at a time; a
// bigger one is a bug, and would make every batch that carries it slow.
const MaxAnnotation = 1 << 20

// ErrAnnotationTooLarge is returned by CompleteBatch for a Done whose
// Annotation is larger than MaxAnnotation. The batch changes nothing.
var ErrAnnotationTooLarge = errors.New("frontier annotation is larger than 1 MiB")

// checkAnnotations returns an error wrapping ErrAnnotationTooLarge if an
// annotation of done is too large.
func checkAnnotations(done []Done) error {
	for _, dn := range done {
		if len(dn.Annotation) > MaxAnnotation {
			return fmt.Errorf("complete %s: annotation of %d bytes: %w", dn.Lease.Item.URL, len(dn.Annotation), ErrAnnotationTooLarge)
		}
	}
	return nil
}

// Generation returns the number of the current generation: 1 for a new
// state (and for one written before generations existed), one more after
// each NextGeneration.
func (d *Disk) Generation() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.generation
}

// Annotation returns a copy of the annotation stored for the dedup key key
// by a CompleteBatch of this or an earlier generation; nil when none. An
// empty annotation is returned as an empty, non-nil slice.
func (d *Disk) Annotation(ctx context.Context, key string) ([]byte, error) {
	if err := d.enter(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	v, err := d.get(annotationKey(nil, key))
	if err != nil {
		return nil, d.fail(err)
	}
	return v, nil
}

// Annotations calls fn with every stored annotation, in key order, and
// stops at fn's first error, which it returns unwrapped; it also stops,
// with ctx's error, when ctx ends. It sees the annotations as they were
// when it was called, reads them from the store without holding the
// Disk's lock (other calls proceed meanwhile) and Close waits for it to
// return. fn must not call the Disk; value is valid only during the call.
func (d *Disk) Annotations(ctx context.Context, fn func(key string, value []byte) error) error {
	if err := d.enter(ctx); err != nil {
		return err
	}
	lo, hi := rangeOf(prefixAnnotation)
	it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		err = d.fail(readErr(lo, err))
		d.mu.Unlock()
		return err
	}
	d.ops.Add(1)
	d.mu.Unlock()
	defer d.ops.Done()

	ferr, rerr := walk(ctx, it, fn)
	if err := errors.Join(rerr, it.Error(), it.Close()); err != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.fail(readErr(lo, err))
	}
	return ferr
}

// walk calls fn with each annotation of it until fn fails or ctx ends
// (ferr), or a value cannot be read (rerr).
func walk(ctx context.Context, it *pebble.Iterator, fn func(key string, value []byte) error) (ferr, rerr error) {
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err, nil
			}
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		if v == nil {
			v = []byte{}
		}
		if err := fn(string(it.Key()[1:]), v); err != nil {
			return err, nil
		}
	}
	return nil, nil
}

// NextGeneration starts the next generation of a finished crawl. In one
// durable transaction it forgets the seen-set (one range deletion, however
// many keys it holds), resets the seen and done counters, replaces the
// checkpoint with checkpoint (nil: none, and Checkpoint returns nil),
// increments the generation and queues items, deduplicated among
// themselves, as Add on an empty state would. Annotations and SetHostDelay
// overrides stay. A crash leaves either the finished generation or the
// new one started, never a mix.
//
// The scheduling state starts afresh, as after Open: every host is due at
// once, and lease IDs of the old generation are never handed out again
// (a late Complete of one is stale).
//
// NextGeneration fails with an error wrapping frontier.ErrNotFinished,
// changing nothing, while anything is queued or leased. A state that was
// never crawled (nothing done) may start its next generation too.
func (d *Disk) NextGeneration(ctx context.Context, items []frontier.Item, checkpoint []byte) error {
	if err := d.enter(ctx); err != nil {
		return err
	}
	if n := d.s.Pending(); n > 0 {
		d.mu.Unlock()
		return fmt.Errorf("start generation %d: %d items queued or leased: %w", d.generation+1, n, frontier.ErrNotFinished)
	}
	if err := d.nextGeneration(items, checkpoint); err != nil {
		err = d.fail(err)
		d.mu.Unlock()
		return err
	}
	return d.syncUnlock()
}

// nextGeneration writes and applies NextGeneration's transaction and
// replaces the scheduling state. An error leaves memory and store apart:
// the caller makes it stick.
func (d *Disk) nextGeneration(items []frontier.Item, checkpoint []byte) error {
	now := time.Now()
	b := d.db.NewBatch()
	// The seen keys of the seeds follow the range deletion in the batch,
	// so they are newer than it and survive it.
	lo, hi := rangeOf(prefixSeen)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return joinClose(err, b)
	}
	d.seenCache.reset()
	d.epoch++
	d.generation++
	d.seen, d.done = 0, 0
	if err := d.restartScheduler(now); err != nil {
		return joinClose(err, b)
	}
	fresh := make(map[string]struct{}, len(items))
	for i := range items {
		it := &items[i]
		k := it.DedupKey()
		if _, ok := fresh[k]; ok {
			continue
		}
		fresh[k] = struct{}{}
		d.kbuf = seenKey(d.kbuf[:0], k)
		if _, err := d.enqueue(b, it, now); err != nil {
			return joinClose(err, b)
		}
		d.seen++
	}
	var err error
	if checkpoint == nil {
		err = b.Delete(keyCheckpoint, nil)
	} else {
		err = b.Set(keyCheckpoint, checkpoint, nil)
	}
	for _, kv := range [...][2][]byte{
		{keyCounters, appendCounters(nil, counters{seen: d.seen})},
		{keyGeneration, appendUint(uint64(d.generation))},
		{keyEpoch, appendUint(d.epoch)},
	} {
		if err == nil {
			err = b.Set(kv[0], kv[1], nil)
		}
	}
	if err != nil {
		return joinClose(err, b)
	}
	d.checkpoint = slices.Clone(checkpoint)
	return d.apply(b)
}

// restartScheduler replaces the scheduling state with an empty one that
// keeps the SetHostDelay overrides, as Open builds it, and numbers its
// leases from the new epoch.
func (d *Disk) restartScheduler(now time.Time) error {
	// Nothing is pending, so nobody waits; wake any Next still on its way
	// out of the old scheduler's Wait all the same.
	d.s.Broadcast()
	d.s = newScheduler(d.policy)
	d.s.SetLastID(d.epoch << 40)
	return d.loadDelays(now)
}

// appendUint encodes a value that is one uvarint (see decodeUint).
func appendUint(n uint64) []byte {
	return binary.AppendUvarint(nil, n)
}
