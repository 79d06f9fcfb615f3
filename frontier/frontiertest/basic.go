package frontiertest

import (
	"errors"
	"slices"
	"strings"

	"github.com/crawl-dev/crawl/frontier"
)

// testDedup: an item is queued once per dedup key, whatever its other fields.
func testDedup(e *env) {
	f := e.newFrontier(frontier.Policy{})
	a1 := item("a.test", "1", 0)
	steps := []struct {
		name  string
		items []frontier.Item
		want  int
	}{
		{"new URL", []frontier.Item{a1}, 1},
		{"same URL again", []frontier.Item{a1}, 0},
		{"no items", nil, 0},
		{"twice in one batch", []frontier.Item{item("a.test", "2", 0), item("a.test", "2", 0)}, 1},
		{"other URL with the Key of a seen URL", []frontier.Item{{URL: a1.URL + "?utm_source=x", Key: a1.URL, Host: "a.test"}}, 0},
		{"seen URL with a new Key", []frontier.Item{{URL: a1.URL, Key: "key-3", Host: "a.test"}}, 1},
		{"URL equal to a seen Key", []frontier.Item{{URL: "key-3", Host: "b.test"}}, 0},
		{"seen URL, other host", []frontier.Item{item("a.test", "2", 0)}, 0},
		{"seen URL, other depth", []frontier.Item{item("a.test", "1", 3)}, 0},
		{"new and seen", []frontier.Item{a1, item("b.test", "1", 0), a1}, 1},
	}
	for _, s := range steps {
		if got := e.add(f, s.items...); got != s.want {
			e.t.Errorf("Add(%s) = %d, want %d", s.name, got, s.want)
		}
	}
	e.wantStats(f, "after the adds", frontier.Stats{Queued: 4, Seen: 4})
	got := e.drain(f)
	slices.Sort(got)
	want := []string{a1.URL, a1.URL, "http://a.test/2", "http://b.test/1"}
	if !slices.Equal(got, want) {
		e.t.Errorf("leased %q, want %q", got, want)
	}
}

func testEmptyIsDone(e *env) {
	f := e.newFrontier(frontier.Policy{})
	e.done(f)
	e.done(f)
	e.wantStats(f, "of an empty frontier", frontier.Stats{})
}

// testDoneAfterLastComplete: ErrDone comes only when the last lease ends.
func testDoneAfterLastComplete(e *env) {
	f := e.newFrontier(frontier.Policy{})
	e.add(f, item("a.test", "1", 0), item("b.test", "1", 0))
	ls := e.nextN(f, 2)
	e.complete(f, ls[0])
	e.blocks(f)
	e.complete(f, ls[1])
	e.done(f)
	e.wantStats(f, "at the end", frontier.Stats{Seen: 2, Done: 2})
}

// testSeenIsForever: a completed or retried URL is never queued again by Add.
func testSeenIsForever(e *env) {
	f := e.newFrontier(frontier.Policy{})
	a1, a2 := item("a.test", "1", 0), item("a.test", "2", 0)
	e.add(f, a1, a2)
	l := e.next(f)
	e.complete(f, l)
	if n := e.add(f, l.Item); n != 0 {
		e.t.Errorf("Add of a completed URL = %d, want 0", n)
	}
	l = e.next(f)
	e.retry(f, l, 0)
	if n := e.add(f, l.Item); n != 0 {
		e.t.Errorf("Add of a retried URL = %d, want 0", n)
	}
	if got := e.drain(f); !slices.Equal(got, []string{a2.URL}) {
		e.t.Errorf("leased %q after the re-adds, want %q", got, a2.URL)
	}
	e.wantStats(f, "at the end", frontier.Stats{Seen: 2, Done: 2})
}

// testPendingIncludesLeased: a held lease keeps the crawl going, and every
// blocked Next returns ErrDone when it ends.
func testPendingIncludesLeased(e *env) {
	f := e.newFrontier(frontier.Policy{})
	e.add(f, item("a.test", "1", 0))
	l := e.next(f)
	var waiters []<-chan result
	for range 3 {
		waiters = append(waiters, e.nextAsync(e.ctx(), f))
	}
	for _, ch := range waiters {
		e.waiting(f, ch)
	}
	e.complete(f, l)
	for i, ch := range waiters {
		if r := <-ch; !errors.Is(r.err, frontier.ErrDone) {
			e.t.Errorf("waiter %d: Next = (%q, %v), want ErrDone", i, r.l.Item.URL, r.err)
		}
	}
}

// testAddWakesNext: a Next blocked while a lease is held gets an item
// added by another goroutine.
func testAddWakesNext(e *env) {
	f := e.newFrontier(frontier.Policy{})
	e.add(f, item("a.test", "1", 0))
	l := e.next(f)
	ch := e.nextAsync(e.ctx(), f)
	e.waiting(f, ch)
	b1 := item("b.test", "1", 0)
	e.add(f, b1)
	if r := <-ch; r.err != nil || r.l.Item.URL != b1.URL {
		e.t.Errorf("waiting Next = (%q, %v), want %q", r.l.Item.URL, r.err, b1.URL)
	}
	e.complete(f, l)
}

// testCompleteAddsChildren: the children of the last page are queued in the
// step that completes it, so a waiting Next gets a child, not ErrDone.
func testCompleteAddsChildren(e *env) {
	f := e.newFrontier(frontier.Policy{})
	seed := item("a.test", "", 0)
	e.add(f, seed)
	l := e.next(f)
	ch := e.nextAsync(e.ctx(), f)
	e.waiting(f, ch)
	b1, c1 := item("b.test", "1", 1), item("c.test", "1", 1)
	b1.Parent, c1.Parent = seed.URL, seed.URL
	if n := e.complete(f, l, b1, c1, seed, b1); n != 2 {
		e.t.Errorf("Complete added %d children, want 2", n)
	}
	r := <-ch
	if r.err != nil {
		e.t.Fatalf("waiting Next: %v, want a child", r.err)
	}
	ls := []frontier.Lease{r.l, e.next(f)}
	slices.SortFunc(ls, func(a, b frontier.Lease) int { return strings.Compare(a.Item.URL, b.Item.URL) })
	for i, want := range []frontier.Item{b1, c1} {
		if ls[i].Item != want {
			e.t.Errorf("child lease = %+v, want %+v", ls[i].Item, want)
		}
	}
	e.complete(f, ls[0])
	e.complete(f, ls[1])
	e.done(f)
}

// testItemRoundTrip: a lease carries the item as added, and Retry stores
// the item as passed back.
func testItemRoundTrip(e *env) {
	f := e.newFrontier(frontier.Policy{})
	in := frontier.Item{
		URL: "http://a.test/x?y=1", Key: "a.test/x", Host: "a.test", Depth: 2,
		Parent: "http://p.test/", Attempts: 2, Hops: 1, Mode: 1,
	}
	e.add(f, in)
	l := e.next(f)
	if l.Item != in {
		e.t.Errorf("leased %+v, want %+v", l.Item, in)
	}
	l.Item.Attempts, l.Item.Hops, l.Item.Mode = 3, 0, 2
	e.retry(f, l, 0)
	l2 := e.next(f)
	if l2.Item != l.Item {
		e.t.Errorf("leased %+v after Retry, want %+v", l2.Item, l.Item)
	}
}

// testStats follows the counters through a short crawl.
func testStats(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 2})
	e.wantStats(f, "at the start", frontier.Stats{})
	e.add(f, item("a.test", "1", 0), item("a.test", "2", 0), item("b.test", "1", 0))
	e.wantStats(f, "after Add", frontier.Stats{Queued: 3, Seen: 3})
	ls := e.nextN(f, 2)
	e.wantStats(f, "after two leases", frontier.Stats{Queued: 1, Inflight: 2, Seen: 3})
	e.complete(f, ls[0], item("c.test", "1", 1), item("a.test", "1", 1))
	e.wantStats(f, "after Complete", frontier.Stats{Queued: 2, Inflight: 1, Seen: 4, Done: 1})
	e.retry(f, ls[1], 0)
	e.wantStats(f, "after Retry", frontier.Stats{Queued: 3, Seen: 4, Done: 1})
	if got := e.drain(f); len(got) != 3 {
		e.t.Errorf("drained %q, want 3 URLs", got)
	}
	e.wantStats(f, "at the end", frontier.Stats{Seen: 4, Done: 4})
}
