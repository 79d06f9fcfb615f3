package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
)

// DurableWriter is a RecordWriter that can make its lines durable and tell
// where the next line starts. *store.Writer implements it. A crawl on a
// frontier.Batcher needs one: see Run.
type DurableWriter interface {
	RecordWriter
	Sync() error
	Offset() int64
}

// maxBatch bounds how many records one group commit carries.
const maxBatch = 1024

// commit is a URL's final outcome on its way to the record writer, which
// writes the record and completes the lease with its children: a URL is
// done exactly when its record is written.
type commit struct {
	rec      *store.Record
	lease    frontier.Lease
	children []frontier.Item
}

// checkpoint is what the crawler stores with each batch in a
// frontier.Batcher: where the output's committed lines end.
type checkpoint struct {
	Offset int64 `json:"out_offset"`
}

// ResumeOffset returns the output offset committed with the last batch of
// a persistent frontier: the output must be cut there before the crawl goes
// on (store.Resume). It is 0 for a new crawl.
func ResumeOffset(b frontier.Batcher) (int64, error) {
	raw := b.Checkpoint()
	if raw == nil {
		return 0, nil
	}
	var cp checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil || cp.Offset < 0 {
		return 0, fmt.Errorf("the state's output checkpoint %q is unreadable", raw)
	}
	return cp.Offset, nil
}

// writeRecords is the record writer's loop. It writes each record, then
// completes its URL:
//
//   - on a frontier.Batcher, by group commit: it writes the records that
//     are ready (up to maxBatch), syncs the output, and commits their
//     completions together with the output's end offset in one durable
//     step, so that after a crash the output is cut back to the last
//     commit and every URL ends up with exactly one record;
//   - on a shared frontier (a frontier.Extender, whose leases can be
//     reclaimed by another process), one Complete per record first, and
//     the record is written only when the completion succeeded: a stale
//     completion means the lease was reclaimed and its new holder records
//     the URL. The trade-off: a crash between the completion and the write
//     loses that one record (the URL is done in the frontier). Writing
//     first would instead duplicate records whenever a lease lapsed;
//     renewal makes lapses rare but not impossible, and a shared crawl has
//     no common output to cut back on restart;
//   - on other frontiers, write then one Complete per record, with the
//     output flushed every FlushInterval.
//
// It returns when in closes (after a last commit and flush) or at the first
// error. Frontier calls use ctx, which shutdown does not cancel: records
// written are committed. Completions that fail for a frontier outage are
// retried with backoff (the record is written once) until stop ends.
func (c *Crawler) writeRecords(ctx, stop context.Context, in <-chan commit) error {
	if c.batcher != nil {
		return c.groupCommit(ctx, in)
	}
	t := time.NewTicker(c.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case cm, ok := <-in:
			if !ok {
				return c.out.Flush()
			}
			if c.extender != nil {
				if err := c.completeShared(ctx, stop, cm); err != nil {
					return err
				}
				continue
			}
			if err := c.out.Write(cm.rec); err != nil {
				return err
			}
			if err := c.complete(ctx, stop, cm); err != nil {
				return err
			}
		case <-t.C:
			if err := c.out.Flush(); err != nil {
				return err
			}
		}
	}
}

// completeLease calls Complete through outages, until stop ends. A
// Complete that failed for an outage may have been applied with its reply
// lost. When the retry then finds the lease stale although the lease
// cannot have expired (a frontier that is not an Extender, or less than
// LeaseTTL since a time before its deadline was last set), the stale lease
// is this crawler's own completion and counts as a success.
func (c *Crawler) completeLease(ctx, stop context.Context, cm commit) error {
	defer c.release(cm.lease)
	failed := false
	err := c.persist(stop, "complete", func() error {
		_, err := c.fr.Complete(ctx, cm.lease, cm.children)
		failed = failed || transientFrontierErr(err)
		return err
	})
	if failed && errors.Is(err, frontier.ErrStaleLease) &&
		(c.leases == nil || c.leases.unexpired(cm.lease.ID, c.extender.LeaseTTL())) {
		c.log.Info("completion applied before its reply was lost", zap.String("url", cm.lease.Item.URL))
		return nil
	}
	if errors.Is(err, frontier.ErrStaleLease) && c.leases != nil {
		c.loseLease(cm.lease, "complete") // while still held: warns once
	}
	return err
}

// completeShared completes one URL's lease on a shared frontier, then
// writes its record if the completion succeeded.
func (c *Crawler) completeShared(ctx, stop context.Context, cm commit) error {
	err := c.completeLease(ctx, stop, cm)
	if errors.Is(err, frontier.ErrStaleLease) {
		c.unreserve()
		return nil
	}
	if err != nil {
		return fmt.Errorf("frontier: complete %s: %w", cm.lease.Item.URL, err)
	}
	if err := c.out.Write(cm.rec); err != nil {
		return err
	}
	c.observeRecord(cm.rec)
	c.count(cm.rec)
	return nil
}

// complete ends one URL's lease on a frontier without batches.
func (c *Crawler) complete(ctx, stop context.Context, cm commit) error {
	err := c.completeLease(ctx, stop, cm)
	if errors.Is(err, frontier.ErrStaleLease) {
		// Another worker owns the URL now (a lease that expired):
		// its record is already written, which the frontier's lease
		// deadline is meant to prevent.
		c.log.Warn("completion of a reclaimed lease dropped", zap.String("url", cm.lease.Item.URL))
		return nil
	}
	if err != nil {
		return fmt.Errorf("frontier: complete %s: %w", cm.lease.Item.URL, err)
	}
	return nil
}

// groupCommit is writeRecords for a frontier.Batcher.
func (c *Crawler) groupCommit(ctx context.Context, in <-chan commit) error {
	batch := make([]frontier.Done, 0, maxBatch)
	for {
		cm, ok := <-in
		if !ok {
			return nil
		}
		for {
			if err := c.out.Write(cm.rec); err != nil {
				return err
			}
			batch = append(batch, frontier.Done{Lease: cm.lease, Children: cm.children})
			if len(batch) == maxBatch {
				break
			}
			select {
			case cm, ok = <-in:
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if err := c.commitBatch(ctx, batch); err != nil {
			return err
		}
		batch = batch[:0]
	}
}

// commitBatch makes the written records durable, then commits their
// completions and the output's end offset in one step.
func (c *Crawler) commitBatch(ctx context.Context, batch []frontier.Done) error {
	if err := c.durable.Sync(); err != nil {
		return err
	}
	cp, err := json.Marshal(checkpoint{Offset: c.durable.Offset()})
	if err != nil {
		return err
	}
	if _, err := c.batcher.CompleteBatch(ctx, batch, cp); err != nil {
		return fmt.Errorf("frontier: commit %d records: %w", len(batch), err)
	}
	for _, d := range batch {
		c.release(d.Lease)
	}
	return nil
}
