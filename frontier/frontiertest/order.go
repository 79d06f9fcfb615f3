package frontiertest

import (
	"slices"

	"github.com/crawl-dev/crawl/frontier"
)

// testBreadthFirst: no depth-1 item is leased while a depth-0 item is held,
// even on an idle host.
func testBreadthFirst(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a0, b1, a1 := item("a.test", "0", 0), item("b.test", "1", 1), item("a.test", "1", 1)
	b2 := item("b.test", "2", 2)
	e.add(f, a0, b1, a1, b2)
	l := e.next(f)
	if l.Item.URL != a0.URL {
		e.t.Fatalf("first lease = %q, want %q", l.Item.URL, a0.URL)
	}
	e.blocks(f)
	e.complete(f, l)
	got := urlsOf(e.nextN(f, 2))
	if want := []string{a1.URL, b1.URL}; !slices.Equal(got, want) {
		e.t.Errorf("leases of depth 1 = %q, want %q", got, want)
	}
}

// testShorterPathWins: a child that Complete queues whose URL waits at a
// greater depth takes its place, with its own fields (a redirect target
// keeps its page's depth, so a page of the level can reach a URL that a
// link of the same level queued one deeper, and the shorter path must
// win); one at the same or a greater depth changes nothing, and so does an
// Add. Each URL is leased once, and only unseen URLs count as new.
func testShorterPathWins(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a0, b0 := item("a.test", "0", 0), item("b.test", "0", 0)
	x1, y1 := item("c.test", "x", 1), item("c.test", "y", 1)
	x1.Parent, y1.Parent = b0.URL, b0.URL
	e.add(f, a0, b0)
	ls := e.nextN(f, 2) // a0, b0
	e.complete(f, ls[1], x1, y1)
	x0 := x1 // a0 redirects to x
	x0.Depth, x0.Parent, x0.Hops, x0.Mode = 0, a0.URL, 1, 3
	y2 := y1
	y2.Depth, y2.Parent = 2, a0.URL
	if n := e.complete(f, ls[0], x0, y2, x1); n != 0 {
		e.t.Errorf("Complete with x and y again = %d new, want 0", n)
	}
	e.wantStats(f, "after x moved", frontier.Stats{Queued: 2, Seen: 4, Done: 2})
	if l := e.next(f); l.Item != x0 {
		e.t.Errorf("leased %+v, want x at its shorter depth %+v", l.Item, x0)
	} else {
		e.blocks(f) // y waits for depth 0
		y := y1
		y.Depth = 0
		if n := e.add(f, y); n != 0 { // y is queued at depth 1: Add does not move it
			e.t.Errorf("Add of a queued URL = %d, want 0", n)
		}
		e.wantStats(f, "with x leased", frontier.Stats{Queued: 1, Inflight: 1, Seen: 4, Done: 2})
		e.complete(f, l)
	}
	if l := e.next(f); l.Item != y1 {
		e.t.Errorf("leased %+v, want y as first queued %+v", l.Item, y1)
	} else {
		e.complete(f, l)
	}
	e.done(f)

	// Moves out of a bucket the URL shares, and out of one it empties.
	f = e.newFrontier(frontier.Policy{})
	s0 := item("e.test", "s", 0)
	p2, q2, r3 := item("d.test", "p", 2), item("d.test", "q", 2), item("d.test", "r", 3)
	e.add(f, s0, p2, q2, r3)
	p1, r1 := p2, r3
	p1.Depth, r1.Depth = 1, 1
	if n := e.complete(f, e.next(f), r1, p1); n != 0 {
		e.t.Errorf("Complete moving r and p = %d new, want 0", n)
	}
	e.wantStats(f, "after the moves", frontier.Stats{Queued: 3, Seen: 4, Done: 1})
	if got, want := e.drain(f), []string{r3.URL, p2.URL, q2.URL}; !slices.Equal(got, want) {
		e.t.Errorf("lease order = %q, want %q", got, want)
	}

	// One key under two hosts (a backend may move it or keep the first):
	// leased once all the same.
	f = e.newFrontier(frontier.Policy{MaxInflight: 2})
	u0, v0 := item("f.test", "u", 0), item("f.test", "v", 0)
	e.add(f, u0, v0)
	ls = e.nextN(f, 2)
	deep := frontier.Item{URL: "http://g.test/k", Key: "K", Host: "g.test", Depth: 1}
	short := frontier.Item{URL: "http://h.test/k", Key: "K", Host: "h.test", Depth: 0}
	e.complete(f, ls[0], deep)
	e.complete(f, ls[1], short)
	n := 0
	for _, u := range e.drain(f) {
		if u == deep.URL || u == short.URL {
			n++
		}
	}
	if n != 1 {
		e.t.Errorf("key K leased %d times under two hosts, want once", n)
	}

	// A URL in flight or done is final: a child reaching it by a shorter
	// path (after a late Add opened a shallower level) moves nothing, and
	// the other children are queued all the same.
	f = e.newFrontier(frontier.Policy{MaxInflight: 4})
	a1 := item("i.test", "a", 1)
	e.add(f, a1)
	la := e.next(f)
	s0, t0 := item("j.test", "s", 0), item("j.test", "t", 0)
	e.add(f, s0, t0)
	a0, c1 := a1, item("k.test", "c", 1)
	a0.Depth, a0.Hops = 0, 1
	if n := e.complete(f, e.next(f), a0, c1); n != 1 {
		e.t.Errorf("Complete with a URL in flight and a new one = %d new, want 1", n)
	}
	e.complete(f, la)
	if n := e.complete(f, e.next(f), a0); n != 0 { // t0: a is done now
		e.t.Errorf("Complete with a done URL = %d new, want 0", n)
	}
	if got, want := e.drain(f), []string{c1.URL}; !slices.Equal(got, want) {
		e.t.Errorf("leases after = %q, want %q", got, want)
	}
}

// testLateAddOfLowerDepth: an item added with a smaller depth than the
// ones in flight is leased next, and holds back the deeper items, also
// those of a host that was ready before the Add.
func testLateAddOfLowerDepth(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a1, a2 := item("a.test", "1", 1), item("a.test", "2", 1)
	b0, c1 := item("b.test", "0", 0), item("c.test", "1", 1)
	e.add(f, a1, a2)
	la := e.next(f)
	if la.Item.URL != a1.URL {
		e.t.Fatalf("first lease = %q, want %q", la.Item.URL, a1.URL)
	}
	e.add(f, b0, c1)
	lb := e.next(f)
	if lb.Item.URL != b0.URL {
		e.t.Fatalf("lease after the late Add = %q, want %q", lb.Item.URL, b0.URL)
	}
	e.blocks(f)
	e.complete(f, lb)
	got := urlsOf(e.nextN(f, 2))
	if want := []string{a2.URL, c1.URL}; !slices.Equal(got, want) {
		e.t.Errorf("leases after depth 0 = %q, want %q", got, want)
	}
	e.complete(f, la)
}

// testHostOrder: one host's items come out by depth, then in Add order.
func testHostOrder(e *env) {
	f := e.newFrontier(frontier.Policy{})
	deep, p, q := item("x.test", "deep", 2), item("x.test", "p", 1), item("x.test", "q", 1)
	seed, r := item("x.test", "seed", 0), item("x.test", "r", 1)
	e.add(f, deep, p, q, seed)
	e.add(f, r)
	got := e.drain(f)
	if want := []string{seed.URL, p.URL, q.URL, r.URL, deep.URL}; !slices.Equal(got, want) {
		e.t.Errorf("lease order = %q, want %q", got, want)
	}
}

// testMaxInflight: a host never has more than MaxInflight leases, and other
// hosts are still served.
func testMaxInflight(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 2})
	for _, p := range []string{"1", "2", "3", "4"} {
		e.add(f, item("a.test", p, 0))
	}
	e.add(f, item("b.test", "1", 0))
	ls := e.nextN(f, 3)
	if got := hostCounts(ls); got["a.test"] != 2 || got["b.test"] != 1 {
		e.t.Fatalf("leases per host = %v, want a.test:2 b.test:1", got)
	}
	e.blocks(f)
	e.complete(f, ls[0]) // an a.test lease: URLs sort a before b
	if l := e.next(f); l.Item.Host != "a.test" {
		e.t.Errorf("lease after a.test freed a slot = %q, want an a.test URL", l.Item.URL)
	}
	e.blocks(f)
	e.wantStats(f, "at the limit", frontier.Stats{Queued: 1, Inflight: 3, Seen: 5, Done: 1})
}

// testMaxInflightDefault: MaxInflight 0 means one lease per host.
func testMaxInflightDefault(e *env) {
	f := e.newFrontier(frontier.Policy{})
	e.add(f, item("a.test", "1", 0), item("a.test", "2", 0), item("b.test", "1", 0))
	if got := hostCounts(e.nextN(f, 2)); got["a.test"] != 1 || got["b.test"] != 1 {
		e.t.Errorf("leases per host = %v, want a.test:1 b.test:1", got)
	}
	e.blocks(f)
}

func hostCounts(ls []frontier.Lease) map[string]int {
	n := make(map[string]int)
	for _, l := range ls {
		n[l.Item.Host]++
	}
	return n
}
