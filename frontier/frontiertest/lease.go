package frontiertest

import (
	"context"
	"errors"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// testStaleLease: a lease ends once; a second Complete or Retry is stale
// and changes nothing.
func testStaleLease(e *env) {
	complete := func(f frontier.Frontier, l frontier.Lease) error {
		_, err := f.Complete(e.ctx(), l, []frontier.Item{item("c.test", "child", 1)})
		return err
	}
	retry := func(f frontier.Frontier, l frontier.Lease) error {
		return f.Retry(e.ctx(), l, 0)
	}
	type op = func(frontier.Frontier, frontier.Lease) error
	tests := []struct {
		name          string
		first, second op
		// after is the state once the stale call is refused.
		after frontier.Stats
	}{
		{"Complete twice", complete, complete, frontier.Stats{Seen: 2, Queued: 1, Done: 1}},
		{"Complete after Retry", retry, complete, frontier.Stats{Seen: 1, Queued: 1}},
		{"Retry after Complete", complete, retry, frontier.Stats{Seen: 2, Queued: 1, Done: 1}},
		{"Retry twice", retry, retry, frontier.Stats{Seen: 1, Queued: 1}},
	}
	// No subtests: a synctest bubble does not allow t.Run.
	for _, tt := range tests {
		f := e.newFrontier(frontier.Policy{})
		e.add(f, item("a.test", "1", 0))
		l := e.next(f)
		if err := tt.first(f, l); err != nil {
			e.t.Fatalf("%s: first call: %v", tt.name, err)
		}
		if err := tt.second(f, l); !errors.Is(err, frontier.ErrStaleLease) {
			e.t.Errorf("%s: second call: %v, want ErrStaleLease", tt.name, err)
		}
		e.wantStats(f, tt.name+", after the stale call", tt.after)
	}
}

// testNextContext: Next returns ctx's error when ctx is done before or
// while it waits, and leases nothing.
func testNextContext(e *env) {
	f := e.newFrontier(frontier.Policy{})
	a1, a2 := item("a.test", "1", 0), item("a.test", "2", 0)
	e.add(f, a1, a2)

	done, cancel := context.WithCancel(e.t.Context())
	cancel()
	if l, err := f.Next(done); !errors.Is(err, context.Canceled) {
		e.t.Fatalf("Next(done ctx) = (%q, %v), want context.Canceled", l.Item.URL, err)
	}
	e.wantStats(f, "after Next(done ctx)", frontier.Stats{Queued: 2, Seen: 2})

	l := e.next(f)
	e.blocks(f) // a deadline while waiting for the host

	ctx, cancel := context.WithCancel(e.t.Context())
	defer cancel()
	ch := e.nextAsync(ctx, f)
	e.settle()
	cancel()
	if r := <-ch; !errors.Is(r.err, context.Canceled) {
		e.t.Fatalf("Next canceled while waiting = (%q, %v), want context.Canceled", r.l.Item.URL, r.err)
	}

	e.complete(f, l)
	if l := e.next(f); l.Item.URL != a2.URL {
		e.t.Errorf("Next after the canceled calls = %q, want %q", l.Item.URL, a2.URL)
	}
}

// testClose: Close wakes a blocked Next, and every method then returns
// ErrClosed.
func testClose(e *env) {
	f := e.newFrontier(frontier.Policy{})
	e.add(f, item("a.test", "1", 0))
	l := e.next(f)
	ch := e.nextAsync(e.ctx(), f)
	e.waiting(f, ch)
	if err := f.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	if r := <-ch; !errors.Is(r.err, frontier.ErrClosed) {
		e.t.Errorf("blocked Next after Close = (%q, %v), want ErrClosed", r.l.Item.URL, r.err)
	}
	ctx := e.ctx()
	calls := []struct {
		name string
		call func() error
	}{
		{"Add", func() error { _, err := f.Add(ctx, item("b.test", "1", 0)); return err }},
		{"Next", func() error { _, err := f.Next(ctx); return err }},
		{"Complete", func() error { _, err := f.Complete(ctx, l, nil); return err }},
		{"Retry", func() error { return f.Retry(ctx, l, 0) }},
		{"SetHostDelay", func() error { return f.SetHostDelay(ctx, "a.test", time.Second) }},
		{"Stats", func() error { _, err := f.Stats(ctx); return err }},
		{"Close", f.Close},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, frontier.ErrClosed) {
			e.t.Errorf("%s after Close: %v, want ErrClosed", c.name, err)
		}
	}
}
