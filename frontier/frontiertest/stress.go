package frontiertest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/crawl-dev/crawl/frontier"
)

// graph is a random site: every page is reachable from the seeds, and dist
// is each page's shortest link distance from a seed.
type graph struct {
	urls  []string
	hosts []int // host index of each page
	links [][]int
	dist  []int
	index map[string]int
}

func hostName(h int) string { return fmt.Sprintf("h%02d.test", h) }

// newGraph builds n pages over nHost hosts: the first nSeed pages are seeds,
// every later page is linked from a random earlier page, and every page has
// extra random links.
func newGraph(n, nHost, nSeed, extra int) *graph {
	rng := rand.New(rand.NewPCG(7, 11))
	g := &graph{
		urls: make([]string, n), hosts: make([]int, n), links: make([][]int, n),
		dist: make([]int, n), index: make(map[string]int, n),
	}
	for i := range n {
		g.hosts[i] = rng.IntN(nHost)
		g.urls[i] = fmt.Sprintf("http://%s/p%d", hostName(g.hosts[i]), i)
		g.index[g.urls[i]] = i
	}
	for i := nSeed; i < n; i++ {
		p := rng.IntN(i)
		g.links[p] = append(g.links[p], i)
	}
	for i := range n {
		for range extra {
			g.links[i] = append(g.links[i], rng.IntN(n))
		}
	}
	for i := range g.dist {
		g.dist[i] = -1
	}
	queue := make([]int, 0, n)
	for i := range nSeed {
		g.dist[i] = 0
		queue = append(queue, i)
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, j := range g.links[i] {
			if g.dist[j] < 0 {
				g.dist[j] = g.dist[i] + 1
				queue = append(queue, j)
			}
		}
	}
	return g
}

func (g *graph) item(i, depth int, parent string) frontier.Item {
	return frontier.Item{URL: g.urls[i], Host: hostName(g.hosts[i]), Depth: depth, Parent: parent}
}

// testStress crawls a random graph with many workers. Every page must be
// leased at its shortest depth and completed exactly once, no host may
// exceed its limit, no lease may overtake a shallower one still held (with
// lookahead: one two or more levels up), and every worker must end with
// ErrDone.
func testStress(e *env) {
	const (
		nURL    = 2000
		nHost   = 20
		nSeed   = 5
		workers = 16
		limit   = 2
	)
	g := newGraph(nURL, nHost, nSeed, 3)
	maxDist := 0
	for _, d := range g.dist {
		maxDist = max(maxDist, d)
	}
	f := e.newFrontier(frontier.Policy{MaxInflight: limit})
	seeds := make([]frontier.Item, nSeed)
	for i := range seeds {
		seeds[i] = g.item(i, 0, "")
	}
	e.add(f, seeds...)

	var (
		inflight  [nHost]atomic.Int32
		held      = make([]atomic.Int32, maxDist+1) // leases held by depth
		leases    [nURL]atomic.Int32
		completes [nURL]atomic.Int32
		retries   [nURL]atomic.Int32
		failures  atomic.Int32
	)
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 10 {
			e.t.Errorf(format, args...)
		}
	}
	ctx := e.ctx()
	work := func() {
		for {
			l, err := f.Next(ctx)
			if errors.Is(err, frontier.ErrDone) {
				return
			}
			if err != nil {
				fail("Next: %v", err)
				return
			}
			i, ok := g.index[l.Item.URL]
			d := l.Item.Depth
			switch {
			case !ok:
				fail("leased unknown URL %q", l.Item.URL)
				return
			case d != g.dist[i]:
				fail("%s leased at depth %d, its shortest depth is %d", l.Item.URL, d, g.dist[i])
				return
			}
			leases[i].Add(1)
			h := g.hosts[i]
			if n := inflight[h].Add(1); n > limit {
				fail("host %s has %d leases, limit %d", hostName(h), n, limit)
			}
			held[d].Add(1)
			overtakes := d // the shallower depths no lease may overtake
			if e.lookahead {
				overtakes = max(0, d-1)
			}
			for shallower := range overtakes {
				if n := held[shallower].Load(); n > 0 {
					fail("%s leased at depth %d while %d depth-%d leases are held", l.Item.URL, d, n, shallower)
				}
			}
			children := make([]frontier.Item, 0, len(g.links[i]))
			for _, j := range g.links[i] {
				children = append(children, g.item(j, d+1, l.Item.URL))
			}
			held[d].Add(-1)
			inflight[h].Add(-1)
			if i%9 == 4 && l.Item.Attempts == 0 {
				retries[i].Add(1)
				l.Item.Attempts++
				if err := f.Retry(ctx, l, 0); err != nil {
					fail("Retry(%s): %v", l.Item.URL, err)
				}
				continue
			}
			completes[i].Add(1)
			if _, err := f.Complete(ctx, l, children); err != nil {
				fail("Complete(%s): %v", l.Item.URL, err)
			}
		}
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(work)
	}
	wg.Wait()

	for i := range nURL {
		c, r, n := completes[i].Load(), retries[i].Load(), leases[i].Load()
		if c != 1 || n != 1+r {
			fail("%s: %d leases, %d retries, %d completes; want 1 complete and 1 lease per try", g.urls[i], n, r, c)
		}
	}
	e.wantStats(f, "after the crawl", frontier.Stats{Seen: nURL, Done: nURL})
}
