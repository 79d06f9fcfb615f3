package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
)

// completeFirst completes each URL, then writes its record if the
// completion succeeded. On a frontier.Journal the completion also puts
// the record in the worker's journal, and when the output is a plain file
// (LineWriter.Resumable) the records are acknowledged every FlushInterval
// once the file is synced: those the worker wrote leave the journal, and
// a kill between a completion and its write loses nothing. With any other
// output the journal keeps every record (crawl merge reads it).
type completeFirst struct {
	c       *Crawler
	journal frontier.Journal
	out     LineWriter // nil without a journal
	// ack says the output is a plain file whose lines are acknowledged;
	// written holds the lease IDs of the journaled records written since
	// the last acknowledgement.
	ack     bool
	written []uint64
}

// LineWriter is a DurableWriter that encodes a record apart from writing
// it, so that the same bytes go to a journal (*store.Writer). A crawl on a
// frontier.Journal needs one.
type LineWriter interface {
	DurableWriter
	Encode(*store.Record) ([]byte, error)
	WriteLine([]byte) error
	Resumable() bool
}

// newCompleteFirst makes the committer of a frontier.Extender.
func newCompleteFirst(c *Crawler, fr frontier.Frontier, out RecordWriter) (*completeFirst, error) {
	s := &completeFirst{c: c}
	j, ok := fr.(frontier.Journal)
	if !ok {
		return s, nil
	}
	lw, ok := out.(LineWriter)
	if !ok {
		return nil, errors.New("crawler: a frontier that keeps a journal needs a LineWriter for the records")
	}
	s.journal, s.out, s.ack = j, lw, lw.Resumable()
	return s, nil
}

// start reads the worker's journal, which must hold nothing
// unacknowledged when the output is a plain file: what a killed run left
// is taken back into the output before the crawl starts (see Run).
func (s *completeFirst) start(ctx context.Context) error {
	if s.journal == nil {
		return nil
	}
	_, ids, _, _, err := s.journal.Unacknowledged(ctx)
	if err != nil {
		return fmt.Errorf("frontier: %w", err)
	}
	if len(ids) > 0 && s.ack {
		return fmt.Errorf("crawler: the worker's journal holds %d records not yet in its output; take them back into the output first", len(ids))
	}
	return nil
}

func (s *completeFirst) run(ctx, stop context.Context, in <-chan *Result) error {
	c := s.c
	if err := s.start(ctx); err != nil {
		return err
	}
	t := time.NewTicker(c.cfg.FlushInterval)
	defer t.Stop()
	batch := make([]*Result, 0, maxCompleteBatch)
	for {
		select {
		case res, ok := <-in:
			if !ok {
				return s.acknowledge(ctx, stop)
			}
			batch = append(batch[:0], res)
			closed := false
		more: // the results that are ready too: their completions share round trips
			for len(batch) < maxCompleteBatch {
				select {
				case res, ok := <-in:
					if !ok {
						closed = true
						break more
					}
					batch = append(batch, res)
				default:
					break more
				}
			}
			if err := s.commit(ctx, stop, batch); err != nil {
				return err
			}
			clear(batch)
			if closed {
				return s.acknowledge(ctx, stop)
			}
		case <-t.C:
			if err := s.acknowledge(ctx, stop); err != nil {
				return err
			}
		}
	}
}

// maxCompleteBatch bounds the results completeFirst completes together.
const maxCompleteBatch = 64

// pendingRecord is a result of a completeFirst batch between its encoding
// and its completion.
type pendingRecord struct {
	res  *Result
	rec  *store.Record
	line []byte
	err  error // of the completion
}

// commit completes the URLs of a batch of results, concurrently (a
// frontier that batches its round trips, as Redis does, makes them one),
// then writes the records of those whose completion succeeded, in order.
// Every result is released; the first error that ends the crawl is
// returned, after the records of the other completed URLs are written.
func (s *completeFirst) commit(ctx, stop context.Context, batch []*Result) error {
	c := s.c
	var first error
	ps := make([]pendingRecord, 0, len(batch))
	for _, res := range batch {
		switch {
		case first != nil:
			res.release()
		case !res.recorded():
			first = c.write(res)
		default:
			p, err := s.encode(res)
			if err != nil {
				first = err
				continue
			}
			ps = append(ps, p)
		}
	}
	if len(ps) == 1 {
		ps[0].err = c.completeLease(ctx, stop, ps[0].res, ps[0].line)
	} else {
		var wg sync.WaitGroup
		for i := range ps {
			wg.Go(func() { ps[i].err = c.completeLease(ctx, stop, ps[i].res, ps[i].line) })
		}
		wg.Wait()
	}
	for _, p := range ps {
		if p.err != nil {
			if err := s.drop(p.res, p.err); err != nil && first == nil {
				first = err
			}
			continue
		}
		if err := s.write(p); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// encode prepares a recorded result for its completion. With a journal
// the record is encoded before the completion, so its captures go first
// (the record points at them): a stale lease leaves them in the WARC
// output, a capture no record names. A failure releases the result.
func (s *completeFirst) encode(res *Result) (pendingRecord, error) {
	p := pendingRecord{res: res}
	if s.out == nil {
		return p, nil
	}
	if err := s.c.writeWARC(res); err != nil {
		res.release()
		return p, err
	}
	if !res.silent {
		p.rec = res.record()
		line, err := s.out.Encode(p.rec)
		if err != nil {
			res.release()
			return p, err
		}
		p.line = bytes.Clone(line) // valid until the next Encode

	}
	return p, nil
}

// write writes the record of a result whose URL was completed.
func (s *completeFirst) write(p pendingRecord) error {
	if s.out == nil {
		return s.c.write(p.res)
	}
	id := p.res.lease.ID
	if err := s.c.writeRecord(p.res, p.rec, p.line); err != nil {
		return err
	}
	if p.line != nil && s.ack {
		s.written = append(s.written, id)
	}
	return nil
}

// drop releases a result whose completion failed: a stale lease is
// another worker's now, anything else ends the crawl.
func (s *completeFirst) drop(res *Result, err error) error {
	res.release()
	if errors.Is(err, frontier.ErrStaleLease) {
		s.c.unreserve()
		return nil
	}
	return fmt.Errorf("frontier: complete %s: %w", res.lease.Item.URL, err)
}

// acknowledge flushes the output and, when its lines are acknowledged,
// syncs it and tells the journal that every record written so far is in
// it.
func (s *completeFirst) acknowledge(ctx, stop context.Context) error {
	c := s.c
	if !s.ack {
		return c.out.Flush()
	}
	if len(s.written) == 0 {
		return nil
	}
	if err := s.out.Sync(); err != nil {
		return err
	}
	off := s.out.Offset()
	if err := c.persist(stop, "acknowledge", func() error { return s.journal.Acknowledge(ctx, s.written, off) }); err != nil {
		return fmt.Errorf("frontier: %w", err)
	}
	s.written = s.written[:0]
	return nil
}
