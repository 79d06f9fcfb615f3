package frontiertest

import (
	"slices"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// The timed tests take a start time before the first Next, so on the real
// clock every check is a lower bound that scheduling delays cannot break.

// testDelay: two leases of one host start at least Delay apart; other
// hosts do not wait.
func testDelay(e *env) {
	const d = 50 * time.Millisecond
	f := e.newFrontier(frontier.Policy{Delay: d})
	a1, a2, b1 := item("a.test", "1", 0), item("a.test", "2", 0), item("b.test", "1", 0)
	e.add(f, a1, a2, b1)
	start := time.Now()
	var got []string
	for range 3 {
		l := e.next(f)
		got = append(got, l.Item.URL)
		switch l.Item.URL {
		case a2.URL:
			e.atLeast("second lease of a.test", time.Since(start), d)
		default:
			e.immediate("first lease of "+l.Item.Host, time.Since(start))
		}
		e.complete(f, l)
	}
	if i, j := slices.Index(got, a1.URL), slices.Index(got, a2.URL); i < 0 || j < i {
		e.t.Errorf("lease order %q, want %q before %q", got, a1.URL, a2.URL)
	}
	e.done(f)

	// The delay holds after the host ran out of work and gets more.
	a3 := item("a.test", "3", 1)
	e.add(f, a3)
	if l := e.next(f); l.Item.URL != a3.URL {
		e.t.Fatalf("lease after the crawl resumed = %q, want %q", l.Item.URL, a3.URL)
	}
	e.atLeast("third lease of a.test", time.Since(start), 2*d)
}

// testDelayWithInflight: with room for more leases, the delay still spaces
// their starts.
func testDelayWithInflight(e *env) {
	const d = 40 * time.Millisecond
	f := e.newFrontier(frontier.Policy{MaxInflight: 3, Delay: d})
	e.add(f, item("a.test", "1", 0), item("a.test", "2", 0), item("a.test", "3", 0))
	start := time.Now()
	e.next(f)
	e.immediate("first lease", time.Since(start))
	e.next(f)
	e.atLeast("second lease", time.Since(start), d)
	e.next(f)
	e.atLeast("third lease", time.Since(start), 2*d)
}

// testRetry: a retried item goes back to the front with its new Attempts,
// and its whole host waits; other hosts do not.
func testRetry(e *env) {
	const wait = 100 * time.Millisecond
	f := e.newFrontier(frontier.Policy{MaxInflight: 2})
	a1, a2, b1 := item("a.test", "1", 0), item("a.test", "2", 0), item("b.test", "1", 0)
	e.add(f, a1, a2)
	l := e.next(f)
	if l.Item.URL != a1.URL {
		e.t.Fatalf("first lease = %q, want %q", l.Item.URL, a1.URL)
	}
	start := time.Now()
	l.Item.Attempts = 1
	e.retry(f, l, wait)
	e.wantStats(f, "after Retry", frontier.Stats{Queued: 2, Seen: 2})
	e.add(f, b1)

	var got []string
	for range 3 {
		l := e.next(f)
		got = append(got, l.Item.URL)
		switch l.Item.URL {
		case b1.URL:
			e.immediate("lease of another host", time.Since(start))
		case a1.URL:
			if l.Item.Attempts != 1 {
				e.t.Errorf("retried lease has Attempts %d, want 1", l.Item.Attempts)
			}
			fallthrough
		default:
			e.atLeast("lease of a.test after Retry", time.Since(start), wait)
		}
		e.complete(f, l)
	}
	if i, j := slices.Index(got, a1.URL), slices.Index(got, a2.URL); i < 0 || j < i {
		e.t.Errorf("lease order %q, want the retried %q before %q", got, a1.URL, a2.URL)
	}

	// Retry without a wait: back at the front of its depth at once.
	f = e.newFrontier(frontier.Policy{})
	x1, x2 := item("x.test", "1", 0), item("x.test", "2", 0)
	e.add(f, x1, x2)
	l = e.next(f)
	l.Item.Attempts = 2
	start = time.Now()
	e.retry(f, l, 0)
	l = e.next(f)
	if l.Item.URL != x1.URL || l.Item.Attempts != 2 {
		e.t.Errorf("lease after Retry(0) = %q (attempts %d), want %q (attempts 2)", l.Item.URL, l.Item.Attempts, x1.URL)
	}
	e.immediate("lease after Retry(0)", time.Since(start))
}

// testSetHostDelay: a host's own delay replaces the Policy's, longer or
// shorter, set before the host is known or after a lease.
func testSetHostDelay(e *env) {
	const d = 60 * time.Millisecond

	// Longer than the Policy's, set before the host has items.
	f := e.newFrontier(frontier.Policy{})
	if err := f.SetHostDelay(e.ctx(), "a.test", d); err != nil {
		e.t.Fatalf("SetHostDelay: %v", err)
	}
	e.add(f, item("a.test", "1", 0), item("a.test", "2", 0), item("b.test", "1", 0), item("b.test", "2", 0))
	start := time.Now()
	ls := e.nextN(f, 2)
	e.immediate("first leases", time.Since(start))
	e.complete(f, ls[0])
	e.complete(f, ls[1])
	for range 2 {
		l := e.next(f)
		switch l.Item.Host {
		case "a.test":
			e.atLeast("second lease of a.test (delay set)", time.Since(start), d)
		default:
			e.immediate("second lease of b.test (no delay)", time.Since(start))
		}
	}

	// Shorter than the Policy's: without it the second lease would wait an
	// hour and Next would fail at its guard deadline.
	f = e.newFrontier(frontier.Policy{Delay: time.Hour})
	if err := f.SetHostDelay(e.ctx(), "b.test", 0); err != nil {
		e.t.Fatalf("SetHostDelay: %v", err)
	}
	e.add(f, item("b.test", "1", 0), item("b.test", "2", 0))
	if got := e.drain(f); len(got) != 2 {
		e.t.Errorf("leased %q, want 2 URLs", got)
	}

	// Set after a lease: the next lease waits for the new delay.
	f = e.newFrontier(frontier.Policy{})
	e.add(f, item("c.test", "1", 0), item("c.test", "2", 0))
	start = time.Now()
	l := e.next(f)
	if err := f.SetHostDelay(e.ctx(), "c.test", d); err != nil {
		e.t.Fatalf("SetHostDelay: %v", err)
	}
	e.complete(f, l)
	e.next(f)
	e.atLeast("lease after SetHostDelay", time.Since(start), d)
}
