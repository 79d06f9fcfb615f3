package redis

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// site is a random link graph over a few hosts; dist is each page's
// shortest distance from a seed.
type site struct {
	urls  []string
	hosts []int
	links [][]int
	dist  []int
	index map[string]int
}

func newSite(n, nHost, nSeed int) *site {
	rng := rand.New(rand.NewPCG(3, 5))
	s := &site{urls: make([]string, n), hosts: make([]int, n), links: make([][]int, n), dist: make([]int, n), index: map[string]int{}}
	for i := range n {
		s.hosts[i] = rng.IntN(nHost)
		s.urls[i] = fmt.Sprintf("http://h%d.test/p%d", s.hosts[i], i)
		s.index[s.urls[i]] = i
		s.dist[i] = -1
	}
	for i := nSeed; i < n; i++ {
		p := rng.IntN(i)
		s.links[p] = append(s.links[p], i)
	}
	for i := range n {
		for range 2 {
			s.links[i] = append(s.links[i], rng.IntN(n))
		}
	}
	queue := []int{}
	for i := range nSeed {
		s.dist[i] = 0
		queue = append(queue, i)
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, j := range s.links[i] {
			if s.dist[j] < 0 {
				s.dist[j] = s.dist[i] + 1
				queue = append(queue, j)
			}
		}
	}
	return s
}

func (s *site) item(i, depth int) frontier.Item {
	return frontier.Item{URL: s.urls[i], Host: fmt.Sprintf("h%d.test", s.hosts[i]), Depth: depth}
}

// TestSharedCrawl: three Frontiers on separate clients crawl one site
// together. Every page is leased once, at its shortest depth, no host ever
// has more than MaxInflight leases across the three, no lease overtakes a
// shallower one still held, and every worker ends with ErrDone.
func TestSharedCrawl(t *testing.T) {
	const (
		nURL, nHost, nSeed = 1200, 8, 3
		instances, workers = 3, 4
		limit              = 2
	)
	c0 := testClient(t)
	id := newCrawlID(t, c0)
	s := newSite(nURL, nHost, nSeed)
	maxDist := 0
	for _, d := range s.dist {
		maxDist = max(maxDist, d)
	}
	fs := make([]*Frontier, instances)
	for i := range fs {
		fs[i] = openTest(t, testClient(t), id, frontier.Policy{MaxInflight: limit}, Options{})
	}
	seeds := make([]frontier.Item, nSeed)
	for i := range seeds {
		seeds[i] = s.item(i, 0)
	}
	if n, err := fs[0].Add(t.Context(), seeds...); err != nil || n != nSeed {
		t.Fatalf("Add(seeds) = %d, %v; want %d", n, err, nSeed)
	}

	var (
		inflight = make([]atomic.Int32, nHost)
		held     = make([]atomic.Int32, maxDist+1)
		leases   = make([]atomic.Int32, nURL)
		byInst   = make([]atomic.Int32, instances)
		dones    atomic.Int32
		failures atomic.Int32
	)
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 10 {
			t.Errorf(format, args...)
		}
	}
	ctx := ctxT(t, 20*time.Second)
	work := func(inst int) {
		f := fs[inst]
		for {
			l, err := f.Next(ctx)
			if errors.Is(err, frontier.ErrDone) {
				dones.Add(1)
				return
			}
			if err != nil {
				fail("instance %d: Next: %v", inst, err)
				return
			}
			i, ok := s.index[l.Item.URL]
			if !ok || l.Item.Depth != s.dist[i] {
				fail("leased %q at depth %d, want a known URL at its shortest depth", l.Item.URL, l.Item.Depth)
				return
			}
			leases[i].Add(1)
			byInst[inst].Add(1)
			h, d := s.hosts[i], l.Item.Depth
			if n := inflight[h].Add(1); n > limit {
				fail("host h%d has %d leases across instances, limit %d", h, n, limit)
			}
			held[d].Add(1)
			for shallower := range d {
				if n := held[shallower].Load(); n > 0 {
					fail("%s leased at depth %d while %d depth-%d leases are held", l.Item.URL, d, n, shallower)
				}
			}
			children := make([]frontier.Item, 0, len(s.links[i]))
			for _, j := range s.links[i] {
				children = append(children, s.item(j, d+1))
			}
			held[d].Add(-1)
			inflight[h].Add(-1)
			if _, err := f.Complete(ctx, l, children); err != nil {
				fail("instance %d: Complete(%s): %v", inst, l.Item.URL, err)
			}
		}
	}
	var wg sync.WaitGroup
	for inst := range instances {
		for range workers {
			wg.Go(func() { work(inst) })
		}
	}
	wg.Wait()

	for i := range nURL {
		if n := leases[i].Load(); n != 1 {
			fail("%s leased %d times, want 1", s.urls[i], n)
		}
	}
	if n := dones.Load(); n != instances*workers {
		t.Errorf("%d workers saw ErrDone, want %d", n, instances*workers)
	}
	for inst := range instances {
		if byInst[inst].Load() == 0 {
			t.Errorf("instance %d leased nothing; the work was not shared", inst)
		}
	}
	for inst, f := range fs {
		st, err := f.Stats(t.Context())
		if want := (frontier.Stats{Seen: nURL, Done: nURL}); err != nil || st != want {
			t.Errorf("instance %d: Stats = %+v, %v; want %+v", inst, st, err, want)
		}
	}
}

// TestDelayAcrossInstances: a host's delay, the Policy's or one set by
// SetHostDelay in another instance, spaces the lease starts of all
// instances, not of each one.
func TestDelayAcrossInstances(t *testing.T) {
	const d = 40 * time.Millisecond
	c0 := testClient(t)
	id := newCrawlID(t, c0)
	p := frontier.Policy{MaxInflight: 4, Delay: d}
	a := openTest(t, c0, id, p, Options{})
	b := openTest(t, testClient(t), id, p, Options{})
	ctx := ctxT(t, 10*time.Second)
	tests := []struct {
		host  string
		delay time.Duration // set by b before the leases; 0 keeps the Policy's
	}{
		{"a.test", 0},
		{"b.test", 2 * d},
	}
	for _, tt := range tests {
		if tt.delay > 0 {
			if err := b.SetHostDelay(ctx, tt.host, tt.delay); err != nil {
				t.Fatalf("SetHostDelay: %v", err)
			}
		}
		want := max(tt.delay, d)
		if _, err := a.Add(ctx, item(tt.host, "1", 0), item(tt.host, "2", 0), item(tt.host, "3", 0)); err != nil {
			t.Fatalf("Add: %v", err)
		}
		start := time.Now()
		for i, f := range []*Frontier{a, b, a} {
			l, err := f.Next(ctx)
			if err != nil {
				t.Fatalf("%s: lease %d: %v", tt.host, i, err)
			}
			if l.Item.Host != tt.host {
				t.Fatalf("lease %d = %q, want a %s URL", i, l.Item.URL, tt.host)
			}
			if got, floor := time.Since(start), time.Duration(i)*want-time.Millisecond; got < floor {
				t.Errorf("%s: lease %d after %v, want at least %v", tt.host, i, got, floor)
			}
		}
	}
}
