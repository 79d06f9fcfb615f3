package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// addBatch is how many items one Add script enqueues; each item is atomic
// on its own, so a long Add runs as several scripts.
const addBatch = 256

// maxWaitMS bounds a Retry wait so that due times stay in the ready zset's
// score range.
const maxWaitMS = 1 << 36

// Add queues the items whose dedup keys were never added to the crawl and
// returns how many were new.
func (f *Frontier) Add(ctx context.Context, items ...frontier.Item) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if _, err := f.check(); err != nil {
		return 0, err
	}
	for _, it := range items {
		if err := checkItem(it); err != nil {
			return 0, fmt.Errorf("add: %w", err)
		}
	}
	total := 0
	for len(items) > 0 {
		n := min(len(items), addBatch)
		ks := []string{f.keys.meta, f.keys.pd, f.keys.lv, f.keys.ready}
		ks, args := f.appendItems(ks, nil, items[:n])
		added, err := f.sc.add.Run(ctx, f.c, ks, args...).Int()
		if err != nil {
			return total, fmt.Errorf("add: %w", err)
		}
		total += added
		items = items[n:]
		if added > 0 {
			f.broadcast()
		}
	}
	return total, nil
}

// appendItems appends the keys and arguments the enqueue function of the
// scripts takes for each item.
func (f *Frontier) appendItems(ks []string, args []any, items []frontier.Item) ([]string, []any) {
	for _, it := range items {
		bucket, field := seenSlot(it.DedupKey(), f.bits)
		ks = append(ks, f.keys.seen(bucket), f.keys.host(it.Host), f.keys.depths(it.Host), f.keys.queue(it.Host, it.Depth))
		args = append(args, field, it.Host, strconv.Itoa(it.Depth), encodeRecord(it))
	}
	return ks, args
}

// Complete ends the lease and queues the unseen children in one atomic
// step. A lease that was completed, retried or reclaimed returns
// frontier.ErrStaleLease.
func (f *Frontier) Complete(ctx context.Context, l frontier.Lease, children []frontier.Item) (int, error) {
	return f.CompleteRecord(ctx, l, children, nil)
}

// CompleteRecord is Complete that also appends rec to the worker's journal
// in the same atomic step (frontier.Journal). Concurrent calls share round
// trips: those that arrive while one batch is in flight go together in the
// next, each atomic on its own (batch.go).
func (f *Frontier) CompleteRecord(ctx context.Context, l frontier.Lease, children []frontier.Item, rec []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if _, err := f.check(); err != nil {
		return 0, err
	}
	for _, it := range children {
		if err := checkItem(it); err != nil {
			return 0, fmt.Errorf("complete: %w", err)
		}
	}
	c := &completion{l: l, host: l.Item.Host, depth: l.Item.Depth, children: children, rec: rec}
	f.commit(c)
	if c.err != nil {
		return 0, fmt.Errorf("complete: %w", c.err)
	}
	f.broadcast() // a host slot is free, and children may be queued
	return c.added, nil
}

// Retry ends the lease and puts l.Item back at the front of its host's
// queue; the host is not due again before the server's now plus wait. The
// item keeps the host and depth it was leased with.
func (f *Frontier) Retry(ctx context.Context, l frontier.Lease, wait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := f.check(); err != nil {
		return err
	}
	return f.requeue(ctx, l.ID, l.Item.Host, l.Item.Depth, "retry", min(ceilMS(wait), maxWaitMS), encodeRecord(l.Item))
}

// reclaim hands out again the expired lease id of host at depth. A lease
// that is gone or was extended meanwhile is not an error.
func (f *Frontier) reclaim(ctx context.Context, id uint64, host string, depth int) error {
	err := f.requeue(ctx, id, host, depth, "reclaim", 0, "")
	if errors.Is(err, frontier.ErrStaleLease) || errors.Is(err, errNotExpired) {
		return nil
	}
	return err
}

var errNotExpired = errors.New("lease not expired")

func (f *Frontier) requeue(ctx context.Context, id uint64, host string, depth int, mode string, waitMS int64, rec string) error {
	for range 2 {
		ks := []string{f.keys.meta, f.keys.ready, f.keys.leases, f.keys.infl,
			f.keys.host(host), f.keys.depths(host), f.keys.queue(host, depth), f.keys.leased}
		v, err := f.sc.requeue.Run(ctx, f.c, ks, id, host, strconv.Itoa(depth), mode, waitMS, rec).Slice()
		if err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
		code, err := replyCode(v)
		if err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
		switch code {
		case 0:
			f.broadcast()
			return nil
		case -1:
			return frontier.ErrStaleLease
		case -2:
			if host, depth, err = movedTo(v); err != nil {
				return fmt.Errorf("%s: %w", mode, err)
			}
		case -3:
			return errNotExpired
		default:
			return fmt.Errorf("%s: unexpected reply %v", mode, v)
		}
	}
	return fmt.Errorf("%s: the lease's host keeps changing", mode)
}

// Extend moves the lease's deadline to the server's now plus the
// Options.LeaseTTL. A lease no longer held returns frontier.ErrStaleLease;
// a lease past its deadline but not yet reclaimed is still held.
func (f *Frontier) Extend(ctx context.Context, l frontier.Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := f.check(); err != nil {
		return err
	}
	code, err := f.sc.extend.Run(ctx, f.c, []string{f.keys.leases, f.keys.infl}, l.ID, f.ttl.Milliseconds()).Int()
	switch {
	case err != nil:
		return fmt.Errorf("extend: %w", err)
	case code == -1:
		return frontier.ErrStaleLease
	}
	return nil
}

// LeaseTTL returns Options.LeaseTTL: how long a lease is held without
// Extend.
func (f *Frontier) LeaseTTL() time.Duration { return f.ttl }

var _ frontier.Extender = (*Frontier)(nil)

// SetHostDelay sets host's delay between lease starts for every process
// of the crawl; a negative d is 0. Delays are kept in whole milliseconds,
// rounded up.
func (f *Frontier) SetHostDelay(ctx context.Context, host string, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := f.check(); err != nil {
		return err
	}
	ks := []string{f.keys.meta, f.keys.ready, f.keys.host(host), f.keys.depths(host)}
	if err := f.sc.delay.Run(ctx, f.c, ks, host, ceilMS(d)).Err(); err != nil {
		return fmt.Errorf("set host delay: %w", err)
	}
	f.broadcast()
	return nil
}

// replyCode is the first element of a script's array reply.
func replyCode(v []any) (int64, error) {
	if len(v) == 0 {
		return 0, errors.New("empty reply")
	}
	code, ok := v[0].(int64)
	if !ok {
		return 0, fmt.Errorf("unexpected reply %v", v)
	}
	return code, nil
}

// movedTo reads the {-2, host, depth} answer of a script.
func movedTo(v []any) (string, int, error) {
	if len(v) != 3 {
		return "", 0, fmt.Errorf("unexpected reply %v", v)
	}
	host, ok1 := v[1].(string)
	ds, ok2 := v[2].(string)
	depth, err := strconv.Atoi(ds)
	if !ok1 || !ok2 || err != nil {
		return "", 0, fmt.Errorf("unexpected reply %v", v)
	}
	return host, depth, nil
}
