package frontier

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

// model is a plain reference frontier without time: each host's queue is a
// slice kept in lease order. Like Memory it looks one level ahead: held are
// the children of pages completed ahead of the level, by the pages' depth.
type model struct {
	max      int
	seen     map[string]bool
	queues   map[string][]Item
	inflight map[string]int
	pending  map[int]int
	held     map[int][]Item
	done     int
}

// level is the smallest depth with queued or leased items; ok is false
// when there is none.
func (md *model) level() (level int, ok bool) {
	for d, n := range md.pending {
		if n > 0 && (!ok || d < level) {
			level, ok = d, true
		}
	}
	return level, ok
}

// ahead reports whether items shallower than depth are pending.
func (md *model) ahead(depth int) bool {
	level, ok := md.level()
	return ok && depth > level
}

// hold keeps children of a page of depth completed ahead of the level.
func (md *model) hold(depth int, children []Item) {
	for _, c := range children {
		dup := md.seen[c.DedupKey()]
		for _, h := range md.held[depth] {
			dup = dup || h.DedupKey() == c.DedupKey()
		}
		if !dup {
			md.held[depth] = append(md.held[depth], c)
		}
	}
}

// release queues the held children of the depths no longer ahead,
// shallowest first.
func (md *model) release() {
	for len(md.held) > 0 {
		d := slices.Min(slices.Collect(maps.Keys(md.held)))
		if md.ahead(d) {
			return
		}
		for _, c := range md.held[d] {
			md.add(c)
		}
		delete(md.held, d)
	}
}

func (md *model) add(it Item) bool {
	if md.seen[it.DedupKey()] {
		return false
	}
	md.seen[it.DedupKey()] = true
	q := md.queues[it.Host]
	i := len(q)
	for i > 0 && q[i-1].Depth > it.Depth {
		i--
	}
	md.queues[it.Host] = slices.Insert(q, i, it)
	md.pending[it.Depth]++
	return true
}

func (md *model) retry(it Item) {
	q := md.queues[it.Host]
	i := 0
	for i < len(q) && q[i].Depth < it.Depth {
		i++
	}
	md.queues[it.Host] = slices.Insert(q, i, it)
	md.inflight[it.Host]--
}

// leasable returns the hosts whose head may be leased now: at the level,
// or at the depth after it once nothing of the level is queued.
func (md *model) leasable() map[string]bool {
	level, _ := md.level()
	open := level + 1
	for _, q := range md.queues {
		if len(q) > 0 && q[0].Depth == level {
			open = level
		}
	}
	hosts := make(map[string]bool)
	for h, q := range md.queues {
		if len(q) > 0 && md.inflight[h] < md.max && q[0].Depth <= open {
			hosts[h] = true
		}
	}
	return hosts
}

func (md *model) stats() Stats {
	s := Stats{Seen: len(md.seen), Done: md.done}
	for _, q := range md.queues {
		s.Queued += len(q)
	}
	for _, n := range md.inflight {
		s.Inflight += n
	}
	return s
}

// FuzzMemory drives a Memory and the model with the same operations and
// compares them after each one: what may be leased, which item comes out,
// the counters, stale leases and the internal invariants.
func FuzzMemory(f *testing.F) {
	f.Add([]byte{1, 0, 1, 0, 2, 0, 9, 1, 1, 2, 0, 1, 3, 0, 1, 1, 1, 2, 1, 1})
	f.Add([]byte{2, 0, 5, 0, 3, 0, 7, 0, 17, 1, 1, 1, 1, 3, 0, 1, 2, 1, 3, 1, 4, 0})
	f.Add([]byte{0, 0, 200, 0, 100, 0, 50, 1, 1, 1, 2, 0, 2, 1, 4, 1, 0, 3, 0, 1, 1, 2, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := t.Context()
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}
		md := &model{
			max: 1 + next()%3, seen: map[string]bool{}, queues: map[string][]Item{},
			inflight: map[string]int{}, pending: map[int]int{}, held: map[int][]Item{},
		}
		m := NewMemory(Policy{MaxInflight: md.max})
		newItem := func(depth int) Item {
			b := next()
			return Item{URL: fmt.Sprintf("u%d", b%24), Host: fmt.Sprintf("h%d", b%4), Depth: depth}
		}
		var held, ended []Lease
		for step := 0; len(data) > 0 && step < 500; step++ {
			switch next() % 5 {
			case 0: // Add
				it := newItem(next()%4 - 1)
				want := 0
				if md.add(it) {
					want = 1
				}
				if n, err := m.Add(ctx, it); n != want || err != nil {
					t.Fatalf("step %d: Add(%+v) = %d, %v; want %d", step, it, n, err, want)
				}
			case 1: // lease without blocking
				m.mu.Lock()
				l, _, ok := m.lease(time.Now())
				m.mu.Unlock()
				can := md.leasable()
				if !ok {
					if len(can) > 0 {
						t.Fatalf("step %d: nothing leased, want one of %v", step, can)
					}
					continue
				}
				h := l.Item.Host
				if !can[h] {
					t.Fatalf("step %d: leased %+v, want a host of %v", step, l.Item, can)
				}
				if want := md.queues[h][0]; l.Item != want {
					t.Fatalf("step %d: leased %+v, want %+v", step, l.Item, want)
				}
				md.queues[h] = md.queues[h][1:]
				md.inflight[h]++
				held = append(held, l)
			case 2, 3: // Complete or Retry a held lease
				if len(held) == 0 {
					continue
				}
				i := next() % len(held)
				l := held[i]
				held = slices.Delete(held, i, i+1)
				ended = append(ended, l)
				if next()%2 == 0 {
					l.Item.Attempts++
					if err := m.Retry(ctx, l, 0); err != nil {
						t.Fatalf("step %d: Retry: %v", step, err)
					}
					md.retry(l.Item)
					continue
				}
				var children []Item
				for range next() % 4 {
					children = append(children, newItem(l.Item.Depth+next()%2))
				}
				want := 0
				if md.ahead(l.Item.Depth) {
					md.hold(l.Item.Depth, children)
				} else {
					for _, c := range children {
						if md.add(c) {
							want++
						}
					}
				}
				if n, err := m.Complete(ctx, l, children); n != want || err != nil {
					t.Fatalf("step %d: Complete = %d, %v; want %d", step, n, err, want)
				}
				md.inflight[l.Item.Host]--
				md.pending[l.Item.Depth]--
				md.done++
				md.release()
			case 4: // a stale lease changes nothing
				if len(ended) == 0 {
					continue
				}
				l := ended[next()%len(ended)]
				if _, err := m.Complete(ctx, l, []Item{newItem(0)}); !errors.Is(err, ErrStaleLease) {
					t.Fatalf("step %d: stale Complete: %v, want ErrStaleLease", step, err)
				}
				if err := m.Retry(ctx, l, 0); !errors.Is(err, ErrStaleLease) {
					t.Fatalf("step %d: stale Retry: %v, want ErrStaleLease", step, err)
				}
			}
			if err := m.check(); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			if got, err := m.Stats(ctx); got != md.stats() || err != nil {
				t.Fatalf("step %d: Stats = %+v, %v; want %+v", step, got, err, md.stats())
			}
		}
	})
}
