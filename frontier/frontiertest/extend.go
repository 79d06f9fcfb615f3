package frontiertest

import (
	"context"
	"errors"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// The Extender tests run when Options.Extender is set. They wait for real
// leases to expire, so the frontier must be opened with a LeaseTTL of at
// most maxLeaseTTL.

// maxLeaseTTL is the longest LeaseTTL the suite waits out.
const maxLeaseTTL = 2 * time.Second

func extendTests() []testCase {
	return []testCase{
		{"ExtendHeld", testExtendHeld},
		{"ExtendStale", testExtendStale},
		{"ExtendKeepsLease", testExtendKeepsLease},
		{"LeaseExpiry", testLeaseExpiry},
	}
}

// extender returns f as a frontier.Extender and its LeaseTTL, which must
// be positive and short enough to wait out.
func (e *env) extender(f frontier.Frontier) (frontier.Extender, time.Duration) {
	e.t.Helper()
	x, ok := f.(frontier.Extender)
	if !ok {
		e.t.Fatalf("%T is not a frontier.Extender (see the Interfaces test)", f)
	}
	ttl := x.LeaseTTL()
	switch {
	case ttl <= 0:
		e.t.Fatalf("LeaseTTL() = %v, want it positive", ttl)
	case ttl > maxLeaseTTL:
		e.t.Fatalf("LeaseTTL() = %v: open the frontier with a LeaseTTL of at most %v for the suite", ttl, maxLeaseTTL)
	}
	return x, ttl
}

func (e *env) extend(x frontier.Extender, l frontier.Lease) {
	e.t.Helper()
	if err := x.Extend(e.ctx(), l); err != nil {
		e.t.Fatalf("Extend(%s): %v", l.Item.URL, err)
	}
}

// testExtendHeld: Extend of a held lease succeeds, again and again, and the
// lease then ends normally.
func testExtendHeld(e *env) {
	f := e.newFrontier(frontier.Policy{})
	x, _ := e.extender(f)
	e.add(f, item("a.test", "1", 0))
	l := e.next(f)
	e.extend(x, l)
	e.extend(x, l)
	e.wantStats(f, "after Extend", frontier.Stats{Inflight: 1, Seen: 1})
	e.complete(f, l)
	e.done(f)
}

// testExtendStale: Extend of a lease that ended, by Complete or Retry,
// returns ErrStaleLease and changes nothing.
func testExtendStale(e *env) {
	f := e.newFrontier(frontier.Policy{})
	x, _ := e.extender(f)
	a1, a2 := item("a.test", "1", 0), item("a.test", "2", 0)
	e.add(f, a1, a2)

	l := e.next(f)
	e.complete(f, l)
	if err := x.Extend(e.ctx(), l); !errors.Is(err, frontier.ErrStaleLease) {
		e.t.Errorf("Extend after Complete: %v, want ErrStaleLease", err)
	}
	e.wantStats(f, "after Extend of a completed lease", frontier.Stats{Queued: 1, Seen: 2, Done: 1})

	l = e.next(f)
	e.retry(f, l, 0)
	if err := x.Extend(e.ctx(), l); !errors.Is(err, frontier.ErrStaleLease) {
		e.t.Errorf("Extend after Retry: %v, want ErrStaleLease", err)
	}
	e.wantStats(f, "after Extend of a retried lease", frontier.Stats{Queued: 1, Seen: 2, Done: 1})
	if got := e.drain(f); len(got) != 1 || got[0] != a2.URL {
		e.t.Errorf("leased %q after the stale Extends, want %q", got, a2.URL)
	}
}

// testExtendKeepsLease: a lease extended every LeaseTTL/8 is not reclaimed
// over three LeaseTTLs, and still completes.
func testExtendKeepsLease(e *env) {
	f := e.newFrontier(frontier.Policy{})
	x, ttl := e.extender(f)
	e.add(f, item("a.test", "1", 0))
	l := e.next(f)

	// A heartbeat, as the crawler runs during a long fetch.
	ctx, stop := context.WithCancel(e.ctx())
	beats := make(chan error, 1)
	go func() {
		tick := time.NewTicker(ttl / 8)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				beats <- nil
				return
			case <-tick.C:
				if err := x.Extend(ctx, l); err != nil && ctx.Err() == nil {
					beats <- err
					return
				}
			}
		}
	}()
	wait, cancel := context.WithTimeout(e.ctx(), 3*ttl)
	defer cancel()
	got, err := f.Next(wait)
	stop()
	if berr := <-beats; berr != nil {
		e.t.Fatalf("Extend during the heartbeat: %v", berr)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		e.t.Fatalf("Next while the lease is extended = (%q, %v), want it to block", got.Item.URL, err)
	}
	e.complete(f, l)
	e.done(f)
}

// testLeaseExpiry: a lease not extended for LeaseTTL is reclaimed: Next
// hands its item out again, first in its host's queue, under a new lease.
// The old lease is then stale for Complete, Retry and Extend, and the new
// one completes.
func testLeaseExpiry(e *env) {
	f := e.newFrontier(frontier.Policy{})
	x, ttl := e.extender(f)
	a1, a2 := item("a.test", "1", 0), item("a.test", "2", 0)
	e.add(f, a1, a2)
	start := time.Now()
	old := e.next(f)
	if old.Item != a1 {
		e.t.Fatalf("first lease = %+v, want %+v", old.Item, a1)
	}
	// Next blocks until the lease expires: the host has one slot.
	l := e.next(f)
	e.atLeast("reclaimed lease", time.Since(start), ttl)
	if l.Item != a1 {
		e.t.Fatalf("lease after the expiry = %+v, want the reclaimed %+v", l.Item, a1)
	}
	if l.ID == old.ID {
		e.t.Errorf("reclaimed lease has the old ID %d, want a new one", l.ID)
	}
	ctx := e.ctx()
	if _, err := f.Complete(ctx, old, []frontier.Item{item("c.test", "1", 1)}); !errors.Is(err, frontier.ErrStaleLease) {
		e.t.Errorf("late Complete of the expired lease: %v, want ErrStaleLease", err)
	}
	if err := f.Retry(ctx, old, 0); !errors.Is(err, frontier.ErrStaleLease) {
		e.t.Errorf("late Retry of the expired lease: %v, want ErrStaleLease", err)
	}
	if err := x.Extend(ctx, old); !errors.Is(err, frontier.ErrStaleLease) {
		e.t.Errorf("late Extend of the expired lease: %v, want ErrStaleLease", err)
	}
	e.wantStats(f, "after the late calls", frontier.Stats{Queued: 1, Inflight: 1, Seen: 2})
	e.complete(f, l)
	if got := e.drain(f); len(got) != 1 || got[0] != a2.URL {
		e.t.Errorf("leased %q after the reclaimed lease, want %q", got, a2.URL)
	}
	e.wantStats(f, "at the end", frontier.Stats{Seen: 2, Done: 2})
}
