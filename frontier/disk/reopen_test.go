package disk

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// TestReopen follows one crawl across two reopens: the queue, the seen-set,
// the done count and the checkpoint survive; leased items come back at the
// front of their queues; done items are never queued again.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	p := frontier.Policy{MaxInflight: 2}
	d := open(t, dir, p, Options{})
	if d.Finished() {
		t.Errorf("Finished() of a new state = true, want false")
	}
	if cp := d.Checkpoint(); cp != nil {
		t.Errorf("Checkpoint() of a new state = %q, want nil", cp)
	}
	x1, x2, x3 := item("x.test", "1", 0), item("x.test", "2", 0), item("x.test", "3", 0)
	y1 := item("y.test", "1", 0)
	y1.Key, y1.Parent, y1.Attempts, y1.Hops = "key-y1", "http://p.test/", 1, 2
	if n := add(t, d, x1, x2, x3, y1); n != 4 {
		t.Fatalf("Add = %d, want 4", n)
	}
	if err := d.SetHostDelay(ctxT(t), "slow.test", time.Hour); err != nil {
		t.Fatalf("SetHostDelay: %v", err)
	}
	// x.test goes first (added first), then y.test (due earlier than x.test
	// after its lease), then x.test again.
	lx1, ly1, lx2 := next(t, d), next(t, d), next(t, d)
	if got, want := urls([]frontier.Item{lx1.Item, ly1.Item, lx2.Item}), []string{x1.URL, y1.URL, x2.URL}; !slices.Equal(got, want) {
		t.Fatalf("leases = %q, want %q", got, want)
	}
	c1 := item("c.test", "1", 1)
	n, err := d.CompleteBatch(ctxT(t), []Done{{Lease: ly1, Children: []frontier.Item{c1, x1}}}, []byte("offset=123"))
	if err != nil || n != 1 {
		t.Fatalf("CompleteBatch = (%d, %v), want (1, nil)", n, err)
	}
	closeDisk(t, d) // x1 and x2 are still leased

	d = open(t, dir, p, Options{})
	if got, want := stats(t, d), (frontier.Stats{Queued: 4, Seen: 5, Done: 1}); got != want {
		t.Errorf("Stats after reopen = %+v, want %+v", got, want)
	}
	if cp := string(d.Checkpoint()); cp != "offset=123" {
		t.Errorf("Checkpoint() after reopen = %q, want %q", cp, "offset=123")
	}
	if c := d.contents(t); c.leased != 0 {
		t.Errorf("%d leases left on disk after reopen, want 0", c.leased)
	}
	for _, it := range []frontier.Item{x1, x2, y1, c1, {URL: "key-y1", Host: "z.test"}} {
		if n := add(t, d, it); n != 0 {
			t.Errorf("Add(%s) after reopen = %d, want 0 (seen)", it.URL, n)
		}
	}
	// The leased x1 and x2 are back before x3, in lease order; y1 is done.
	l := next(t, d)
	if l.Item != x1 {
		t.Errorf("first lease after reopen = %+v, want %+v", l.Item, x1)
	}
	closeDisk(t, d) // x1 leased again

	d = open(t, dir, p, Options{})
	got := drain(t, d)
	if want := []string{x1.URL, x2.URL, x3.URL, c1.URL}; !slices.Equal(urls(got), want) {
		t.Errorf("drained %q, want %q", urls(got), want)
	}
	if !d.Finished() {
		t.Errorf("Finished() after the drain = false, want true")
	}
	closeDisk(t, d)

	d = open(t, dir, p, Options{})
	defer closeDisk(t, d)
	if !d.Finished() {
		t.Errorf("Finished() of a completed state = false, want true")
	}
	if _, err := d.Next(ctxT(t)); !errors.Is(err, frontier.ErrDone) {
		t.Errorf("Next of a completed state: %v, want ErrDone", err)
	}
	if got, want := stats(t, d), (frontier.Stats{Seen: 5, Done: 5}); got != want {
		t.Errorf("Stats of a completed state = %+v, want %+v", got, want)
	}
	// The host delay outlived two reopens: slow.test's second lease waits.
	add(t, d, item("slow.test", "1", 0), item("slow.test", "2", 0))
	complete(t, d, next(t, d))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	if l, err := d.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second lease of slow.test = (%q, %v), want to wait for its stored delay", l.Item.URL, err)
	}
}

// TestReopenRetried: an item retried with new Attempts keeps them across a
// reopen, and a retried item's place at the front survives.
func TestReopenRetried(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir, frontier.Policy{}, Options{})
	a1, a2 := item("a.test", "1", 0), item("a.test", "2", 0)
	add(t, d, a1, a2)
	l := next(t, d)
	l.Item.Attempts = 3
	if err := d.Retry(ctxT(t), l, time.Hour); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	closeDisk(t, d)

	d = open(t, dir, frontier.Policy{}, Options{})
	defer closeDisk(t, d)
	// Due times are not stored: the host is due at once.
	got := drain(t, d)
	want := []frontier.Item{a1, a2}
	want[0].Attempts = 3
	if !slices.Equal(got, want) {
		t.Errorf("drained %+v, want %+v", got, want)
	}
}

// TestCompleteBatch: a batch commits all its completions or, with a stale
// lease in it, none.
func TestCompleteBatch(t *testing.T) {
	d := open(t, t.TempDir(), frontier.Policy{MaxInflight: 3}, Options{})
	defer closeDisk(t, d)
	add(t, d, item("a.test", "1", 0), item("a.test", "2", 0), item("a.test", "3", 0))
	l1, l2, l3 := next(t, d), next(t, d), next(t, d)

	tests := []struct {
		name string
		done []Done
	}{
		{"a lease twice", []Done{{Lease: l1}, {Lease: l1}}},
		{"an unknown lease", []Done{{Lease: l1}, {Lease: frontier.Lease{ID: 12345}}}},
	}
	for _, tt := range tests {
		n, err := d.CompleteBatch(ctxT(t), tt.done, []byte("bad"))
		if !errors.Is(err, frontier.ErrStaleLease) || n != 0 {
			t.Errorf("CompleteBatch(%s) = (%d, %v), want ErrStaleLease", tt.name, n, err)
		}
	}
	if got, want := stats(t, d), (frontier.Stats{Inflight: 3, Seen: 3}); got != want {
		t.Errorf("Stats after refused batches = %+v, want %+v", got, want)
	}
	if cp := d.Checkpoint(); cp != nil {
		t.Errorf("Checkpoint() after refused batches = %q, want nil", cp)
	}

	b1, b2 := item("b.test", "1", 1), item("b.test", "2", 1)
	n, err := d.CompleteBatch(ctxT(t), []Done{{Lease: l1, Children: []frontier.Item{b1, b2}}, {Lease: l2, Children: []frontier.Item{b2}}}, []byte("cp1"))
	if err != nil || n != 2 {
		t.Fatalf("CompleteBatch = (%d, %v), want (2, nil)", n, err)
	}
	if got, want := stats(t, d), (frontier.Stats{Queued: 2, Inflight: 1, Seen: 5, Done: 2}); got != want {
		t.Errorf("Stats after the batch = %+v, want %+v", got, want)
	}
	// A checkpoint alone.
	if n, err := d.CompleteBatch(ctxT(t), nil, []byte("cp2")); err != nil || n != 0 {
		t.Fatalf("CompleteBatch(checkpoint only) = (%d, %v), want (0, nil)", n, err)
	}
	// A batch without a checkpoint keeps the last one.
	if _, err := d.CompleteBatch(ctxT(t), []Done{{Lease: l3}}, nil); err != nil {
		t.Fatalf("CompleteBatch: %v", err)
	}
	if cp := string(d.Checkpoint()); cp != "cp2" {
		t.Errorf("Checkpoint() = %q, want %q", cp, "cp2")
	}
}

// TestDelayOverrideReset: setting a host's delay back to the Policy's
// removes the stored override.
func TestDelayOverrideReset(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir, frontier.Policy{}, Options{})
	for _, dl := range []time.Duration{time.Hour, 0} {
		if err := d.SetHostDelay(ctxT(t), "a.test", dl); err != nil {
			t.Fatalf("SetHostDelay(%v): %v", dl, err)
		}
	}
	closeDisk(t, d)
	d = open(t, dir, frontier.Policy{}, Options{})
	defer closeDisk(t, d)
	if _, _, delays := d.s.Sizes(); delays != 0 {
		t.Errorf("delays after reopen = %d, want none", delays)
	}
}

// TestNoSync: without syncs a clean Close still keeps everything.
func TestNoSync(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir, frontier.Policy{}, Options{NoSync: true})
	add(t, d, item("a.test", "1", 0), item("a.test", "2", 0))
	complete(t, d, next(t, d))
	closeDisk(t, d)
	d = open(t, dir, frontier.Policy{}, Options{NoSync: true})
	defer closeDisk(t, d)
	if got, want := stats(t, d), (frontier.Stats{Queued: 1, Seen: 2, Done: 1}); got != want {
		t.Errorf("Stats after reopen = %+v, want %+v", got, want)
	}
}

// checkScheduler fails the test if the Disk's scheduler breaks an
// invariant.
func checkScheduler(t *testing.T, d *Disk) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.s.Check(nil); err != nil {
		t.Fatalf("scheduler after reopen: %v", err)
	}
}

// TestReopenScheduler: the scheduler Open rebuilds from queues of several
// hosts and depths, with leases returned to the front, keeps its
// invariants and leases breadth-first, each host's items in order.
func TestReopenScheduler(t *testing.T) {
	dir := t.TempDir()
	p := frontier.Policy{MaxInflight: 2}
	d := open(t, dir, p, Options{NoSync: true})
	a1, a2, a3 := item("a.test", "1", 0), item("a.test", "2", 0), item("a.test", "3", 1)
	b1, b2, c1 := item("b.test", "1", 0), item("b.test", "2", 2), item("c.test", "1", 1)
	add(t, d, a1, a2, a3, b1, b2, c1)
	if l := next(t, d); l.Item != a1 {
		t.Fatalf("first lease = %+v, want %+v", l.Item, a1)
	}
	closeDisk(t, d) // a1 still leased

	d = open(t, dir, p, Options{NoSync: true})
	defer closeDisk(t, d)
	checkScheduler(t, d)
	got := urls(drain(t, d))
	checkScheduler(t, d)
	if len(got) != 6 {
		t.Fatalf("drained %q, want 6 items", got)
	}
	// Depth 0 first: a1 (returned to the front) before a2, and b1; then
	// depth 1 (a3, c1); then depth 2.
	depth0 := slices.Clone(got[:3])
	slices.Sort(depth0)
	if want := urls([]frontier.Item{a1, a2, b1}); !slices.Equal(depth0, want) || slices.Index(got, a1.URL) > slices.Index(got, a2.URL) {
		t.Errorf("drained %q, want %q first, a1 before a2", got, want)
	}
	depth1 := slices.Clone(got[3:5])
	slices.Sort(depth1)
	if want := urls([]frontier.Item{a3, c1}); !slices.Equal(depth1, want) || got[5] != b2.URL {
		t.Errorf("drained %q, want %q then %q", got, want, b2.URL)
	}
}

// TestReopenMoved: items moved to a shorter depth keep their order across a
// reopen; the slots they left are skipped, and deleted once passed, and a
// bucket left with moved slots only (its last item's lease written but not
// its deletion) is deleted by Open.
func TestReopenMoved(t *testing.T) {
	dir := t.TempDir()
	p := frontier.Policy{MaxInflight: 2}
	d := open(t, dir, p, Options{})
	p2, q2, r3, m2 := item("x.test", "p", 2), item("x.test", "q", 2), item("x.test", "r", 3), item("y.test", "m", 2)
	s0 := item("s.test", "0", 0)
	add(t, d, s0, p2, q2, r3, m2)
	p1, m1 := p2, m2
	p1.Depth, p1.Parent = 1, "http://x.test/"
	m1.Depth = 1
	complete(t, d, next(t, d), p1, m1)
	if c := d.contents(t); c.moved != 1 || len(c.queued) != 4 {
		t.Errorf("store holds %d items and %d moved slots, want 4 and 1 (y.test's emptied bucket deleted)", len(c.queued), c.moved)
	}
	closeDisk(t, d)
	rewrite(t, dir, func(b *pebble.Batch) error {
		return b.Set(queueKey(nil, "z.test", 5, seqStart+7), movedValue, nil)
	})

	d = open(t, dir, p, Options{})
	defer closeDisk(t, d)
	checkScheduler(t, d)
	if got, want := stats(t, d), (frontier.Stats{Queued: 4, Seen: 5, Done: 1}); got != want {
		t.Errorf("Stats after reopen = %+v, want %+v", got, want)
	}
	got := drain(t, d)
	checkScheduler(t, d)
	if len(got) != 4 {
		t.Fatalf("drained %+v, want 4 items", got)
	}
	if got[0].Depth != 1 || got[1].Depth != 1 || !slices.Contains(got[:2], p1) || !slices.Contains(got[:2], m1) {
		t.Errorf("first leases %+v, want p and m at depth 1", got[:2])
	}
	if got[2] != q2 || got[3] != r3 {
		t.Errorf("last leases %+v, want %+v then %+v", got[2:], q2, r3)
	}
	if c := d.contents(t); c.moved != 0 || len(c.queued) != 0 {
		t.Errorf("store holds %d items and %d moved slots after the drain, want none", len(c.queued), c.moved)
	}
}

// TestReopenAheadMoved: a lease taken ahead of the level and moved to a
// shallower depth by a redirect comes back, after a crash, at the depth it
// was moved to, and it can still be moved after a reopen put it back.
func TestReopenAheadMoved(t *testing.T) {
	dir := t.TempDir()
	p := frontier.Policy{MaxInflight: 4}
	d := open(t, dir, p, Options{})
	a0, b0 := item("a.test", "", 0), item("b.test", "", 0)
	add(t, d, a0, b0)
	la, lb := next(t, d), next(t, d)
	if la.Item.Host != "a.test" {
		la, lb = lb, la
	}
	x1, y1 := item("x.test", "", 1), item("y.test", "", 1)
	x1.Parent, y1.Parent = "http://a.test/", "http://a.test/"
	complete(t, d, la, x1, y1)
	ahead := func() frontier.Lease {
		t.Helper()
		l, err := d.NextAhead(ctxT(t))
		if err != nil || !l.Ahead {
			t.Fatalf("NextAhead = %+v, %v; want a lease ahead", l, err)
		}
		return l
	}
	lx, ly := ahead(), ahead()
	if lx.Item.Host != "x.test" {
		lx = ly
	}
	if _, ripe, err := d.Park(ctxT(t), lx); ripe || err != nil {
		t.Fatalf("Park = %v, %v; want not ripe", ripe, err)
	}
	x0 := x1
	x0.Depth, x0.Parent, x0.Hops = 0, "http://b.test/", 1
	complete(t, d, lb, x0)
	closeDisk(t, d) // x and y are still leased: a crash for them

	d = open(t, dir, p, Options{})
	defer closeDisk(t, d)
	checkScheduler(t, d)
	got := next(t, d)
	if got.Item != x0 || got.Ahead {
		t.Fatalf("first lease after reopen = %+v, want %+v, an ordinary lease", got, x0)
	}
	// y came back at depth 1; a redirect of depth 0 still moves it.
	y0 := y1
	y0.Depth, y0.Parent, y0.Hops = 0, x0.URL, 1
	complete(t, d, got, y0)
	if got := drain(t, d); len(got) != 1 || got[0] != y0 {
		t.Fatalf("drained %+v, want %+v", got, y0)
	}
}
