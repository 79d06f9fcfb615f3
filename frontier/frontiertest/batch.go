package frontiertest

import (
	"errors"
	"slices"
	"strings"

	"github.com/crawl-dev/crawl/frontier"
)

// The Batcher tests run when Options.Batcher is set. They cannot reopen a
// frontier (Open always opens a fresh, empty one), so that the checkpoint
// survives a reopen is left to the backend's own tests.

func batchTests() []testCase {
	return []testCase{
		{"BatchCompletes", testBatchCompletes},
		{"BatchCheckpoint", testBatchCheckpoint},
		{"BatchStaleLease", testBatchStaleLease},
	}
}

// batcher returns f as a frontier.Batcher.
func (e *env) batcher(f frontier.Frontier) frontier.Batcher {
	e.t.Helper()
	b, ok := f.(frontier.Batcher)
	if !ok {
		e.t.Fatalf("%T is not a frontier.Batcher (see the Interfaces test)", f)
	}
	return b
}

func (e *env) completeBatch(b frontier.Batcher, done []frontier.Done, checkpoint string) int {
	e.t.Helper()
	n, err := b.CompleteBatch(e.ctx(), done, []byte(checkpoint))
	if err != nil {
		e.t.Fatalf("CompleteBatch(checkpoint %q): %v", checkpoint, err)
	}
	return n
}

// wantCheckpoint checks Checkpoint; want nil means none.
func (e *env) wantCheckpoint(b frontier.Batcher, when string, want []byte) {
	e.t.Helper()
	got := b.Checkpoint()
	if (got == nil) != (want == nil) || string(got) != string(want) {
		e.t.Errorf("Checkpoint() %s = %q (nil %v), want %q (nil %v)", when, got, got == nil, want, want == nil)
	}
}

// testBatchCompletes: CompleteBatch ends every lease and adds the children,
// deduplicated against the seen-set and within the batch, in one step: a
// Next waiting for the last leases gets a child, not ErrDone.
func testBatchCompletes(e *env) {
	f := e.newFrontier(frontier.Policy{})
	b := e.batcher(f)
	a1, b1 := item("a.test", "1", 0), item("b.test", "1", 0)
	e.add(f, a1, b1)
	ls := e.nextN(f, 2)
	ch := e.nextAsync(e.ctx(), f)
	e.waiting(f, ch)

	c1, d1, e1 := item("c.test", "1", 1), item("d.test", "1", 1), item("e.test", "1", 1)
	c1.Parent, d1.Parent, e1.Parent = a1.URL, a1.URL, b1.URL
	done := []frontier.Done{
		{Lease: ls[0], Children: []frontier.Item{c1, a1, d1, c1}},
		{Lease: ls[1], Children: []frontier.Item{c1, e1, b1}},
	}
	if n := e.completeBatch(b, done, "cp-1"); n != 3 {
		e.t.Errorf("CompleteBatch added %d children, want 3", n)
	}
	r := <-ch
	if r.err != nil {
		e.t.Fatalf("Next waiting for the batch: %v, want a child", r.err)
	}
	e.wantStats(f, "right after CompleteBatch and one lease", frontier.Stats{Queued: 2, Inflight: 1, Seen: 5, Done: 2})
	e.wantCheckpoint(b, "after CompleteBatch", []byte("cp-1"))

	got := []frontier.Item{r.l.Item}
	e.complete(f, r.l)
	for range 2 {
		l := e.next(f)
		got = append(got, l.Item)
		e.complete(f, l)
	}
	slices.SortFunc(got, func(x, y frontier.Item) int { return strings.Compare(x.URL, y.URL) })
	if want := []frontier.Item{c1, d1, e1}; !slices.Equal(got, want) {
		e.t.Errorf("children leased = %+v, want %+v", got, want)
	}
	e.done(f)
	e.wantStats(f, "at the end", frontier.Stats{Seen: 5, Done: 5})
}

// testBatchCheckpoint: Checkpoint is nil until a batch commits one, then
// the last one committed; a batch with no completions stores its
// checkpoint alone.
func testBatchCheckpoint(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 2})
	b := e.batcher(f)
	e.wantCheckpoint(b, "of a new frontier", nil)
	e.add(f, item("a.test", "1", 0), item("a.test", "2", 0), item("a.test", "3", 0))
	ls := e.nextN(f, 2)
	e.wantCheckpoint(b, "after Add and Next", nil)
	e.complete(f, ls[0])
	e.wantCheckpoint(b, "after a plain Complete", nil)

	e.completeBatch(b, []frontier.Done{{Lease: ls[1]}}, "offset=10")
	e.wantCheckpoint(b, "after the first batch", []byte("offset=10"))
	l := e.next(f)
	e.completeBatch(b, []frontier.Done{{Lease: l}}, "offset=25")
	e.wantCheckpoint(b, "after the second batch", []byte("offset=25"))
	e.completeBatch(b, nil, "offset=40")
	e.wantCheckpoint(b, "after a batch with no completions", []byte("offset=40"))
	e.wantStats(f, "after a batch with no completions", frontier.Stats{Seen: 3, Done: 3})
	e.done(f)
}

// testBatchStaleLease: a batch with one lease no longer held fails whole
// with ErrStaleLease: no lease ends, no child is added, the checkpoint
// stays.
func testBatchStaleLease(e *env) {
	tests := []struct {
		name string
		// spoil ends the second lease of the batch before the batch.
		spoil func(f frontier.Frontier, l frontier.Lease)
		// twice puts the first lease in the batch twice instead.
		twice bool
	}{
		{"completed lease", func(f frontier.Frontier, l frontier.Lease) { e.complete(f, l) }, false},
		{"retried lease", func(f frontier.Frontier, l frontier.Lease) { e.retry(f, l, 0) }, false},
		{"one lease twice", nil, true},
	}
	// No subtests: a synctest bubble does not allow t.Run.
	for _, tt := range tests {
		f := e.newFrontier(frontier.Policy{})
		b := e.batcher(f)
		e.add(f, item("a.test", "1", 0), item("b.test", "1", 0), item("z.test", "1", 0))
		ls := e.nextN(f, 3) // a, b, z
		e.completeBatch(b, []frontier.Done{{Lease: ls[2]}}, "before")
		held, stale := ls[0], ls[1]
		if tt.spoil != nil {
			tt.spoil(f, stale)
		}
		if tt.twice {
			stale = held
		}
		before := e.stats(f)
		c1 := item("c.test", "1", 1)
		done := []frontier.Done{
			{Lease: held, Children: []frontier.Item{c1}},
			{Lease: stale, Children: []frontier.Item{item("d.test", "1", 1)}},
		}
		if _, err := b.CompleteBatch(e.ctx(), done, []byte("after")); !errors.Is(err, frontier.ErrStaleLease) {
			e.t.Errorf("%s: CompleteBatch: %v, want ErrStaleLease", tt.name, err)
		}
		e.wantStats(f, tt.name+", after the failed batch", before)
		e.wantCheckpoint(b, tt.name+", after the failed batch", []byte("before"))
		// The held lease is still held, and its child was never added.
		if n := e.complete(f, held, c1); n != 1 {
			e.t.Errorf("%s: Complete of the held lease added %d children, want 1 (the failed batch must not add them)", tt.name, n)
		}
	}
}
