package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier"
)

// TestLeaseExpiry: a lease not completed within LeaseTTL is handed out
// again, at the front of its host's queue and freeing its host's slot, and
// its late Complete or Retry is stale.
func TestLeaseExpiry(t *testing.T) {
	const ttl = 100 * time.Millisecond
	c0 := testClient(t)
	id := newCrawlID(t, c0)
	a := openTest(t, c0, id, frontier.Policy{}, Options{LeaseTTL: ttl})
	b := openTest(t, testClient(t), id, frontier.Policy{}, Options{LeaseTTL: ttl})
	a1, a2 := item("a.test", "1", 0), item("a.test", "2", 0)
	if _, err := a.Add(t.Context(), a1, a2); err != nil {
		t.Fatalf("Add: %v", err)
	}
	ctx := ctxT(t, 10*time.Second)
	start := time.Now()
	la, err := a.Next(ctx)
	if err != nil || la.Item.URL != a1.URL {
		t.Fatalf("a.Next = (%q, %v), want %q", la.Item.URL, err, a1.URL)
	}
	// a is "dead": b gets a1 again once the lease expires, before a2.
	lb, err := b.Next(ctx)
	if err != nil || lb.Item != la.Item {
		t.Fatalf("b.Next = (%+v, %v), want %+v", lb.Item, err, la.Item)
	}
	if got := time.Since(start); got < ttl-time.Millisecond {
		t.Errorf("reclaimed after %v, want at least %v", got, ttl)
	}
	if lb.ID == la.ID {
		t.Errorf("reclaimed lease has the old ID %d", la.ID)
	}
	if _, err := a.Complete(ctx, la, []frontier.Item{item("c.test", "1", 1)}); !errors.Is(err, frontier.ErrStaleLease) {
		t.Errorf("late Complete: %v, want ErrStaleLease", err)
	}
	if err := a.Retry(ctx, la, 0); !errors.Is(err, frontier.ErrStaleLease) {
		t.Errorf("late Retry: %v, want ErrStaleLease", err)
	}
	if err := a.Extend(ctx, la); !errors.Is(err, frontier.ErrStaleLease) {
		t.Errorf("late Extend: %v, want ErrStaleLease", err)
	}
	st, err := b.Stats(ctx)
	if want := (frontier.Stats{Queued: 1, Inflight: 1, Seen: 2}); err != nil || st != want {
		t.Errorf("Stats after the reclaim = %+v, %v; want %+v", st, err, want)
	}
	if n, err := c0.HGet(ctx, newKeys(id).meta, "reclaimed").Int(); err != nil || n != 1 {
		t.Errorf("reclaimed counter = %d, %v; want 1", n, err)
	}
	// The host's slot is b's now: a2 waits for b's Complete (MaxInflight 1).
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if l, err := a.Next(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next while b holds the host = (%q, %v), want it to block", l.Item.URL, err)
	}
	if _, err := b.Complete(ctx, lb, nil); err != nil {
		t.Fatalf("b.Complete: %v", err)
	}
	l2, err := a.Next(ctx)
	if err != nil || l2.Item.URL != a2.URL {
		t.Fatalf("a.Next = (%q, %v), want %q", l2.Item.URL, err, a2.URL)
	}
	if _, err := a.Complete(ctx, l2, nil); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	for _, f := range []*Frontier{a, b} {
		if _, err := f.Next(ctx); !errors.Is(err, frontier.ErrDone) {
			t.Errorf("Next at the end: %v, want ErrDone", err)
		}
	}
}

// TestExtend: a lease extended within its TTL is not reclaimed, and stays
// completable.
func TestExtend(t *testing.T) {
	const ttl = 200 * time.Millisecond
	c0 := testClient(t)
	id := newCrawlID(t, c0)
	a := openTest(t, c0, id, frontier.Policy{}, Options{LeaseTTL: ttl})
	b := openTest(t, testClient(t), id, frontier.Policy{}, Options{LeaseTTL: ttl})
	if _, err := a.Add(t.Context(), item("a.test", "1", 0)); err != nil {
		t.Fatalf("Add: %v", err)
	}
	ctx := ctxT(t, 10*time.Second)
	l, err := a.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	// A heartbeat, as a crawler would run during a long fetch.
	stop := make(chan struct{})
	beats := make(chan error, 1)
	go func() {
		tick := time.NewTicker(ttl / 8)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				beats <- nil
				return
			case <-tick.C:
				if err := a.Extend(ctx, l); err != nil {
					beats <- err
					return
				}
			}
		}
	}()
	// Three TTLs: without the heartbeat b would reclaim the lease. The
	// heartbeat beats 8 times a TTL, so a slow machine does not miss one.
	wait, cancel := context.WithTimeout(ctx, 3*ttl)
	defer cancel()
	if got, err := b.Next(wait); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("b.Next while the lease is extended = (%q, %v), want it to block", got.Item.URL, err)
	}
	close(stop)
	if err := <-beats; err != nil {
		t.Fatalf("Extend: %v", err)
	}
	if _, err := a.Complete(ctx, l, nil); err != nil {
		t.Fatalf("Complete after the extensions: %v", err)
	}
	if err := a.Extend(ctx, l); !errors.Is(err, frontier.ErrStaleLease) {
		t.Errorf("Extend after Complete: %v, want ErrStaleLease", err)
	}
	if _, err := b.Next(ctx); !errors.Is(err, frontier.ErrDone) {
		t.Errorf("b.Next at the end: %v, want ErrDone", err)
	}
}

// TestOrphanDeadline: an expired deadline whose lease is gone (a state the
// scripts never leave, but a hand edit could) is dropped by Next instead of
// being met again and again.
func TestOrphanDeadline(t *testing.T) {
	c := testClient(t)
	id := newCrawlID(t, c)
	f := openTest(t, c, id, frontier.Policy{}, Options{})
	ctx := ctxT(t, 10*time.Second)
	if err := c.ZAdd(ctx, newKeys(id).leases, goredis.Z{Score: 0, Member: "999"}).Err(); err != nil {
		t.Fatalf("ZADD: %v", err)
	}
	if _, err := f.Add(ctx, item("a.test", "1", 0)); err != nil {
		t.Fatalf("Add: %v", err)
	}
	l, err := f.Next(ctx)
	if err != nil || l.Item.URL != "http://a.test/1" {
		t.Fatalf("Next = (%q, %v), want http://a.test/1", l.Item.URL, err)
	}
	if n, err := c.ZCard(ctx, newKeys(id).leases).Result(); err != nil || n != 1 {
		t.Errorf("ZCARD leases = %d, %v; want 1 (the orphan dropped, the new lease kept)", n, err)
	}
}
