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
	// The first ready hosts, by score: head depth, then due time.
	ready []readyHost
	// The lease with the earliest deadline (ms).
	leaseID  uint64
	deadline int64
	isLease  bool
}

// readyHost is an entry of the ready zset.
type readyHost struct {
	name  string
	depth int
	due   int64 // ms
}

// maxClaim bounds the items (and hosts) one claim takes on.
const maxClaim = 64

// Next blocks until an item can be leased and leases it. It returns
// frontier.ErrDone when the crawl has nothing queued or leased in any
// process, and reclaims expired leases of any process on the way. It polls
// Redis at most every Options.PollInterval, sooner when the first ready
// host or the first lease deadline is due sooner, and at once after a
// change made through this Frontier.
//
// The Next calls of one Frontier share their round trips: one of them at a
// time (the claimer) looks at Redis and claims items for itself and for
// every call waiting behind it, in one script run, from as many hosts as
// it takes; the others wait for the claimer and take their item from what
// it claimed.
func (f *Frontier) Next(ctx context.Context) (frontier.Lease, error) {
	for {
		if err := ctx.Err(); err != nil {
			return frontier.Lease{}, err
		}
		if _, err := f.check(); err != nil {
			return frontier.Lease{}, err
		}
		f.cmu.Lock()
		if f.cclosed {
			f.cmu.Unlock()
			return frontier.Lease{}, frontier.ErrClosed
		}
		if len(f.claimed) > 0 {
			l := f.claimed[0]
			f.claimed = f.claimed[1:]
			f.cmu.Unlock()
			return l, nil
		}
		if f.claimer != nil {
			done := f.claimer
			f.waiting++
			f.cmu.Unlock()
			select {
			case <-ctx.Done():
			case <-done:
			}
			f.cmu.Lock()
			f.waiting--
			f.cmu.Unlock()
			continue
		}
		done := make(chan struct{})
		f.claimer = done
		n := min(f.waiting+1, maxClaim)
		f.cmu.Unlock()

		ls, err := f.claimRound(ctx, n)

		f.cmu.Lock()
		f.claimer = nil
		// What this caller cannot take (Close came, or its ctx ended)
		// stays claimed: for another caller, or for Close to put back.
		keep := 1
		if f.cclosed || ctx.Err() != nil {
			keep = 0
		}
		if len(ls) > keep {
			f.claimed = append(f.claimed, ls[keep:]...)
		}
		closed := f.cclosed
		close(done)
		f.cmu.Unlock()
		switch {
		case closed:
			return frontier.Lease{}, frontier.ErrClosed
		case err != nil:
			return frontier.Lease{}, err
		case len(ls) > 0 && keep == 1:
			return ls[0], nil
		}
	}
}

// claimRound is one claimer's turn: it looks at Redis and claims up to n
// items. When there is nothing to claim yet it waits (see Next) and
// returns none; ErrDone when the crawl is finished.
func (f *Frontier) claimRound(ctx context.Context, n int) ([]frontier.Lease, error) {
	wake, err := f.check()
	if err != nil {
		return nil, err
	}
	v, err := f.look(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("next: %w", err)
	}
	if v.isLease && v.deadline <= v.now {
		if err := f.reclaimID(ctx, v.leaseID); err != nil {
			return nil, fmt.Errorf("next: %w", err)
		}
		return nil, nil
	}
	if v.pending <= 0 {
		return nil, frontier.ErrDone
	}
	wait := f.poll
	var hosts []readyHost
	for _, h := range v.ready {
		if h.depth > v.level {
			break // deeper, as every later one
		}
		if h.depth == v.level && h.due > v.now {
			wait = min(wait, time.Duration(h.due-v.now)*time.Millisecond)
			continue
		}
		// At the level and due, or below it, where only moved copies
		// wait: the claim drops those whether the host is due or not.
		hosts = append(hosts, h)
	}
	if len(hosts) > 0 {
		// Detached from ctx: once the script has run, its leases must
		// reach the claimed list, whatever happens to this caller.
		ls, err := f.claim(context.WithoutCancel(ctx), hosts, n)
		if err != nil || len(ls) > 0 {
			return ls, err
		}
		if hosts[len(hosts)-1].depth == v.level {
			return nil, nil // other processes took them; the script fixed the hosts' places
		}
		// Only moved copies were dropped: look again after a pause, so
		// that a queue the script found otherwise cannot make Next spin.
	}
	if v.isLease {
		wait = min(wait, time.Duration(v.deadline-v.now)*time.Millisecond)
	}
	return nil, f.sleep(ctx, wake, max(wait, time.Millisecond))
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

// look reads the server time, the pending count, the level, the first n
// ready hosts and the first lease deadline in one round trip.
func (f *Frontier) look(ctx context.Context, n int) (view, error) {
	pipe := f.c.Pipeline()
	tm := pipe.Time(ctx)
	pending := pipe.HGet(ctx, f.keys.meta, "pending")
	level := pipe.ZRange(ctx, f.keys.lv, 0, 0)
	ready := pipe.ZRangeWithScores(ctx, f.keys.ready, 0, int64(n-1))
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
	for _, z := range ready.Val() {
		s := int64(z.Score)
		name, ok := z.Member.(string)
		if !ok || s < 0 {
			return view{}, fmt.Errorf("ready host: unexpected entry %v", z)
		}
		v.ready = append(v.ready, readyHost{name: name, depth: int(s / scoreShift), due: f.epoch + s%scoreShift})
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

// claim leases up to n items from hosts, in their order, each at its
// depth if it is still leasable.
func (f *Frontier) claim(ctx context.Context, hosts []readyHost, n int) ([]frontier.Lease, error) {
	ks := []string{f.keys.meta, f.keys.lv, f.keys.ready, f.keys.leases, f.keys.infl, f.keys.ids, f.keys.pd, f.keys.moved, f.keys.leased}
	args := []any{f.ttl.Milliseconds(), n}
	for _, h := range hosts {
		ks = append(ks, f.keys.host(h.name), f.keys.depths(h.name), f.keys.queue(h.name, h.depth))
		args = append(args, h.name, strconv.Itoa(h.depth))
	}
	v, err := f.sc.claim.Run(ctx, f.c, ks, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	count, err := replyCode(v)
	if err != nil || count < 0 || int64(len(v)) != 1+3*count {
		return nil, fmt.Errorf("claim: unexpected reply %v", v)
	}
	ls := make([]frontier.Lease, 0, count)
	for r := v[1:]; len(r) > 0; r = r[3:] {
		i, ok1 := r[0].(int64)
		id, ok2 := r[1].(int64)
		rec, ok3 := r[2].(string)
		if !ok1 || !ok2 || !ok3 || i < 0 || i >= int64(len(hosts)) || id <= 0 {
			return nil, fmt.Errorf("claim: unexpected reply %v", v)
		}
		h := hosts[i]
		it, err := decodeRecord(rec, h.name, h.depth)
		if err != nil {
			return nil, fmt.Errorf("claim: lease %d: %w", id, err)
		}
		ls = append(ls, frontier.Lease{ID: uint64(id), Item: it})
	}
	return ls, nil
}
