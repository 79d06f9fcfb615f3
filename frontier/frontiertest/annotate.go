package frontiertest

import (
	"errors"
	"slices"

	"github.com/crawl-dev/crawl/frontier"
)

// The Annotator tests run when Options.Annotator is set. An Annotator is a
// Batcher too: annotations are written by CompleteBatch.

func annotatorTests() []testCase {
	return []testCase{
		{"AnnotationRoundTrip", testAnnotationRoundTrip},
		{"Annotations", testAnnotations},
		{"NextGenerationNotFinished", testNextGenerationNotFinished},
		{"NextGeneration", testNextGeneration},
	}
}

// annotator returns f as a frontier.Annotator and a frontier.Batcher.
func (e *env) annotator(f frontier.Frontier) (frontier.Annotator, frontier.Batcher) {
	e.t.Helper()
	a, ok := f.(frontier.Annotator)
	if !ok {
		e.t.Fatalf("%T is not a frontier.Annotator (see the Interfaces test)", f)
	}
	return a, e.batcher(f)
}

// wantAnnotation checks Annotation(key); want nil means none.
func (e *env) wantAnnotation(a frontier.Annotator, when, key string, want []byte) {
	e.t.Helper()
	got, err := a.Annotation(e.ctx(), key)
	if err != nil {
		e.t.Fatalf("Annotation(%q) %s: %v", key, when, err)
	}
	if (got == nil) != (want == nil) || string(got) != string(want) {
		e.t.Errorf("Annotation(%q) %s = %q (nil %v), want %q (nil %v)", key, when, got, got == nil, want, want == nil)
	}
}

// annotate leases every queued item and completes them in one batch, the
// item with URL u annotated with notes[u] (no annotation when absent).
func (e *env) annotate(f frontier.Frontier, b frontier.Batcher, n int, notes map[string][]byte) {
	e.t.Helper()
	var done []frontier.Done
	for _, l := range e.nextN(f, n) {
		done = append(done, frontier.Done{Lease: l, Annotation: notes[l.Item.URL]})
	}
	e.completeBatch(b, done, "")
}

// testAnnotationRoundTrip: CompleteBatch stores each annotation under the
// lease item's dedup key; nil leaves the stored one, empty stores an empty
// one, a later batch replaces it; Annotation returns a copy.
func testAnnotationRoundTrip(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a, b := e.annotator(f)
	x1, x2, x3 := item("a.test", "1", 0), item("a.test", "2", 0), item("a.test", "3", 0)
	x3.Key = "key-3"
	e.add(f, x1, x2, x3)
	e.wantAnnotation(a, "before any batch", x1.URL, nil)
	e.annotate(f, b, 2, map[string][]byte{x1.URL: []byte("etag=1"), x2.URL: {}})
	e.wantAnnotation(a, "after the batch", x1.URL, []byte("etag=1"))
	e.wantAnnotation(a, "of an empty annotation", x2.URL, []byte{})

	// A plain Complete has no annotation: the stored one stays.
	l := e.next(f)
	e.complete(f, l)
	e.wantAnnotation(a, "of an item completed without one", x3.DedupKey(), nil)
	e.wantAnnotation(a, "of an unknown key", "http://a.test/none", nil)

	got, err := a.Annotation(e.ctx(), x1.URL)
	if err != nil {
		e.t.Fatalf("Annotation: %v", err)
	}
	got[0] = 'X'
	e.wantAnnotation(a, "after its copy was changed", x1.URL, []byte("etag=1"))
	e.done(f)
}

// testAnnotations: Annotations lists every stored key in key order,
// including annotations of another generation, and stops at fn's first
// error, which it returns.
func testAnnotations(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a, b := e.annotator(f)
	x1, x2, x3 := item("a.test", "c", 0), item("a.test", "a", 0), item("a.test", "b", 0)
	e.add(f, x1, x2, x3)
	e.annotate(f, b, 3, map[string][]byte{x1.URL: []byte("1"), x2.URL: []byte("2"), x3.URL: {}})

	type kv struct{ k, v string }
	var got []kv
	err := a.Annotations(e.ctx(), func(k string, v []byte) error {
		got = append(got, kv{k, string(v)})
		return nil
	})
	want := []kv{{x2.URL, "2"}, {x3.URL, ""}, {x1.URL, "1"}}
	if err != nil || !slices.Equal(got, want) {
		e.t.Errorf("Annotations = %v, %v; want %v, nil", got, err, want)
	}

	stop := errors.New("stop here")
	got = got[:0]
	err = a.Annotations(e.ctx(), func(k string, v []byte) error {
		got = append(got, kv{k, string(v)})
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !slices.Equal(got, want[:2]) {
		e.t.Errorf("Annotations stopped at the second key = %v, %v; want %v, %v", got, err, want[:2], stop)
	}
}

// testNextGenerationNotFinished: NextGeneration is refused, changing
// nothing, while an item is queued or leased.
func testNextGenerationNotFinished(e *env) {
	f := e.newFrontier(frontier.Policy{})
	a, b := e.annotator(f)
	x1 := item("a.test", "1", 0)
	e.add(f, x1)
	e.completeBatch(b, nil, "cp")
	for _, when := range []string{"with an item queued", "with an item leased"} {
		err := a.NextGeneration(e.ctx(), []frontier.Item{item("b.test", "1", 0)}, []byte("next"))
		if !errors.Is(err, frontier.ErrNotFinished) {
			e.t.Errorf("NextGeneration %s: %v, want ErrNotFinished", when, err)
		}
		if g := a.Generation(); g != 1 {
			e.t.Errorf("Generation() after NextGeneration %s failed = %d, want 1", when, g)
		}
		e.wantCheckpoint(b, "after NextGeneration "+when+" failed", []byte("cp"))
		if when == "with an item queued" {
			e.wantStats(f, "after NextGeneration "+when+" failed", frontier.Stats{Queued: 1, Seen: 1})
			e.next(f)
		}
	}
	e.wantStats(f, "after NextGeneration failed twice", frontier.Stats{Inflight: 1, Seen: 1})
}

// testNextGeneration: after a crawl finished, NextGeneration increments
// the generation, forgets the seen-set, the counters and the checkpoint,
// keeps the annotations and queues the seeds; the next generation crawls
// the same URLs again, breadth-first.
func testNextGeneration(e *env) {
	f := e.newFrontier(frontier.Policy{MaxInflight: 4})
	a, b := e.annotator(f)
	if g := a.Generation(); g != 1 {
		e.t.Errorf("Generation() of a new frontier = %d, want 1", g)
	}
	seed, child := item("a.test", "1", 0), item("b.test", "1", 1)
	e.add(f, seed)
	l := e.next(f)
	e.completeBatch(b, []frontier.Done{{Lease: l, Children: []frontier.Item{child}, Annotation: []byte("g1")}}, "cp-1")
	e.annotate(f, b, 1, map[string][]byte{child.URL: []byte("child g1")})
	e.done(f)

	tests := []struct {
		checkpoint []byte
		seeds      []frontier.Item
		wantQueued int
	}{
		{[]byte("start-2"), []frontier.Item{seed, seed}, 1},
		{nil, []frontier.Item{seed, item("c.test", "1", 0)}, 2},
	}
	for i, tt := range tests {
		gen := i + 2
		if err := a.NextGeneration(e.ctx(), tt.seeds, tt.checkpoint); err != nil {
			e.t.Fatalf("NextGeneration to generation %d: %v", gen, err)
		}
		if g := a.Generation(); g != gen {
			e.t.Errorf("Generation() after NextGeneration = %d, want %d", g, gen)
		}
		e.wantStats(f, "right after NextGeneration", frontier.Stats{Queued: tt.wantQueued, Seen: tt.wantQueued})
		e.wantCheckpoint(b, "right after NextGeneration", tt.checkpoint)
		e.wantAnnotation(a, "in the next generation", seed.URL, []byte("g1"))
		e.wantAnnotation(a, "in the next generation", child.URL, []byte("child g1"))

		// The seeds are seen again, and the children of the last
		// generation are new.
		if n := e.add(f, tt.seeds...); n != 0 {
			e.t.Errorf("generation %d: Add of the seeds again = %d, want 0", gen, n)
		}
		var leased []string
		for range tt.wantQueued {
			l := e.next(f)
			if l.Item.Depth != 0 {
				e.t.Errorf("generation %d: leased %q of depth %d before the seeds", gen, l.Item.URL, l.Item.Depth)
			}
			leased = append(leased, l.Item.URL)
			if n := e.complete(f, l, child); l.Item.URL == seed.URL && n != 1 {
				e.t.Errorf("generation %d: Complete of the seed added %d children, want 1 (the old seen-set is forgotten)", gen, n)
			}
		}
		if !slices.Contains(leased, seed.URL) {
			e.t.Errorf("generation %d leased %q, want the seed %q among them", gen, leased, seed.URL)
		}
		if got := e.drain(f); !slices.Equal(got, []string{child.URL}) {
			e.t.Errorf("generation %d then leased %q, want %q", gen, got, []string{child.URL})
		}
		e.wantStats(f, "at the end of the generation", frontier.Stats{Seen: tt.wantQueued + 1, Done: tt.wantQueued + 1})
	}
}
