package disk

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// finishGeneration drains d, annotating every completion with note and the
// URL, and checkpointing "done".
func finishGeneration(t *testing.T, d *Disk, note string, children map[string][]frontier.Item) {
	t.Helper()
	for {
		l, err := d.Next(ctxT(t))
		if errors.Is(err, frontier.ErrDone) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		dn := Done{Lease: l, Children: children[l.Item.URL], Annotation: []byte(note + " " + l.Item.URL)}
		if _, err := d.CompleteBatch(ctxT(t), []Done{dn}, []byte("done")); err != nil {
			t.Fatalf("CompleteBatch: %v", err)
		}
	}
	if !d.Finished() {
		t.Fatalf("Finished() after the drain = false")
	}
}

func annotations(t *testing.T, d *Disk) map[string]string {
	t.Helper()
	m := make(map[string]string)
	err := d.Annotations(ctxT(t), func(k string, v []byte) error {
		m[k] = string(v)
		return nil
	})
	if err != nil {
		t.Fatalf("Annotations: %v", err)
	}
	return m
}

// TestGenerations follows a state through two generations and reopens:
// the generation, the annotations, the queue, the counters and the
// checkpoint survive every reopen; NextGeneration forgets the seen-set, in
// the store too, and the scheduler it rebuilds is the one Open would.
func TestGenerations(t *testing.T) {
	dir := t.TempDir()
	p := frontier.Policy{MaxInflight: 2}
	seeds := []frontier.Item{item("a.test", "1", 0), item("b.test", "1", 0)}
	kids := map[string][]frontier.Item{
		seeds[0].URL: {item("a.test", "2", 1), item("c.test", "1", 1)},
		seeds[1].URL: {item("c.test", "1", 1), item("b.test", "2", 1)},
	}
	d := open(t, dir, p, Options{})
	if g := d.Generation(); g != 1 {
		t.Errorf("Generation() of a new state = %d, want 1", g)
	}
	if err := d.SetHostDelay(ctxT(t), "slow.test", time.Hour); err != nil {
		t.Fatalf("SetHostDelay: %v", err)
	}
	add(t, d, seeds...)
	finishGeneration(t, d, "g1", kids)
	closeDisk(t, d)

	for gen := 2; gen <= 3; gen++ {
		d = open(t, dir, p, Options{})
		if !d.Finished() || d.Generation() != gen-1 {
			t.Fatalf("reopened generation %d: Finished() = %v, Generation() = %d", gen-1, d.Finished(), d.Generation())
		}
		cp := []byte("start")
		if gen == 3 {
			cp = nil
		}
		if err := d.NextGeneration(ctxT(t), append(seeds, seeds[0]), cp); err != nil {
			t.Fatalf("NextGeneration: %v", err)
		}
		checkScheduler(t, d)
		closeDisk(t, d)

		d = open(t, dir, p, Options{})
		checkScheduler(t, d)
		if g := d.Generation(); g != gen {
			t.Errorf("Generation() after reopen = %d, want %d", g, gen)
		}
		if d.Finished() {
			t.Errorf("Finished() of a started generation = true")
		}
		if got, want := stats(t, d), (frontier.Stats{Queued: 2, Seen: 2}); got != want {
			t.Errorf("generation %d: Stats after reopen = %+v, want %+v", gen, got, want)
		}
		if got := d.Checkpoint(); !bytes.Equal(got, cp) || (got == nil) != (cp == nil) {
			t.Errorf("generation %d: Checkpoint() after reopen = %q, want %q", gen, got, cp)
		}
		c := d.contents(t)
		if got, want := slices.Sorted(maps.Keys(c.seen)), urls(seeds); !slices.Equal(got, want) {
			t.Errorf("generation %d: seen keys in the store = %q, want only the seeds %q", gen, got, want)
		}
		if got, want := urls(c.queued), urls(seeds); !slices.Equal(got, want) {
			t.Errorf("generation %d: queued = %q, want %q", gen, got, want)
		}
		if _, _, delays := d.s.Sizes(); delays != 1 {
			t.Errorf("generation %d: %d delay overrides, want the one set in generation 1", gen, delays)
		}
		// Every URL of the last generation keeps its annotation.
		notes := annotations(t, d)
		if len(notes) != 5 {
			t.Errorf("generation %d: annotations = %q, want 5", gen, notes)
		}
		for k, v := range notes {
			if want := "g" + string(rune('0'+gen-1)) + " " + k; v != want {
				t.Errorf("generation %d: annotation of %s = %q, want %q", gen, k, v, want)
			}
		}
		finishGeneration(t, d, "g"+string(rune('0'+gen)), kids)
		if got, want := stats(t, d), (frontier.Stats{Seen: 5, Done: 5}); got != want {
			t.Errorf("generation %d: Stats at its end = %+v, want %+v", gen, got, want)
		}
		closeDisk(t, d)
	}
}

// TestNextGenerationLikeFresh: after NextGeneration, a frontier leases the
// seeds and their links in the order a fresh frontier given the same Adds
// does, and the old generation's lease IDs are stale.
func TestNextGenerationLikeFresh(t *testing.T) {
	p := frontier.Policy{MaxInflight: 2}
	seeds := []frontier.Item{item("a.test", "1", 0), item("a.test", "2", 0), item("b.test", "1", 1), item("c.test", "1", 0)}
	kids := map[string][]frontier.Item{
		seeds[0].URL: {item("b.test", "2", 1), item("a.test", "3", 1), item("d.test", "1", 1)},
		seeds[3].URL: {item("a.test", "4", 1), item("d.test", "2", 1)},
	}
	var fresh *Disk // leases of the fresh state are not counted
	ids := make(map[uint64]bool)
	crawl := func(d *Disk) []string {
		var got []string
		for {
			l, err := d.Next(ctxT(t))
			if errors.Is(err, frontier.ErrDone) {
				return got
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if d != fresh {
				if ids[l.ID] {
					t.Errorf("lease ID %d handed out twice", l.ID)
				}
				ids[l.ID] = true
			}
			got = append(got, l.Item.URL)
			complete(t, d, l, kids[l.Item.URL]...)
			checkScheduler(t, d)
		}
	}
	fresh = open(t, t.TempDir(), p, Options{NoSync: true})
	defer closeDisk(t, fresh)
	add(t, fresh, seeds...)
	want := crawl(fresh)

	d := open(t, t.TempDir(), p, Options{NoSync: true})
	defer closeDisk(t, d)
	add(t, d, seeds...)
	last := next(t, d)
	complete(t, d, last, kids[last.Item.URL]...)
	crawl(d)
	if err := d.NextGeneration(ctxT(t), seeds, nil); err != nil {
		t.Fatalf("NextGeneration: %v", err)
	}
	checkScheduler(t, d)
	if got, want := stats(t, d), stats(t, newFresh(t, p, seeds)); got != want {
		t.Errorf("Stats after NextGeneration = %+v, want those of a fresh state %+v", got, want)
	}
	if _, err := d.Complete(ctxT(t), last, nil); !errors.Is(err, frontier.ErrStaleLease) {
		t.Errorf("Complete of a lease of the last generation: %v, want ErrStaleLease", err)
	}
	if got := crawl(d); !slices.Equal(got, want) {
		t.Errorf("generation 2 leased %q, want %q as a fresh state", got, want)
	}
}

func newFresh(t *testing.T, p frontier.Policy, items []frontier.Item) *Disk {
	t.Helper()
	d := open(t, t.TempDir(), p, Options{NoSync: true})
	t.Cleanup(func() { closeDisk(t, d) })
	add(t, d, items...)
	return d
}

// TestAnnotationSize: CompleteBatch stores an annotation of MaxAnnotation
// bytes and refuses a bigger one, changing nothing, and the refusal does
// not stick.
func TestAnnotationSize(t *testing.T) {
	tests := []struct {
		name string
		size int
		want error
	}{
		{"empty", 0, nil},
		{"the largest", MaxAnnotation, nil},
		{"one byte too many", MaxAnnotation + 1, ErrAnnotationTooLarge},
	}
	d := open(t, t.TempDir(), frontier.Policy{}, Options{NoSync: true})
	defer closeDisk(t, d)
	for _, tt := range tests {
		it := item("a.test", strings.ReplaceAll(tt.name, " ", "-"), 0)
		add(t, d, it)
		l := next(t, d)
		note := bytes.Repeat([]byte{'x'}, tt.size)
		_, err := d.CompleteBatch(ctxT(t), []Done{{Lease: l, Annotation: note}}, []byte(tt.name))
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("CompleteBatch with a %s annotation (%d bytes): %v, want %v", tt.name, tt.size, err, tt.want)
		}
		got, gerr := d.Annotation(ctxT(t), it.URL)
		if gerr != nil {
			t.Fatalf("Annotation: %v", gerr)
		}
		if tt.want != nil {
			if got != nil || d.Checkpoint() == nil || string(d.Checkpoint()) == tt.name {
				t.Errorf("a refused batch stored annotation %d bytes, checkpoint %q", len(got), d.Checkpoint())
			}
			complete(t, d, l) // still held, and the Disk still works
			continue
		}
		if !bytes.Equal(got, note) || got == nil {
			t.Errorf("Annotation after a %s one = %d bytes (nil %v), want %d", tt.name, len(got), got == nil, tt.size)
		}
	}
}

// TestGenerationMeta: a state without the generation key (written before
// generations existed) is in generation 1; a damaged one is refused.
func TestGenerationMeta(t *testing.T) {
	tests := []struct {
		name    string
		rewrite func(b *pebble.Batch) error
		want    int
		err     error
	}{
		{"no generation key", func(b *pebble.Batch) error { return b.Delete(keyGeneration, nil) }, 1, nil},
		{"generation 7", func(b *pebble.Batch) error { return b.Set(keyGeneration, []byte{7}, nil) }, 7, nil},
		{"generation 0", func(b *pebble.Batch) error { return b.Set(keyGeneration, []byte{0}, nil) }, 0, ErrCorrupt},
		{"truncated varint", func(b *pebble.Batch) error { return b.Set(keyGeneration, []byte{0x80}, nil) }, 0, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newState(t, Options{})
			rewrite(t, dir, tt.rewrite)
			d, err := Open(dir, frontier.Policy{}, Options{})
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("Open: %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			defer closeDisk(t, d)
			if g := d.Generation(); g != tt.want {
				t.Errorf("Generation() = %d, want %d", g, tt.want)
			}
		})
	}
}

// TestAnnotationsContext: Annotations stops with ctx's error, and Close
// waits for it.
func TestAnnotationsContext(t *testing.T) {
	d := open(t, t.TempDir(), frontier.Policy{MaxInflight: 3000}, Options{NoSync: true})
	var items []frontier.Item
	for i := range 3000 {
		items = append(items, item("a.test", strings.Repeat("x", i%7)+string(rune('a'+i%26))+"-"+time.Duration(i).String(), 0))
	}
	add(t, d, items...)
	var done []Done
	for range items {
		done = append(done, Done{Lease: next(t, d), Annotation: []byte("v")})
	}
	if _, err := d.CompleteBatch(ctxT(t), done, nil); err != nil {
		t.Fatalf("CompleteBatch: %v", err)
	}
	if got := len(annotations(t, d)); got != len(items) {
		t.Errorf("Annotations listed %d keys, want %d", got, len(items))
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	n := 0
	err := d.Annotations(ctx, func(string, []byte) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, ctx.Err()) || ctx.Err() == nil || n >= len(items) {
		t.Errorf("Annotations after its ctx ended: %v after %d keys, want the ctx's error before the end", err, n)
	}
	closeDisk(t, d)
	if err := d.Annotations(ctxT(t), func(string, []byte) error { return nil }); !errors.Is(err, frontier.ErrClosed) {
		t.Errorf("Annotations after Close: %v, want ErrClosed", err)
	}
	if _, err := d.Annotation(ctxT(t), "k"); !errors.Is(err, frontier.ErrClosed) {
		t.Errorf("Annotation after Close: %v, want ErrClosed", err)
	}
	if err := d.NextGeneration(ctxT(t), nil, nil); !errors.Is(err, frontier.ErrClosed) {
		t.Errorf("NextGeneration after Close: %v, want ErrClosed", err)
	}
}
