package frontiertest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// Options changes how RunOptions exercises a backend.
type Options struct {
	// Synctest runs every test inside a testing/synctest bubble: waits take
	// no real time and timed tests assert exact durations. Only for
	// backends whose goroutines, channels and timers all live in the
	// bubble, that is, backends that do no I/O (the memory one).
	Synctest bool
	// Resolution is the granularity of the backend's clock (for example
	// time.Millisecond for a server that keeps due times in milliseconds).
	// Lower bounds on elapsed time are relaxed by it. Ignored with Synctest.
	Resolution time.Duration

	// The optional interfaces the backend's frontier implements. The
	// crawler picks its commit order from them, so a backend (or a wrapper
	// around one) that gains or loses one changes how a crawl writes its
	// output. The suite checks that the frontier open returns implements
	// exactly the declared ones, and runs each declared one's tests.

	// Batcher says the frontier is a frontier.Batcher: CompleteBatch and
	// Checkpoint. The crawler then group-commits: it writes and syncs a
	// batch's records, then commits their completions and the output's
	// checkpoint in one step.
	Batcher bool
	// Extender says the frontier is a frontier.Extender: its leases expire
	// unless renewed. The crawler then completes a lease before it writes
	// the URL's record. The suite waits for real leases to expire, so open
	// must use a short LeaseTTL (at most maxLeaseTTL, 2s; a few hundred
	// milliseconds keeps the suite fast) that the other tests' leases,
	// held for tens of milliseconds, do not outlive.
	Extender bool
	// RobotsStore says the frontier is a frontier.RobotsStore, sharing
	// robots.txt between the processes of a crawl.
	RobotsStore bool
	// Annotator says the frontier is a frontier.Annotator: it keeps an
	// annotation per dedup key across generations and starts the next
	// generation of a finished crawl. The crawler then re-crawls with
	// conditional requests. An Annotator must also be a Batcher (its
	// annotations come with CompleteBatch).
	Annotator bool
	// Aheader says the frontier is a frontier.Aheader: a host may run one
	// level ahead of the others. The crawler then fetches ahead and
	// completes breadth-first.
	Aheader bool
}

// Open returns a fresh, empty frontier enforcing p. The suite closes it.
type Open = func(t *testing.T, p frontier.Policy) frontier.Frontier

// Run runs the conformance suite against the backend that open opens, on
// the real clock.
func Run(t *testing.T, open func(t *testing.T, p frontier.Policy) frontier.Frontier) {
	t.Helper()
	RunOptions(t, Options{}, open)
}

// RunOptions runs the conformance suite with opts.
func RunOptions(t *testing.T, opts Options, open func(t *testing.T, p frontier.Policy) frontier.Frontier) {
	t.Helper()
	all := append([]testCase{{"Interfaces", func(e *env) { testInterfaces(e, opts) }}}, tests()...)
	if opts.Batcher {
		all = append(all, batchTests()...)
	}
	if opts.Extender {
		all = append(all, extendTests()...)
	}
	if opts.RobotsStore {
		all = append(all, robotsTests()...)
	}
	if opts.Aheader {
		all = append(all, aheadTests()...)
	}
	if opts.Annotator {
		all = append(all, annotatorTests()...)
	}
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			if opts.Synctest {
				synctest.Test(t, func(t *testing.T) {
					tc.fn(&env{t: t, open: open, exact: true})
				})
				return
			}
			tc.fn(&env{t: t, open: open, resolution: opts.Resolution})
		})
	}
}

// testInterfaces: the frontier implements exactly the optional interfaces
// opts declares. A missing one would switch the crawler to another commit
// order (a wrapper that does not forward Extend makes a shared crawl
// record a reclaimed URL twice); an undeclared one would go untested.
func testInterfaces(e *env, opts Options) {
	f := e.newFrontier(frontier.Policy{})
	_, batcher := f.(frontier.Batcher)
	_, extender := f.(frontier.Extender)
	_, robots := f.(frontier.RobotsStore)
	_, annotator := f.(frontier.Annotator)
	_, aheader := f.(frontier.Aheader)
	checks := []struct {
		name            string
		declared, found bool
	}{
		{"frontier.Batcher", opts.Batcher, batcher},
		{"frontier.Extender", opts.Extender, extender},
		{"frontier.RobotsStore", opts.RobotsStore, robots},
		{"frontier.Annotator", opts.Annotator, annotator},
		{"frontier.Aheader", opts.Aheader, aheader},
	}
	for _, c := range checks {
		switch {
		case c.declared && !c.found:
			e.t.Errorf("%T does not implement %s, which Options declares (a wrapper must forward it)", f, c.name)
		case !c.declared && c.found:
			e.t.Errorf("%T implements %s, which Options does not declare: declare it so the suite tests it", f, c.name)
		}
	}
	if annotator && !batcher {
		e.t.Errorf("%T is a frontier.Annotator but not a frontier.Batcher: annotations come with CompleteBatch", f)
	}
}

type testCase struct {
	name string
	fn   func(e *env)
}

func tests() []testCase {
	return []testCase{
		{"Dedup", testDedup},
		{"EmptyIsDone", testEmptyIsDone},
		{"DoneAfterLastComplete", testDoneAfterLastComplete},
		{"SeenIsForever", testSeenIsForever},
		{"PendingIncludesLeased", testPendingIncludesLeased},
		{"AddWakesNext", testAddWakesNext},
		{"CompleteAddsChildren", testCompleteAddsChildren},
		{"ItemRoundTrip", testItemRoundTrip},
		{"StaleLease", testStaleLease},
		{"Stats", testStats},
		{"NextContext", testNextContext},
		{"Close", testClose},
		{"BreadthFirst", testBreadthFirst},
		{"ShorterPathWins", testShorterPathWins},
		{"LateAddOfLowerDepth", testLateAddOfLowerDepth},
		{"HostOrder", testHostOrder},
		{"MaxInflight", testMaxInflight},
		{"MaxInflightDefault", testMaxInflightDefault},
		{"Delay", testDelay},
		{"DelayWithInflight", testDelayWithInflight},
		{"Retry", testRetry},
		{"SetHostDelay", testSetHostDelay},
		{"Stress", testStress},
	}
}

const (
	// guard bounds every call that may block, so a broken backend fails
	// the test instead of hanging it.
	guard = 10 * time.Second
	// blockFor is how long Next must stay blocked to count as blocking.
	blockFor = 30 * time.Millisecond
)

// env is one test's view of the backend.
type env struct {
	t          *testing.T
	open       Open
	exact      bool // inside a synctest bubble
	resolution time.Duration
}

// newFrontier opens a frontier that is closed when the test ends.
func (e *env) newFrontier(p frontier.Policy) frontier.Frontier {
	e.t.Helper()
	f := e.open(e.t, p)
	e.t.Cleanup(func() {
		if err := f.Close(); err != nil && !errors.Is(err, frontier.ErrClosed) {
			e.t.Errorf("Close: %v", err)
		}
	})
	return f
}

// ctx returns a context that ends after guard or with the test.
func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(e.t.Context(), guard)
	e.t.Cleanup(cancel)
	return ctx
}

func (e *env) add(f frontier.Frontier, items ...frontier.Item) int {
	e.t.Helper()
	n, err := f.Add(e.ctx(), items...)
	if err != nil {
		e.t.Fatalf("Add: %v", err)
	}
	return n
}

func (e *env) next(f frontier.Frontier) frontier.Lease {
	e.t.Helper()
	l, err := f.Next(e.ctx())
	if err != nil {
		e.t.Fatalf("Next: %v", err)
	}
	return l
}

// nextN leases n items and returns them sorted by URL.
func (e *env) nextN(f frontier.Frontier, n int) []frontier.Lease {
	e.t.Helper()
	ls := make([]frontier.Lease, 0, n)
	for range n {
		ls = append(ls, e.next(f))
	}
	slices.SortFunc(ls, func(a, b frontier.Lease) int { return strings.Compare(a.Item.URL, b.Item.URL) })
	return ls
}

func (e *env) complete(f frontier.Frontier, l frontier.Lease, children ...frontier.Item) int {
	e.t.Helper()
	n, err := f.Complete(e.ctx(), l, children)
	if err != nil {
		e.t.Fatalf("Complete(%s): %v", l.Item.URL, err)
	}
	return n
}

func (e *env) retry(f frontier.Frontier, l frontier.Lease, wait time.Duration) {
	e.t.Helper()
	if err := f.Retry(e.ctx(), l, wait); err != nil {
		e.t.Fatalf("Retry(%s): %v", l.Item.URL, err)
	}
}

func (e *env) stats(f frontier.Frontier) frontier.Stats {
	e.t.Helper()
	s, err := f.Stats(e.ctx())
	if err != nil {
		e.t.Fatalf("Stats: %v", err)
	}
	return s
}

// wantStats checks a Stats snapshot.
func (e *env) wantStats(f frontier.Frontier, when string, want frontier.Stats) {
	e.t.Helper()
	if got := e.stats(f); got != want {
		e.t.Errorf("Stats %s = %+v, want %+v", when, got, want)
	}
}

// done checks that Next returns ErrDone.
func (e *env) done(f frontier.Frontier) {
	e.t.Helper()
	l, err := f.Next(e.ctx())
	if !errors.Is(err, frontier.ErrDone) {
		e.t.Fatalf("Next = (%q, %v), want ErrDone", l.Item.URL, err)
	}
}

// blocks checks that Next leases nothing for blockFor. In a bubble it
// advances the fake clock by blockFor.
func (e *env) blocks(f frontier.Frontier) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), blockFor)
	defer cancel()
	l, err := f.Next(ctx)
	if err == nil {
		e.t.Fatalf("Next leased %q, want it to block", l.Item.URL)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		e.t.Fatalf("Next: %v, want it to block until its ctx ends", err)
	}
}

// drain leases and completes items one at a time until ErrDone and returns
// the leased URLs in order.
func (e *env) drain(f frontier.Frontier) []string {
	e.t.Helper()
	var urls []string
	for {
		l, err := f.Next(e.ctx())
		if errors.Is(err, frontier.ErrDone) {
			return urls
		}
		if err != nil {
			e.t.Fatalf("Next: %v", err)
		}
		urls = append(urls, l.Item.URL)
		e.complete(f, l)
	}
}

type result struct {
	l   frontier.Lease
	err error
}

// nextAsync calls Next with ctx in a new goroutine.
func (e *env) nextAsync(ctx context.Context, f frontier.Frontier) <-chan result {
	ch := make(chan result, 1)
	go func() {
		l, err := f.Next(ctx)
		ch <- result{l, err}
	}()
	return ch
}

// waiting checks that the Next behind ch is still blocked. On the real
// clock it first gives the goroutine blockFor to get there.
func (e *env) waiting(f frontier.Frontier, ch <-chan result) {
	e.t.Helper()
	if e.exact {
		synctest.Wait()
	} else {
		e.blocks(f)
	}
	select {
	case r := <-ch:
		e.t.Fatalf("Next returned (%q, %v), want it to block", r.l.Item.URL, r.err)
	default:
	}
}

// settle lets every goroutine of the bubble block; a no-op on the real
// clock.
func (e *env) settle() {
	if e.exact {
		synctest.Wait()
	}
}

// atLeast checks that got, an elapsed time, is at least want (exactly want
// in a bubble).
func (e *env) atLeast(what string, got, want time.Duration) {
	e.t.Helper()
	switch {
	case e.exact && got != want:
		e.t.Errorf("%s after %v, want exactly %v", what, got, want)
	case !e.exact && got < want-e.resolution:
		e.t.Errorf("%s after %v, want at least %v", what, got, want)
	}
}

// immediate checks, in a bubble only, that no time passed.
func (e *env) immediate(what string, got time.Duration) {
	e.t.Helper()
	if e.exact && got != 0 {
		e.t.Errorf("%s after %v, want no wait", what, got)
	}
}

// item returns a fresh item of host at depth.
func item(host, path string, depth int) frontier.Item {
	return frontier.Item{URL: "http://" + host + "/" + path, Host: host, Depth: depth}
}

// urlsOf returns the leases' URLs in order.
func urlsOf(ls []frontier.Lease) []string {
	urls := make([]string, len(ls))
	for i, l := range ls {
		urls[i] = l.Item.URL
	}
	return urls
}
