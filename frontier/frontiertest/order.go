package frontiertest

import (
	"slices"

	"github.com/crawl-dev/crawl/frontier"
)

// testBreadthFirst: no depth-1 item is leased while a depth-0 item is held,
// even on an idle host; with lookahead, not while one is queued, and no
// depth-2 item while a depth-0 item is held.
func testBreadthFirst(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a0, b1, a1 := item("a.test", "0", 0), item("b.test", "1", 1), item("a.test", "1", 1)
	b2 := item("b.test", "2", 2)
	e.add(f, a0, b1, a1, b2)
	l := e.next(f)
	if l.Item.URL != a0.URL {
		e.t.Fatalf("first lease = %q, want %q", l.Item.URL, a0.URL)
	}
	var got []string
	if e.lookahead {
		got = urlsOf(e.nextN(f, 2))
		e.blocks(f)
		e.complete(f, l)
	} else {
		e.blocks(f)
		e.complete(f, l)
		got = urlsOf(e.nextN(f, 2))
	}
	if want := []string{a1.URL, b1.URL}; !slices.Equal(got, want) {
		e.t.Errorf("leases of depth 1 = %q, want %q", got, want)
	}
}

// testLookaheadHoldsLinks: with lookahead, the children of a depth-1 page
// completed while a depth-0 page is held wait for it, so that a URL both
// reach gets its shortest depth: one hop from the seed, or the seed's own
// depth through a redirect (a redirect target keeps the redirect's depth).
// A held child is not counted in Stats but keeps the crawl from being done.
func testLookaheadHoldsLinks(e *env) {
	if !e.lookahead {
		e.t.Skip("the backend has no lookahead")
	}
	for _, tc := range []struct {
		name      string
		fromAhead int // depth of x as the depth-1 page's child
		fromSeed  int // depth of x as the seed's child; -1: not its child
		wantDepth int
	}{
		{"link only ahead", 2, -1, 2},
		{"link from both", 2, 1, 1},
		{"redirect only ahead", 1, -1, 1},
		{"redirect from the seed", 1, 0, 0},
	} {
		f := e.newFrontier(frontier.Policy{MaxInflight: 4})
		a0, b1, x := item("a.test", "0", 0), item("b.test", "1", 1), item("c.test", "x", tc.fromAhead)
		e.add(f, a0, b1)
		l0 := e.next(f)
		l1 := e.next(f)
		if l0.Item.URL != a0.URL || l1.Item.URL != b1.URL {
			e.t.Fatalf("%s: leases = %q, %q, want %q, %q", tc.name, l0.Item.URL, l1.Item.URL, a0.URL, b1.URL)
		}
		e.complete(f, l1, x)
		if q := e.stats(f).Queued; q != 0 { // held children are not counted
			e.t.Errorf("%s: Queued = %d while x is held, want 0", tc.name, q)
		}
		e.blocks(f)
		if tc.fromSeed >= 0 {
			xs := x
			xs.Depth = tc.fromSeed
			e.complete(f, l0, xs)
		} else {
			e.complete(f, l0)
		}
		lx := e.next(f)
		if lx.Item.URL != x.URL || lx.Item.Depth != tc.wantDepth {
			e.t.Errorf("%s: leased %q at depth %d, want %q at %d", tc.name, lx.Item.URL, lx.Item.Depth, x.URL, tc.wantDepth)
		}
		e.complete(f, lx)
		e.done(f)
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
	if !e.lookahead { // with lookahead depth 1 is open again: b0 is leased
		e.blocks(f)
	}
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
