package crawler

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/frontier"
)

// leaseSet holds the leases the crawler holds on a frontier.Extender: leased
// by a worker, in a fetch, or waiting in the record writer's queue. The
// renewer extends them; a lease the frontier no longer holds is marked lost.
// Safe for concurrent use.
type leaseSet struct {
	mu   sync.Mutex
	held map[uint64]*heldLease
}

type heldLease struct {
	lease frontier.Lease
	base  time.Time // a time before the lease's deadline was last set
	lost  bool      // the frontier said the lease is stale; warned once
}

func newLeaseSet() *leaseSet { return &leaseSet{held: make(map[uint64]*heldLease)} }

// add starts tracking l, granted after base.
func (s *leaseSet) add(l frontier.Lease, base time.Time) {
	s.mu.Lock()
	s.held[l.ID] = &heldLease{lease: l, base: base}
	s.mu.Unlock()
}

// extended notes that the lease id was renewed by a call started at base.
func (s *leaseSet) extended(id uint64, base time.Time) {
	s.mu.Lock()
	if h, ok := s.held[id]; ok {
		h.base = base
	}
	s.mu.Unlock()
}

// unexpired reports whether the lease id cannot have expired yet: less
// than ttl has passed since a time before its deadline was last set.
func (s *leaseSet) unexpired(id uint64, ttl time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.held[id]
	return ok && !h.lost && time.Since(h.base) < ttl
}

// remove stops tracking the lease id.
func (s *leaseSet) remove(id uint64) {
	s.mu.Lock()
	delete(s.held, id)
	s.mu.Unlock()
}

// lose marks the lease id lost and reports whether it was held and not
// yet marked lost, i.e. whether to warn.
func (s *leaseSet) lose(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.held[id]
	if !ok || h.lost {
		return false
	}
	h.lost = true
	return true
}

// isLost reports whether the lease id was marked lost.
func (s *leaseSet) isLost(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.held[id]
	return ok && h.lost
}

// renewable returns the leases held and not lost.
func (s *leaseSet) renewable() []frontier.Lease {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := make([]frontier.Lease, 0, len(s.held))
	for _, h := range s.held {
		if !h.lost {
			ls = append(ls, h.lease)
		}
	}
	return ls
}

// hold starts tracking a lease handed out by a Next call started at base,
// on a frontier.Extender.
func (c *Crawler) hold(l frontier.Lease, base time.Time) {
	if c.leases != nil {
		c.leases.add(l, base)
	}
}

// release stops tracking a lease that is completed, retried or abandoned.
func (c *Crawler) release(l frontier.Lease) {
	if c.leases != nil {
		c.leases.remove(l.ID)
	}
}

// lost reports whether the renewer found the lease reclaimed.
func (c *Crawler) lost(l frontier.Lease) bool {
	return c.leases != nil && c.leases.isLost(l.ID)
}

// loseLease marks a lease lost and warns once per lease.
func (c *Crawler) loseLease(l frontier.Lease, op string) {
	if c.leases == nil || c.leases.lose(l.ID) {
		c.log.Warn("lease lost: another worker owns the URL now; its result is dropped",
			zap.String("url", l.Item.URL), zap.String("op", op))
	}
}

// renew extends every held lease every LeaseTTL/3 until ctx ends. An
// Extend that fails for an outage is tried again at the next tick (two
// more before the lease can expire).
func (c *Crawler) renew(ctx context.Context) {
	period := max(c.extender.LeaseTTL()/3, time.Millisecond)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, l := range c.leases.renewable() {
			start := time.Now()
			err := c.extender.Extend(ctx, l)
			switch {
			case err == nil:
				c.leases.extended(l.ID, start)
				c.frontierUp()
			case ctx.Err() != nil:
				return
			case errors.Is(err, frontier.ErrStaleLease):
				c.frontierUp()
				c.loseLease(l, "extend")
			case transientFrontierErr(err):
				c.frontierDown("extend", err)
			default:
				c.log.Warn("cannot renew lease", zap.String("url", l.Item.URL), zap.Error(err))
			}
		}
	}
}

// outage tracks whether the frontier is unreachable, so that an outage is
// logged once when it starts and once when it ends. Safe for concurrent use.
type outage struct {
	mu    sync.Mutex
	down  bool
	since time.Time
}

// transientFrontierErr reports whether a frontier error may pass (Redis
// down or unreachable): anything but the frontier's own answers and the
// end of a context.
func transientFrontierErr(err error) bool {
	return err != nil &&
		!errors.Is(err, frontier.ErrDone) && !errors.Is(err, frontier.ErrClosed) &&
		!errors.Is(err, frontier.ErrStaleLease) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// frontierDown notes a failed frontier call; the first of an outage warns.
func (c *Crawler) frontierDown(op string, err error) {
	c.outage.mu.Lock()
	defer c.outage.mu.Unlock()
	if c.outage.down {
		return
	}
	c.outage.down, c.outage.since = true, time.Now()
	c.log.Warn("frontier unavailable; retrying with backoff until it is back",
		zap.String("op", op), zap.Error(err))
}

// frontierUp notes a frontier answer; the first after an outage logs the
// recovery.
func (c *Crawler) frontierUp() {
	c.outage.mu.Lock()
	defer c.outage.mu.Unlock()
	if !c.outage.down {
		return
	}
	c.outage.down = false
	c.log.Info("frontier reachable again", zap.Duration("outage", time.Since(c.outage.since)))
}

// minOutageWait is the least persist waits between tries.
const minOutageWait = 50 * time.Millisecond

// persist calls a frontier operation. On a shared frontier (an Extender,
// reached over a network) it calls it again until it returns anything but a
// transient error (nil, ErrDone, ErrClosed, ErrStaleLease), waiting an
// exponential backoff capped at BackoffMax between tries (never less than
// minOutageWait, so that --backoff-base 0 does not spin against a server
// that is down), or until ctx ends, when it returns the last error. A
// local frontier's errors (a failing disk) are returned at once: the
// crawl cannot go on. Operations retried must leave the frontier
// unchanged when they fail (Next, Complete, Retry do).
func (c *Crawler) persist(ctx context.Context, op string, f func() error) error {
	for n := 1; ; n++ {
		err := f()
		if c.extender == nil || !transientFrontierErr(err) || ctx.Err() != nil {
			if err == nil || errors.Is(err, frontier.ErrStaleLease) || errors.Is(err, frontier.ErrDone) {
				c.frontierUp()
			}
			return err
		}
		c.frontierDown(op, err)
		t := time.NewTimer(max(backoff(c.cfg.BackoffBase, c.cfg.BackoffMax, n), minOutageWait))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
