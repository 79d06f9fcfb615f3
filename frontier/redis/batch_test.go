package redis

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// TestBatchedNextAndComplete: concurrent Next calls of one Frontier share
// claims and concurrent Completes share scripts, and each call still gets
// its own outcome: one lease per item, a stale lease's ErrStaleLease, the
// children counted for the call that brought them.
func TestBatchedNextAndComplete(t *testing.T) {
	c := testClient(t)
	id := newCrawlID(t, c)
	f := openTest(t, c, id, frontier.Policy{MaxInflight: 8}, Options{})
	ctx := ctxT(t, 10*time.Second)
	const n = 8
	var items []frontier.Item
	for i := range n {
		items = append(items, item("a.test", string(rune('a'+i)), 0))
	}
	if _, err := f.Add(ctx, items...); err != nil {
		t.Fatal(err)
	}
	leases := make([]frontier.Lease, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			l, err := f.Next(ctx)
			if err != nil {
				t.Errorf("Next: %v", err)
			}
			leases[i] = l
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, l := range leases {
		if seen[l.Item.URL] {
			t.Fatalf("%s leased twice", l.Item.URL)
		}
		seen[l.Item.URL] = true
	}
	stale := leases[0]
	if _, err := f.Complete(ctx, stale, nil); err != nil {
		t.Fatal(err)
	}
	added := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			child := item("b.test", string(rune('a'+i)), 1)
			added[i], errs[i] = f.Complete(ctx, leases[i], []frontier.Item{child, child})
		})
	}
	wg.Wait()
	for i := range n {
		switch {
		case i == 0 && !errors.Is(errs[i], frontier.ErrStaleLease):
			t.Errorf("Complete of a completed lease: %v, want ErrStaleLease", errs[i])
		case i > 0 && (errs[i] != nil || added[i] != 1):
			t.Errorf("Complete %d = %d, %v; want 1, nil", i, added[i], errs[i])
		}
	}
	if s, err := f.Stats(ctx); err != nil || s != (frontier.Stats{Queued: n - 1, Seen: 2*n - 1, Done: n}) {
		t.Errorf("Stats = %+v, %v", s, err)
	}
}

// TestCloseReturnsClaimed: a lease Next claimed for a call that gave up
// waiting goes back to its queue when the Frontier closes, not after its
// deadline.
func TestCloseReturnsClaimed(t *testing.T) {
	c := testClient(t)
	id := newCrawlID(t, c)
	f := openTest(t, c, id, frontier.Policy{}, Options{LeaseTTL: time.Hour})
	ctx := ctxT(t, 10*time.Second)
	x := item("a.test", "x", 0)
	if _, err := f.Add(ctx, x); err != nil {
		t.Fatal(err)
	}
	l, err := f.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.cmu.Lock()
	f.claimed = append(f.claimed, l) // as if claimed for a caller that left
	f.cmu.Unlock()
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	g := openTest(t, c, id, frontier.Policy{}, Options{LeaseTTL: time.Hour})
	got, err := g.Next(ctx)
	if err != nil || got.Item.URL != x.URL {
		t.Fatalf("Next after Close = %q, %v; want %q at once", got.Item.URL, err, x.URL)
	}
}
