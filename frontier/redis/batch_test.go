package redis

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

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

// TestMovedCopyDoesNotHoldTheLevel: once a URL moved to a shorter depth is
// leased there, the copy left in its old queue holds nothing back, even on
// a host that is not due for an hour: the next level is leased at once.
func TestMovedCopyDoesNotHoldTheLevel(t *testing.T) {
	c := testClient(t)
	f := openTest(t, c, newCrawlID(t, c), frontier.Policy{MaxInflight: 2}, Options{})
	ctx := ctxT(t, 10*time.Second)
	if err := f.SetHostDelay(ctx, "a.test", time.Hour); err != nil {
		t.Fatal(err)
	}
	s, r := item("b.test", "s", 0), item("b.test", "r", 0)
	if _, err := f.Add(ctx, s, r); err != nil {
		t.Fatal(err)
	}
	next := func(want frontier.Item) frontier.Lease {
		t.Helper()
		l, err := f.Next(ctx)
		if err != nil || l.Item.URL != want.URL || l.Item.Depth != want.Depth {
			t.Fatalf("Next = %+v, %v; want %s at depth %d", l.Item, err, want.URL, want.Depth)
		}
		return l
	}
	complete := func(l frontier.Lease, children ...frontier.Item) {
		t.Helper()
		if _, err := f.Complete(ctx, l, children); err != nil {
			t.Fatal(err)
		}
	}
	x1, y1, x0, z2 := item("a.test", "x", 1), item("b.test", "y", 1), item("a.test", "x", 0), item("b.test", "z", 2)
	complete(next(s), x1, y1)
	complete(next(r), x0) // r redirects to x: x moves to depth 0
	complete(next(x0))    // a.test is now not due for an hour
	complete(next(y1), z2)
	complete(next(z2))
	if l, err := f.Next(ctx); !errors.Is(err, frontier.ErrDone) {
		t.Fatalf("Next = %+v, %v; want ErrDone", l.Item, err)
	}
}

// blockClaim is a go-redis hook that holds the claim script's runs after
// the first until release is closed, and says when one is held.
type blockClaim struct {
	sha     string
	runs    atomic.Int32
	held    chan struct{}
	release chan struct{}
}

func (h *blockClaim) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (h *blockClaim) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}
func (h *blockClaim) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		if args := cmd.Args(); cmd.Name() == "evalsha" && len(args) > 1 && args[1] == h.sha && h.runs.Add(1) == 2 {
			close(h.held)
			<-h.release
		}
		return err
	}
}

// TestCloseDuringClaim: Close while a claim for waiting Next calls is in
// Redis waits for it and puts back all it claimed: only the lease a Next
// call returned stays held.
func TestCloseDuringClaim(t *testing.T) {
	c0 := testClient(t)
	id := newCrawlID(t, c0)
	c := goredis.NewClient(c0.Options())
	t.Cleanup(func() { c.Close() })
	f, err := Open(t.Context(), c, id, frontier.Policy{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 10*time.Second)
	var items []frontier.Item
	for i := range 10 {
		items = append(items, item(fmt.Sprintf("h%d.test", i), "", 0))
	}
	if _, err := f.Add(ctx, items...); err != nil {
		t.Fatal(err)
	}
	h := &blockClaim{sha: newScripts().claim.Hash(), held: make(chan struct{}), release: make(chan struct{})}
	c.AddHook(h)
	if _, err := f.Next(ctx); err != nil { // the first claim, for one
		t.Fatal(err)
	}
	errs := make(chan error, 9)
	for range 9 {
		go func() {
			_, err := f.Next(ctx)
			errs <- err
		}()
	}
	<-h.held // a claim for some of the nine is in Redis
	closed := make(chan error, 1)
	go func() { closed <- f.Close() }()
	for { // Close has begun: no claim starts any more
		f.cmu.Lock()
		cc := f.cclosed
		f.cmu.Unlock()
		if cc {
			break
		}
		runtime.Gosched()
	}
	close(h.release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	got := 0
	for range 9 {
		switch err := <-errs; {
		case err == nil:
			got++
		case !errors.Is(err, frontier.ErrClosed):
			t.Errorf("Next: %v, want a lease or ErrClosed", err)
		}
	}
	if n, err := c0.HLen(ctx, newKeys(id).infl).Result(); err != nil || n != int64(1+got) {
		t.Errorf("%d leases held after Close (%v), want %d: the one Next returned first and the %d returned later", n, err, 1+got, got)
	}
}
