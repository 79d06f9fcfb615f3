package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier"
)

// scoreShift is the ready zset's depth multiplier, 2^37 (see scripts.go).
const scoreShift = 1 << 37

// view is what Next reads in one round trip before deciding what to do.
type view struct {
	now     int64 // server time, ms
	pending int64
	level   int // lowest pending depth; -1 if none
	// The first ready host: its name, head depth and due time (ms).
	host    string
	depth   int
	due     int64
	isReady bool
	// The lease with the earliest deadline (ms).
	leaseID  uint64
	deadline int64
	isLease  bool
}

// Next blocks until an item can be leased and leases it. It returns
// frontier.ErrDone when the crawl has nothing queued or leased in any
// process, and reclaims expired leases of any process on the way. It polls
// Redis at most every Options.PollInterval, sooner when the first ready
// host or the first lease deadline is due sooner, and at once after a
// change made through this Frontier.
func (f *Frontier) Next(ctx context.Context) (frontier.Lease, error) {
	for {
		if err := ctx.Err(); err != nil {
			return frontier.Lease{}, err
		}
		wake, err := f.check()
		if err != nil {
			return frontier.Lease{}, err
		}
		v, err := f.look(ctx)
		if err != nil {
			return frontier.Lease{}, fmt.Errorf("next: %w", err)
		}
		if v.isLease && v.deadline <= v.now {
			if err := f.reclaimID(ctx, v.leaseID); err != nil {
				return frontier.Lease{}, fmt.Errorf("next: %w", err)
			}
			continue
		}
		if v.pending <= 0 {
			return frontier.Lease{}, frontier.ErrDone
		}
		wait := f.poll
		if v.isReady && v.depth == v.level {
			if v.due <= v.now {
				l, ok, err := f.claim(ctx, v.host, v.depth)
				if err != nil {
					return frontier.Lease{}, fmt.Errorf("next: %w", err)
				}
				if ok {
					return l, nil
				}
				continue // another caller took it; the script fixed the host's place
			}
			wait = min(wait, time.Duration(v.due-v.now)*time.Millisecond)
		}
		if v.isLease {
			wait = min(wait, time.Duration(v.deadline-v.now)*time.Millisecond)
		}
		if err := f.sleep(ctx, wake, max(wait, time.Millisecond)); err != nil {
			return frontier.Lease{}, err
		}
	}
}

// sleep waits for d, a change made through f, or the end of ctx.
func (f *Frontier) sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-t.C:
	}
	return nil
}

// look reads the server time, the pending count, the level, the first
// ready host and the first lease deadline in one round trip.
func (f *Frontier) look(ctx context.Context) (view, error) {
	pipe := f.c.Pipeline()
	tm := pipe.Time(ctx)
	pending := pipe.HGet(ctx, f.keys.meta, "pending")
	level := pipe.ZRange(ctx, f.keys.lv, 0, 0)
	ready := pipe.ZRangeWithScores(ctx, f.keys.ready, 0, 0)
	lease := pipe.ZRangeWithScores(ctx, f.keys.leases, 0, 0)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return view{}, err
	}
	v := view{now: tm.Val().UnixMilli(), level: -1}
	p, err := pending.Int64()
	if err != nil {
		return view{}, fmt.Errorf("pending count: %w (crawl deleted?)", err)
	}
	v.pending = p
	if ls := level.Val(); len(ls) > 0 {
		if v.level, err = strconv.Atoi(ls[0]); err != nil {
			return view{}, fmt.Errorf("level: %w", err)
		}
	}
	if zs := ready.Val(); len(zs) > 0 {
		s := int64(zs[0].Score)
		name, ok := zs[0].Member.(string)
		if !ok || s < 0 {
			return view{}, fmt.Errorf("ready host: unexpected entry %v", zs[0])
		}
		v.host, v.depth, v.due, v.isReady = name, int(s/scoreShift), f.epoch+s%scoreShift, true
	}
	if zs := lease.Val(); len(zs) > 0 {
		id, ok := zs[0].Member.(string)
		n, err := strconv.ParseUint(id, 10, 64)
		if !ok || err != nil {
			return view{}, fmt.Errorf("lease: unexpected entry %v", zs[0])
		}
		v.leaseID, v.deadline, v.isLease = n, int64(zs[0].Score), true
	}
	return v, nil
}

// reclaimID reads where the expired lease id belongs and hands it out again.
func (f *Frontier) reclaimID(ctx context.Context, id uint64) error {
	member := strconv.FormatUint(id, 10)
	s, err := f.c.HGet(ctx, f.keys.infl, member).Result()
	if errors.Is(err, goredis.Nil) {
		// Ended meanwhile, as the scripts drop a lease's deadline with it.
		// Drop a deadline left without its lease all the same, or Next
		// would meet it again and again.
		if err := f.c.ZRem(ctx, f.keys.leases, member).Err(); err != nil {
			return fmt.Errorf("reclaim: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reclaim: %w", err)
	}
	host, depth, _, err := decodeLease(s)
	if err != nil {
		return fmt.Errorf("reclaim lease %d: %w", id, err)
	}
	return f.reclaim(ctx, id, host, depth)
}

// claim leases the head item of host at depth if it is still leasable.
func (f *Frontier) claim(ctx context.Context, host string, depth int) (frontier.Lease, bool, error) {
	ks := []string{f.keys.meta, f.keys.lv, f.keys.ready, f.keys.leases, f.keys.infl, f.keys.ids,
		f.keys.host(host), f.keys.depths(host), f.keys.queue(host, depth), f.keys.pd, f.keys.moved}
	v, err := f.sc.claim.Run(ctx, f.c, ks, host, strconv.Itoa(depth), f.ttl.Milliseconds()).Slice()
	if err != nil {
		return frontier.Lease{}, false, fmt.Errorf("claim: %w", err)
	}
	code, err := replyCode(v)
	if err != nil {
		return frontier.Lease{}, false, fmt.Errorf("claim: %w", err)
	}
	if code == 0 {
		return frontier.Lease{}, false, nil
	}
	if len(v) != 3 {
		return frontier.Lease{}, false, fmt.Errorf("claim: unexpected reply %v", v)
	}
	id, ok1 := v[1].(int64)
	rec, ok2 := v[2].(string)
	if !ok1 || !ok2 || id <= 0 {
		return frontier.Lease{}, false, fmt.Errorf("claim: unexpected reply %v", v)
	}
	it, err := decodeRecord(rec, host, depth)
	if err != nil {
		return frontier.Lease{}, false, fmt.Errorf("claim: lease %d: %w", id, err)
	}
	return frontier.Lease{ID: uint64(id), Item: it}, true, nil
}
