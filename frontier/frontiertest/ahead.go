package frontiertest

import (
	"context"
	"errors"

	"github.com/crawl-dev/crawl/frontier"
)

// The Aheader tests run when Options.Aheader is set: a host may run one
// level ahead of the others, and every URL is still completed at its
// shortest depth.

func aheadTests() []testCase {
	return []testCase{
		{"AheadNextLevel", testAheadNextLevel},
		{"AheadMoved", testAheadMoved},
		{"AheadMovedBeforePark", testAheadMovedBeforePark},
		{"AheadRetry", testAheadRetry},
		{"AheadRetryThenMoved", testAheadRetryThenMoved},
		{"AheadParkFreesSlot", testAheadParkFreesSlot},
		{"AheadLateAdd", testAheadLateAdd},
		{"AheadStress", func(e *env) { stress(e, true) }},
	}
}

// child returns a fresh item of host at depth, found on parent.
func child(host, path string, depth int, parent string) frontier.Item {
	it := item(host, path, depth)
	it.Parent = parent
	return it
}

// aheader returns f as a frontier.Aheader.
func (e *env) aheader(f frontier.Frontier) frontier.Aheader {
	e.t.Helper()
	a, ok := f.(frontier.Aheader)
	if !ok {
		e.t.Fatalf("%T is not a frontier.Aheader (see the Interfaces test)", f)
	}
	return a
}

func (e *env) nextAhead(a frontier.Aheader) frontier.Lease {
	e.t.Helper()
	l, err := a.NextAhead(e.ctx())
	if err != nil {
		e.t.Fatalf("NextAhead: %v", err)
	}
	return l
}

func (e *env) park(a frontier.Aheader, l frontier.Lease) (frontier.Lease, bool) {
	e.t.Helper()
	p, ripe, err := a.Park(e.ctx(), l)
	if err != nil {
		e.t.Fatalf("Park(%s): %v", l.Item.URL, err)
	}
	if p.ID != l.ID || p.Item.URL != l.Item.URL || p.Ripe != ripe {
		e.t.Fatalf("Park(%+v) = %+v, %v: want the same lease, Ripe as returned", l, p, ripe)
	}
	return p, ripe
}

// blocksAhead checks that NextAhead leases nothing for blockFor.
func (e *env) blocksAhead(a frontier.Aheader) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), blockFor)
	defer cancel()
	l, err := a.NextAhead(ctx)
	if err == nil {
		e.t.Fatalf("NextAhead leased %q, want it to block", l.Item.URL)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		e.t.Fatalf("NextAhead: %v, want it to block until its ctx ends", err)
	}
}

// twoSeeds queues and leases a seed on hosts a and b, and completes a's
// with children: a's next level is queued while b's seed is still held.
func (e *env) twoSeeds(f frontier.Frontier, children ...frontier.Item) (b frontier.Lease) {
	e.t.Helper()
	e.add(f, item("a", "", 0), item("b", "", 0))
	ls := e.nextN(f, 2)
	e.complete(f, ls[0], children...)
	return ls[1]
}

// testAheadNextLevel: while b's seed is held, Next gives nothing of depth
// 1, NextAhead gives a's; parked, it is not ripe until b's seed is done,
// then Next hands it back, and its children come after it.
func testAheadNextLevel(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a := e.aheader(f)
	b0 := e.twoSeeds(f, child("a", "1", 1, "http://a/"))
	e.blocks(f)
	l := e.nextAhead(a)
	if !l.Ahead || l.Ripe || l.Item.URL != "http://a/1" || l.Item.Depth != 1 {
		e.t.Fatalf("NextAhead = %+v, want http://a/1 at depth 1, ahead, not ripe", l)
	}
	if _, ripe := e.park(a, l); ripe {
		e.t.Fatal("Park: ripe while a depth-0 lease is held")
	}
	e.wantStats(f, "with a lease parked", frontier.Stats{Inflight: 1, Parked: 1, Seen: 3, Done: 1})
	e.blocksAhead(a) // nothing else queued
	e.complete(f, b0, child("b", "1", 1, "http://b/"))
	r := e.next(f)
	if r.ID != l.ID || !r.Ahead || !r.Ripe || r.Item.URL != "http://a/1" || r.Item.Depth != 1 || r.Item.Parent != "http://a/" {
		e.t.Fatalf("Next = %+v, want lease %d of http://a/1 handed back ripe at depth 1", r, l.ID)
	}
	b1 := e.next(f)
	if b1.Item.URL != "http://b/1" || b1.Ahead || b1.Ripe {
		e.t.Fatalf("Next = %+v, want http://b/1, an ordinary lease", b1)
	}
	e.complete(f, r, child("a", "2", 2, "http://a/1"))
	e.blocks(f) // b1 is held at depth 1
	e.complete(f, b1)
	if got := e.drain(f); len(got) != 1 || got[0] != "http://a/2" {
		e.t.Fatalf("drained %v, want [http://a/2]", got)
	}
	e.wantStats(f, "at the end", frontier.Stats{Seen: 5, Done: 5})
}

// testAheadMoved: a redirect of the level reaches a URL parked one level
// deeper: the lease moves to the redirect's depth, with its parent and
// hops, and is ripe at once.
func testAheadMoved(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a := e.aheader(f)
	b0 := e.twoSeeds(f, child("x", "", 1, "http://a/"))
	l := e.nextAhead(a)
	if _, ripe := e.park(a, l); ripe || l.Item.Depth != 1 {
		e.t.Fatalf("parked %+v ripe %v, want depth 1 not ripe", l, ripe)
	}
	redirect := child("x", "", 0, "http://b/")
	redirect.Hops = 1
	if n := e.complete(f, b0, redirect); n != 0 {
		e.t.Errorf("Complete added %d, want 0: the URL was seen", n)
	}
	r := e.next(f)
	want := frontier.Item{URL: "http://x/", Host: "x", Depth: 0, Parent: "http://b/", Hops: 1}
	if r.ID != l.ID || !r.Ripe || r.Item != want {
		e.t.Fatalf("Next = %+v, want lease %d ripe with %+v", r, l.ID, want)
	}
	e.complete(f, r)
	e.done(f)
	e.wantStats(f, "at the end", frontier.Stats{Seen: 3, Done: 3})
}

// testAheadMovedBeforePark: the move comes while the ahead lease is still
// being fetched: Park says it is ripe, at its new depth.
func testAheadMovedBeforePark(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a := e.aheader(f)
	b0 := e.twoSeeds(f, child("x", "", 1, "http://a/"))
	l := e.nextAhead(a)
	redirect := child("x", "", 0, "http://b/")
	redirect.Hops = 1
	e.complete(f, b0, redirect)
	l.Item.Attempts = 1 // the caller's own changes stay
	p, ripe := e.park(a, l)
	want := frontier.Item{URL: "http://x/", Host: "x", Depth: 0, Parent: "http://b/", Hops: 1, Attempts: 1}
	if !ripe || p.Item != want {
		e.t.Fatalf("Park = %+v, %v; want ripe with %+v", p, ripe, want)
	}
	e.complete(f, p)
	e.done(f)
}

// testAheadRetry: an ahead lease put back by Retry is queued at its
// depth, behind the level like any item.
func testAheadRetry(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a := e.aheader(f)
	b0 := e.twoSeeds(f, child("a", "1", 1, "http://a/"))
	l := e.nextAhead(a)
	l.Item.Attempts = 1
	e.retry(f, l, 0)
	e.blocks(f)
	e.complete(f, b0)
	r := e.next(f)
	if r.Ahead || r.Ripe || r.Item.URL != "http://a/1" || r.Item.Depth != 1 || r.Item.Attempts != 1 {
		e.t.Fatalf("Next = %+v, want http://a/1 at depth 1 with 1 attempt, an ordinary lease", r)
	}
	e.complete(f, r)
	e.done(f)
}

// testAheadRetryThenMoved: an ahead lease put back by Retry waits one
// level deeper than the level; a redirect of the level still moves it.
func testAheadRetryThenMoved(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a := e.aheader(f)
	b0 := e.twoSeeds(f, child("x", "", 1, "http://a/"))
	l := e.nextAhead(a)
	e.retry(f, l, 0)
	redirect := child("x", "", 0, "http://b/")
	redirect.Hops = 1
	e.complete(f, b0, redirect)
	r := e.next(f)
	want := frontier.Item{URL: "http://x/", Host: "x", Depth: 0, Parent: "http://b/", Hops: 1}
	if r.Item != want || r.Ahead || r.Ripe {
		e.t.Fatalf("Next = %+v, want %+v, an ordinary lease", r, want)
	}
	e.complete(f, r)
	e.done(f)
}

// testAheadLateAdd: an Add of a lower depth lowers the level under a
// parked lease; a move that leaves it deeper than the new level makes it
// wait there, and it is handed back once the level reaches it.
func testAheadLateAdd(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 1})
	a := e.aheader(f)
	e.add(f, item("b", "y", 1), item("a", "z", 1))
	ls := e.nextN(f, 2) // a/z, b/y
	e.complete(f, ls[1], child("b", "w", 2, "http://b/y"))
	w := e.nextAhead(a)
	if w.Item.URL != "http://b/w" || !w.Ahead {
		e.t.Fatalf("NextAhead = %+v, want http://b/w ahead", w)
	}
	if _, ripe := e.park(a, w); ripe {
		e.t.Fatal("Park: ripe while a depth-1 lease is held")
	}
	e.add(f, item("c", "s", 0)) // the level is 0 now
	s := e.next(f)
	if s.Item.URL != "http://c/s" {
		e.t.Fatalf("Next = %+v, want http://c/s", s)
	}
	e.complete(f, s, child("b", "w", 1, "http://c/s")) // w moves to 1, still past the level
	e.complete(f, ls[0])
	r := e.next(f)
	if r.ID != w.ID || !r.Ripe || r.Item.Depth != 1 || r.Item.Parent != "http://c/s" {
		e.t.Fatalf("Next = %+v, want lease %d handed back ripe at depth 1 from http://c/s", r, w.ID)
	}
	e.complete(f, r)
	e.done(f)
}

// testAheadParkFreesSlot: a parked lease holds no slot of its host.
func testAheadParkFreesSlot(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 1})
	a := e.aheader(f)
	b0 := e.twoSeeds(f, child("a", "1", 1, "http://a/"), child("a", "2", 1, "http://a/"))
	l1 := e.nextAhead(a)
	e.blocksAhead(a) // a is at its limit
	e.park(a, l1)
	l2 := e.nextAhead(a)
	if l2.Item.URL != "http://a/2" || !l2.Ahead {
		e.t.Fatalf("NextAhead = %+v, want http://a/2 ahead", l2)
	}
	e.park(a, l2)
	e.complete(f, b0)
	ripe := e.nextN(f, 2)
	for i, r := range ripe {
		if !r.Ripe || r.Item.URL != []string{"http://a/1", "http://a/2"}[i] {
			e.t.Fatalf("Next = %+v, want the parked leases handed back ripe", r)
		}
		e.complete(f, r)
	}
	e.done(f)
}
