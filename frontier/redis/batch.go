package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/crawl-dev/crawl/frontier"
)

// Completions in batches. A Complete call queues its completion; one call
// at a time (the committer) takes every completion queued so far, up to
// maxBatch, and runs them in one script (completeSrc), each atomic on its
// own; the calls whose completions arrive meanwhile wait and go in the
// next batch, run by one of them. So a process completes with one round
// trip per batch, not per page, and no call waits for a timer: a lone
// call is a batch of one.

// maxBatch bounds the completions of one batch, and maxBatchChildren the
// children they bring (a batch stops growing past it), so that a script
// run stays short.
const (
	maxBatch         = 64
	maxBatchChildren = 4096
)

// completion is one Complete call's part of a batch.
type completion struct {
	l        frontier.Lease
	host     string // the lease's host and depth, as the keys name them
	depth    int
	children []frontier.Item
	rec      []byte
	tries    int // batches it went in (a lease of another host goes again)
	added    int
	err      error
	finished bool
}

// commit queues c and returns once a batch has run it.
func (f *Frontier) commit(c *completion) {
	f.bmu.Lock()
	defer f.bmu.Unlock()
	f.batch = append(f.batch, c)
	for !c.finished {
		if f.committing {
			f.turn.Wait()
			continue
		}
		n, kids := 0, 0
		for n < len(f.batch) && n < maxBatch && (n == 0 || kids+len(f.batch[n].children) <= maxBatchChildren) {
			kids += len(f.batch[n].children)
			n++
		}
		run := f.batch[:n:n]
		f.batch = f.batch[n:]
		f.committing = true
		f.bmu.Unlock()
		again := f.runBatch(run)
		f.bmu.Lock()
		f.committing = false
		for i, r := range run {
			if again[i] {
				f.batch = append(f.batch, r) // another host or depth: again with its own keys
			} else {
				r.finished = true // under bmu: its owner reads it there
			}
		}
		f.turn.Broadcast()
	}
}

// runBatch runs one batch and records each completion's outcome; again[i]
// is true for a completion whose lease belongs to another host or depth,
// now set to the lease's own, to go again (twice at most). It runs without
// bmu: only the committer touches the completions of its batch.
func (f *Frontier) runBatch(run []*completion) (again []bool) {
	ks := []string{f.keys.meta, f.keys.pd, f.keys.lv, f.keys.ready, f.keys.leases, f.keys.infl,
		f.keys.journal(f.worker), f.keys.worker(f.worker), f.keys.workers, f.keys.moved, f.keys.leased}
	args := []any{f.worker}
	for _, c := range run {
		c.tries++
		bucket, field := seenSlot(c.l.Item.DedupKey(), f.bits)
		ks = append(ks, f.keys.host(c.host), f.keys.depths(c.host), f.keys.seen(bucket))
		args = append(args, c.l.ID, c.host, strconv.Itoa(c.depth), c.rec, len(c.children), field)
		ks, args = f.appendItems(ks, args, c.children)
	}
	// The batch must run whatever its first caller's ctx says: the others
	// wait for it.
	v, err := f.sc.complete.Run(context.Background(), f.c, ks, args...).Slice()
	if err == nil && len(v) != 3*len(run) {
		err = fmt.Errorf("unexpected reply %v", v)
	}
	again = make([]bool, len(run))
	for i, c := range run {
		if err != nil {
			c.err = err
			continue
		}
		again[i] = c.outcome(v[3*i : 3*i+3])
	}
	return again
}

// outcome records the three values of c's outcome and reports whether c
// must go again, with the host and depth the reply names.
func (c *completion) outcome(v []any) (again bool) {
	code, ok := v[0].(int64)
	if !ok {
		c.err = fmt.Errorf("unexpected reply %v", v)
		return false
	}
	switch code {
	case 0:
		added, ok := v[1].(int64)
		if !ok {
			c.err = fmt.Errorf("unexpected reply %v", v)
		}
		c.added = int(added)
	case -1:
		c.err = frontier.ErrStaleLease
	case -2:
		host, depth, err := movedTo(append([]any{code}, v[1:]...))
		switch {
		case err != nil:
			c.err = err
		case c.tries >= 2:
			c.err = errors.New("the lease's host keeps changing")
		default:
			c.host, c.depth = host, depth
			return true
		}
	default:
		c.err = fmt.Errorf("unexpected reply %v", v)
	}
	return false
}
