package redis

import (
	"fmt"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// TestDelete: Delete removes every key of one crawl and none of another.
func TestDelete(t *testing.T) {
	c := testClient(t)
	ctx := ctxT(t, 10*time.Second)
	gone, kept := newCrawlID(t, c), newCrawlID(t, c)
	fill := func(id string) *Frontier {
		f := openTest(t, c, id, frontier.Policy{MaxInflight: 2}, Options{})
		var items []frontier.Item
		for i := range 300 {
			items = append(items, item(fmt.Sprintf("h%d.test", i%7), fmt.Sprint(i), i%3))
		}
		if _, err := f.Add(ctx, items...); err != nil {
			t.Fatalf("Add: %v", err)
		}
		l, err := f.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if _, err := f.Complete(ctx, l, nil); err != nil {
			t.Fatalf("Complete: %v", err)
		}
		if _, err := f.Next(ctx); err != nil { // one lease left held
			t.Fatalf("Next: %v", err)
		}
		if err := f.SetHostDelay(ctx, "h1.test", time.Second); err != nil {
			t.Fatalf("SetHostDelay: %v", err)
		}
		return f
	}
	fill(gone)
	k := fill(kept)
	before := len(crawlKeys(t, c, kept))
	if n := len(crawlKeys(t, c, gone)); n < 20 {
		t.Fatalf("crawl has %d keys before Delete, want many", n)
	}
	if err := Delete(ctx, c, gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if ks := crawlKeys(t, c, gone); len(ks) != 0 {
		t.Errorf("keys left after Delete: %q", ks)
	}
	if n := len(crawlKeys(t, c, kept)); n != before {
		t.Errorf("other crawl has %d keys after Delete, want %d", n, before)
	}
	st, err := k.Stats(ctx)
	if want := (frontier.Stats{Queued: 298, Inflight: 1, Seen: 300, Done: 1}); err != nil || st != want {
		t.Errorf("other crawl's Stats = %+v, %v; want %+v", st, err, want)
	}
}

// TestOpen checks the crawl ids and policies Open refuses.
func TestOpen(t *testing.T) {
	c := testClient(t)
	id := newCrawlID(t, c)
	openTest(t, c, id, frontier.Policy{MaxInflight: 2, Delay: time.Second}, Options{})
	tests := []struct {
		name   string
		id     string
		p      frontier.Policy
		opts   Options
		wantOK bool
	}{
		{"same policy", id, frontier.Policy{MaxInflight: 2, Delay: time.Second}, Options{}, true},
		{"other MaxInflight", id, frontier.Policy{MaxInflight: 3, Delay: time.Second}, Options{}, false},
		{"other Delay", id, frontier.Policy{MaxInflight: 2}, Options{}, false},
		{"empty id", "", frontier.Policy{}, Options{}, false},
		{"hash tag in id", "a}b", frontier.Policy{}, Options{}, false},
		{"glob in id", "a*", frontier.Policy{}, Options{}, false},
		{"bucket bits too small", id, frontier.Policy{MaxInflight: 2, Delay: time.Second}, Options{SeenBucketBits: 4}, false},
	}
	for _, tt := range tests {
		f, err := Open(t.Context(), c, tt.id, tt.p, tt.opts)
		if (err == nil) != tt.wantOK {
			t.Errorf("Open(%s) error = %v, want ok %v", tt.name, err, tt.wantOK)
		}
		if f != nil {
			if err := f.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	}
}

// TestDepthOutOfRange: items the scripts cannot score are refused whole.
func TestDepthOutOfRange(t *testing.T) {
	c := testClient(t)
	f := openTest(t, c, newCrawlID(t, c), frontier.Policy{}, Options{})
	for _, d := range []int{-1, MaxDepth + 1} {
		if n, err := f.Add(t.Context(), item("a.test", "ok", 0), item("a.test", "x", d)); err == nil || n != 0 {
			t.Errorf("Add(depth %d) = %d, %v; want 0 and an error", d, n, err)
		}
	}
	if st, err := f.Stats(t.Context()); err != nil || st != (frontier.Stats{}) {
		t.Errorf("Stats = %+v, %v; want zero", st, err)
	}
}
