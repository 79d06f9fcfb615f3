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
	"github.com/crawl-dev/crawl/store/warc"
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

// A committer is the crawl's commit order: how the record writer turns the
// results it receives into written records and completed URLs. New picks
// one from what the frontier can do, once:
//
//   - groupCommit, on a frontier.Batcher (a persistent frontier): write
//     the records that are ready, sync the output, and commit their
//     completions together with the output's end offset in one durable
//     step, so that after a crash the output is cut back to the last
//     commit and every URL ends up with exactly one record;
//   - completeFirst, on a frontier.Extender (shared by several processes,
//     whose leases can be reclaimed): complete each URL first, and write
//     its record only when the completion succeeded, since a stale
//     completion means the lease was reclaimed and its new holder records
//     the URL. The trade-off: a crash between the completion and the write
//     loses that one record (the URL is done in the frontier). Writing
//     first would instead duplicate records whenever a lease lapsed, and a
//     shared crawl has no common output to cut back on restart;
//   - writeFirst, on any other frontier (in memory): write, then complete,
//     with the output flushed every FlushInterval.
//
// run returns when in closes (after a last commit and flush) or at the
// first error. Frontier calls use ctx, which shutdown does not cancel:
// records written are committed. Completions that fail for a frontier
// outage are retried with backoff (the record is written once) until stop
// ends. Every result run receives is released by it; those left in in when
// it fails are Run's to release.
type committer interface {
	run(ctx, stop context.Context, in <-chan *Result) error
}

// newCommitter picks the commit order for fr and out.
func newCommitter(c *Crawler, fr frontier.Frontier, out RecordWriter) (committer, error) {
	batcher, isBatcher := fr.(frontier.Batcher)
	_, isExtender := fr.(frontier.Extender)
	switch {
	case isBatcher && isExtender:
		return nil, errors.New("crawler: a frontier cannot both commit in batches and expire leases")
	case isBatcher:
		durable, ok := out.(DurableWriter)
		if !ok {
			return nil, errors.New("crawler: a frontier that commits in batches needs a DurableWriter for the records")
		}
		_, annotate := fr.(frontier.Annotator)
		return &groupCommit{c: c, batcher: batcher, out: durable, annotate: annotate}, nil
	case isExtender:
		return newCompleteFirst(c, fr, out)
	}
	return writeFirst{c}, nil
}

// Checkpoint is what the crawler stores with each batch in a
// frontier.Batcher: where the outputs' committed records end.
type Checkpoint struct {
	// Out is the end of the JSONL output's committed lines.
	Out int64 `json:"out_offset"`
	// WARC is the end of the WARC output's committed records; nil when
	// the crawl has no WARC output.
	WARC *warc.Checkpoint `json:"warc,omitempty"`
}

// ResumeCheckpoint returns the checkpoint committed with the last batch of
// a persistent frontier: the outputs must be cut there before the crawl
// goes on (store.Resume, warc.Resume). It is the zero Checkpoint for a new
// crawl.
func ResumeCheckpoint(b frontier.Batcher) (Checkpoint, error) {
	var cp Checkpoint
	raw := b.Checkpoint()
	if raw == nil {
		return cp, nil
	}
	if err := json.Unmarshal(raw, &cp); err != nil || cp.Out < 0 || (cp.WARC != nil && cp.WARC.Offset < 0) {
		return Checkpoint{}, fmt.Errorf("the state's output checkpoint %q is unreadable", raw)
	}
	return cp, nil
}

// write renders a result into the outputs (its WARC records, then its
// JSONL record), tells the observer and counts it, then releases it. A
// result that only carries captures has no record.
func (c *Crawler) write(res *Result) error {
	_, err := c.writeRendered(res)
	return err
}

// writeRendered is write, returning the record written (nil: none).
func (c *Crawler) writeRendered(res *Result) (*store.Record, error) {
	if err := c.writeWARC(res); err != nil {
		res.release()
		return nil, err
	}
	var rec *store.Record
	if res.recorded() && !res.silent {
		rec = res.record()
	}
	return rec, c.writeRecord(res, rec, nil)
}

// writeRecord writes a result's record, rendered already (nil: the result
// has none) and, when line is not nil, encoded already, after its
// captures; it tells the observer, counts it and releases the result.
func (c *Crawler) writeRecord(res *Result, rec *store.Record, line []byte) error {
	defer res.release()
	if !res.recorded() {
		return nil
	}
	if res.silent {
		c.unreserve() // no record: the lease's place under MaxPages is free again
		return nil
	}
	var err error
	switch {
	case c.cfg.ChangesOnly && rec.Change == ChangeUnchanged:
		// Counted, not written: the output is the night's changes.
	case line != nil:
		err = c.out.(LineWriter).WriteLine(line)
	default:
		err = c.out.Write(rec)
	}
	if err != nil {
		return err
	}
	c.observeRecord(rec, res.Kind)
	c.count(res)
	return nil
}

// completeLease calls Complete through outages, until stop ends. A
// Complete that failed for an outage may have been applied with its reply
// lost. When the retry then finds the lease stale although the lease
// cannot have expired (a frontier that is not an Extender, or less than
// LeaseTTL since a time before its deadline was last set), the stale lease
// is this crawler's own completion and counts as a success.
//
// line, the URL's encoded record, goes into the frontier's journal when it
// keeps one (frontier.Journal); nil when the URL has no record.
func (c *Crawler) completeLease(ctx, stop context.Context, res *Result, line []byte) error {
	l := res.lease
	defer c.release(l)
	failed := false
	err := c.persist(stop, "complete", func() error {
		_, err := c.complete(ctx, l, res.children, line)
		failed = failed || transientFrontierErr(err)
		return err
	})
	if failed && errors.Is(err, frontier.ErrStaleLease) &&
		(c.leases == nil || c.leases.unexpired(l.ID, c.extender.LeaseTTL())) {
		c.log.Info("completion applied before its reply was lost", zap.String("url", l.Item.URL))
		return nil
	}
	if errors.Is(err, frontier.ErrStaleLease) && c.leases != nil {
		c.loseLease(l, "complete") // while still held: warns once
	}
	return err
}

// complete completes a lease, journaling line on a frontier.Journal.
func (c *Crawler) complete(ctx context.Context, l frontier.Lease, children []frontier.Item, line []byte) (int, error) {
	if j, ok := c.fr.(frontier.Journal); ok {
		return j.CompleteRecord(ctx, l, children, line)
	}
	return c.fr.Complete(ctx, l, children)
}

// writeFirst writes each record, then completes its URL.
type writeFirst struct{ c *Crawler }

func (s writeFirst) run(ctx, stop context.Context, in <-chan *Result) error {
	c := s.c
	t := time.NewTicker(c.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case res, ok := <-in:
			if !ok {
				return c.out.Flush()
			}
			url, recorded := res.lease.Item.URL, res.recorded()
			if err := c.write(res); err != nil {
				return err
			}
			if !recorded {
				continue
			}
			err := c.completeLease(ctx, stop, res, nil)
			if errors.Is(err, frontier.ErrStaleLease) {
				// Another worker owns the URL now (a lease that
				// expired): its record is already written, which
				// the frontier's lease deadline is meant to prevent.
				c.log.Warn("completion of a reclaimed lease dropped", zap.String("url", url))
				continue
			}
			if err != nil {
				return fmt.Errorf("frontier: complete %s: %w", url, err)
			}
		case <-t.C:
			if err := c.out.Flush(); err != nil {
				return err
			}
		}
	}
}

// groupCommit writes batches of records, then commits them.
type groupCommit struct {
	c       *Crawler
	batcher frontier.Batcher
	out     DurableWriter
	batch   []frontier.Done
	// annotate stores each record's Prior as its URL's annotation, on a
	// frontier.Annotator.
	annotate bool
	// dirty is set when WARC records of capture-only results (robots.txt,
	// retried attempts) were written since the last commit: they are
	// committed with the next batch, or alone when in closes.
	dirty bool
}

func (g *groupCommit) run(ctx, _ context.Context, in <-chan *Result) error {
	g.batch = make([]frontier.Done, 0, maxBatch)
	for {
		res, ok := <-in
		if !ok {
			if g.dirty {
				return g.commit(ctx)
			}
			return nil
		}
		for {
			recorded := res.recorded()
			if recorded {
				g.batch = append(g.batch, frontier.Done{Lease: res.lease, Children: res.children})
			} else if len(res.captures) > 0 {
				g.dirty = true
			}
			rec, err := g.c.writeRendered(res)
			if err != nil {
				return err
			}
			if recorded && rec != nil && g.annotate {
				// The history of the next generation, committed
				// with the record (annotate.go).
				g.batch[len(g.batch)-1].Annotation = annotation(rec)
			}
			if len(g.batch) == maxBatch {
				break
			}
			select {
			case res, ok = <-in:
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if len(g.batch) == 0 {
			continue // only captures: they go with the next commit
		}
		if err := g.commit(ctx); err != nil {
			return err
		}
	}
}

// commit makes the written records, saved files and WARC records
// durable, then commits their completions and the outputs' end offsets in
// one step.
func (g *groupCommit) commit(ctx context.Context) error {
	if err := g.out.Sync(); err != nil {
		return err
	}
	if g.c.save != nil {
		if err := g.c.save.Sync(); err != nil {
			return err
		}
	}
	point := Checkpoint{Out: g.out.Offset()}
	if w := g.c.warc; w != nil {
		if err := w.Sync(); err != nil {
			return err
		}
		wp := w.Checkpoint()
		point.WARC = &wp
	}
	cp, err := json.Marshal(point)
	if err != nil {
		return err
	}
	if _, err := g.batcher.CompleteBatch(ctx, g.batch, cp); err != nil {
		return fmt.Errorf("frontier: commit %d records: %w", len(g.batch), err)
	}
	for _, d := range g.batch {
		g.c.release(d.Lease)
	}
	g.batch = g.batch[:0]
	g.dirty = false
	return nil
}
