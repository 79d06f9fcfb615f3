package frontier

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// model is a plain reference frontier without time: each host's queue is a
// slice kept in lease order.
type model struct {
	max      int
	seen     map[string]bool
	queues   map[string][]Item
	inflight map[string]int
	pending  map[int]int
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

// add queues it if it is unseen, or with move (a Complete's child) moves
// its URL's queued item to it when that one is deeper, and reports whether
// it was unseen.
func (md *model) add(it Item, move bool) bool {
	k := it.DedupKey()
	if md.seen[k] && !move {
		return false
	}
	if md.seen[k] {
		q := md.queues[it.Host]
		i := slices.IndexFunc(q, func(o Item) bool { return o.DedupKey() == k })
		if i < 0 || q[i].Depth <= it.Depth {
			return false
		}
		md.pending[q[i].Depth]--
		md.queues[it.Host] = slices.Delete(q, i, i+1)
	}
	unseen := !md.seen[k]
	md.seen[k] = true
	q := md.queues[it.Host]
	i := len(q)
	for i > 0 && q[i-1].Depth > it.Depth {
		i--
	}
	md.queues[it.Host] = slices.Insert(q, i, it)
	md.pending[it.Depth]++
	return unseen
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

// leasable returns the hosts whose head may be leased now: at the level.
func (md *model) leasable() map[string]bool {
	level, _ := md.level()
	hosts := make(map[string]bool)
	for h, q := range md.queues {
		if len(q) > 0 && md.inflight[h] < md.max && q[0].Depth <= level {
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
			inflight: map[string]int{}, pending: map[int]int{},
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
				if md.add(it, false) {
					want = 1
				}
				if n, err := m.Add(ctx, it); n != want || err != nil {
					t.Fatalf("step %d: Add(%+v) = %d, %v; want %d", step, it, n, err, want)
				}
			case 1: // lease without blocking
				m.mu.Lock()
				l, _, ok := m.lease(time.Now(), false)
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
				for _, c := range children {
					if md.add(c, true) {
						want++
					}
				}
				if n, err := m.Complete(ctx, l, children); n != want || err != nil {
					t.Fatalf("step %d: Complete = %d, %v; want %d", step, n, err, want)
				}
				md.inflight[l.Item.Host]--
				md.pending[l.Item.Depth]--
				md.done++
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
