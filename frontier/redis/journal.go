package redis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier"
)

var _ frontier.Journal = (*Frontier)(nil)

// Acknowledge drops the worker's journal entries of the leases ids: they
// are durable in its output, which ends at offset.
func (f *Frontier) Acknowledge(ctx context.Context, ids []uint64, offset int64) error {
	if _, err := f.check(); err != nil {
		return err
	}
	if offset < 0 {
		return fmt.Errorf("acknowledge: negative offset %d", offset)
	}
	args := make([]any, 0, 2+len(ids))
	args = append(args, offset, f.worker)
	for _, id := range ids {
		args = append(args, id)
	}
	err := f.sc.ack.Run(ctx, f.c, []string{f.keys.journal(f.worker), f.keys.worker(f.worker), f.keys.workers}, args...).Err()
	if err != nil {
		return fmt.Errorf("acknowledge: %w", err)
	}
	return nil
}

// Unacknowledged returns the offset of the worker's last acknowledgement
// and its journal's entries, in lease ID order.
func (f *Frontier) Unacknowledged(ctx context.Context) (offset int64, ids []uint64, recs [][]byte, known bool, err error) {
	if _, err := f.check(); err != nil {
		return 0, nil, nil, false, err
	}
	v, err := f.sc.journal.Run(ctx, f.c, []string{f.keys.journal(f.worker), f.keys.worker(f.worker)}).Slice()
	if err != nil {
		return 0, nil, nil, false, fmt.Errorf("journal of worker %s: %w", f.worker, err)
	}
	bad := func() error { return fmt.Errorf("journal of worker %s: unexpected reply", f.worker) }
	if len(v) < 2 || len(v)%2 != 0 {
		return 0, nil, nil, false, bad()
	}
	k, ok1 := v[0].(int64)
	offset, ok2 := v[1].(int64)
	if !ok1 || !ok2 {
		return 0, nil, nil, false, bad()
	}
	type entry struct {
		id  uint64
		rec []byte
	}
	var es []entry
	for i := 2; i < len(v); i += 2 {
		f, ok1 := v[i].(string)
		r, ok2 := v[i+1].(string)
		id, err := strconv.ParseUint(f, 10, 64)
		if !ok1 || !ok2 || err != nil {
			return 0, nil, nil, false, bad()
		}
		es = append(es, entry{id, []byte(r)})
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.id, b.id) })
	for _, e := range es {
		ids, recs = append(ids, e.id), append(recs, e.rec)
	}
	return offset, ids, recs, k == 1, nil
}

// WorkerJournal is what ReadJournals reports of one worker.
type WorkerJournal struct {
	// Name is the worker's name (Options.Worker).
	Name string
	// Acked counts the records the worker acknowledged as durable in
	// its output; Offset is where that output ended then.
	Acked, Offset int64
	// Pending counts the journal's entries: records the worker completed
	// and never acknowledged.
	Pending int64
}

// journalPage is how many journal entries ReadJournals reads at once.
const journalPage = 1000

// ReadJournals calls rec with every journal entry of every worker of the
// crawl crawlID, and returns what it found of each worker. Run it when no
// worker of the crawl is running: entries a running worker acknowledges
// meanwhile may be missed.
func ReadJournals(ctx context.Context, c goredis.UniversalClient, crawlID string, rec func(worker string, line []byte) error) ([]WorkerJournal, error) {
	if err := checkCrawlID(crawlID); err != nil {
		return nil, err
	}
	k := newKeys(crawlID)
	n, err := c.Exists(ctx, k.meta).Result()
	if err != nil {
		return nil, fmt.Errorf("journals of crawl %s: %w", crawlID, err)
	}
	if n == 0 {
		return nil, ErrNoCrawl
	}
	names, err := c.SMembers(ctx, k.workers).Result()
	if err != nil {
		return nil, fmt.Errorf("journals of crawl %s: %w", crawlID, err)
	}
	var out []WorkerJournal
	for _, name := range names {
		w := WorkerJournal{Name: name}
		vals, err := c.HMGet(ctx, k.worker(name), "acked", "off").Result()
		if err == nil {
			w.Acked, w.Offset, err = int64Field(vals[0]), int64Field(vals[1]), nil
		}
		got := make(map[string]bool) // HSCAN may return a field twice
		for cursor := uint64(0); err == nil; {
			var page []string
			page, cursor, err = c.HScan(ctx, k.journal(name), cursor, "*", journalPage).Result()
			for i := 1; i < len(page) && err == nil; i += 2 {
				if !got[page[i-1]] {
					got[page[i-1]] = true
					err = rec(name, []byte(page[i]))
					w.Pending++
				}
			}
			if cursor == 0 {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("journal of worker %s: %w", name, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// int64Field reads a number HMGET returned; a missing field is 0.
func int64Field(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
