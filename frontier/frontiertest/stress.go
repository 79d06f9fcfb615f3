package frontiertest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// graph is a random site: every page is reachable from the seeds, and dist
// is each page's shortest depth from a seed: a link adds one, a redirect
// (a child at its page's depth, as the crawler queues a redirect target)
// adds nothing.
type graph struct {
	urls      []string
	hosts     []int // host index of each page
	links     [][]int
	redirects [][]int
	dist      []int
	index     map[string]int
}

func hostName(h int) string { return fmt.Sprintf("h%02d.test", h) }

// newGraph builds n pages over nHost hosts: the first nSeed pages are seeds,
// every later page is linked from a random earlier page, every page has
// extra random links, and one page in eight also redirects to a random
// page.
func newGraph(n, nHost, nSeed, extra int) *graph {
	rng := rand.New(rand.NewPCG(7, 11))
	g := &graph{
		urls: make([]string, n), hosts: make([]int, n), links: make([][]int, n),
		redirects: make([][]int, n), dist: make([]int, n), index: make(map[string]int, n),
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
		if rng.IntN(8) == 0 {
			g.redirects[i] = append(g.redirects[i], rng.IntN(n))
		}
	}
	// 0-1 breadth-first search: a redirect goes to the front.
	for i := range g.dist {
		g.dist[i] = -1
	}
	var front, back []int
	for i := range nSeed {
		g.dist[i] = 0
		back = append(back, i)
	}
	relax := func(j, d int) bool {
		if g.dist[j] >= 0 && g.dist[j] <= d {
			return false
		}
		g.dist[j] = d
		return true
	}
	for len(front)+len(back) > 0 {
		var i int
		if len(front) > 0 {
			i, front = front[len(front)-1], front[:len(front)-1]
		} else {
			i, back = back[0], back[1:]
		}
		for _, j := range g.redirects[i] {
			if relax(j, g.dist[i]) {
				front = append(front, j)
			}
		}
		for _, j := range g.links[i] {
			if relax(j, g.dist[i]+1) {
				back = append(back, j)
			}
		}
	}
	return g
}

func (g *graph) item(i, depth int, parent string) frontier.Item {
	return frontier.Item{URL: g.urls[i], Host: hostName(g.hosts[i]), Depth: depth, Parent: parent}
}

// testStress crawls a random graph with many workers (stress).
func testStress(e *env) { stress(e, false) }

// stress crawls the random graph of testStress with many workers that,
// with ahead, lease ahead and park what they fetched ahead. Every page
// must be completed exactly once, at its shortest depth, with nothing
// shallower pending anywhere; no host may exceed its limit of fetches.
func stress(e *env, ahead bool) {
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
	var a frontier.Aheader
	if ahead {
		a = e.aheader(f)
	}
	seeds := make([]frontier.Item, nSeed)
	for i := range seeds {
		seeds[i] = g.item(i, 0, "")
	}
	e.add(f, seeds...)

	var (
		inflight  [nHost]atomic.Int32
		leases    [nURL]atomic.Int32
		completes [nURL]atomic.Int32
		retries   [nURL]atomic.Int32
		aheads    atomic.Int32
		moved     atomic.Int32 // ahead leases that a move made shallower
		leasedAt  [nURL]atomic.Int32
		failures  atomic.Int32
		// done counts completions by depth: when a page of depth d is
		// completed, every page of a smaller depth must be.
		mu   sync.Mutex
		done = make([]int, maxDist+1)
		want = make([]int, maxDist+1)
	)
	for _, d := range g.dist {
		want[d]++
	}
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 10 {
			e.t.Errorf(format, args...)
		}
	}
	ctx := e.ctx()
	finish := func(l frontier.Lease) {
		i := g.index[l.Item.URL]
		d := l.Item.Depth
		if d != g.dist[i] {
			fail("%s completed at depth %d, its shortest depth is %d", l.Item.URL, d, g.dist[i])
			return
		}
		mu.Lock()
		for shallower := range d {
			if done[shallower] != want[shallower] {
				fail("%s completed at depth %d while %d of depth %d are not", l.Item.URL, d, want[shallower]-done[shallower], shallower)
			}
		}
		done[d]++
		mu.Unlock()
		children := make([]frontier.Item, 0, len(g.links[i])+len(g.redirects[i]))
		for _, j := range g.links[i] {
			children = append(children, g.item(j, d+1, l.Item.URL))
		}
		for _, j := range g.redirects[i] {
			it := g.item(j, d, l.Item.URL)
			it.Hops = l.Item.Hops + 1
			children = append(children, it)
		}
		completes[i].Add(1)
		if _, err := f.Complete(ctx, l, children); err != nil {
			fail("Complete(%s): %v", l.Item.URL, err)
		}
	}
	work := func() {
		for {
			var l frontier.Lease
			var err error
			if a != nil {
				l, err = a.NextAhead(ctx)
			} else {
				l, err = f.Next(ctx)
			}
			if errors.Is(err, frontier.ErrDone) {
				return
			}
			if err != nil {
				fail("Next: %v", err)
				return
			}
			i, ok := g.index[l.Item.URL]
			switch {
			case !ok:
				fail("leased unknown URL %q", l.Item.URL)
				return
			case l.Ripe:
				if int(leasedAt[i].Load()) > l.Item.Depth {
					moved.Add(1)
				}
				finish(l)
				continue
			case l.Ahead:
				aheads.Add(1)
				leasedAt[i].Store(int32(l.Item.Depth))
			case l.Item.Depth != g.dist[i]:
				fail("%s leased at depth %d, its shortest depth is %d", l.Item.URL, l.Item.Depth, g.dist[i])
				return
			}
			leases[i].Add(1)
			h := g.hosts[i]
			if n := inflight[h].Add(1); n > limit {
				fail("host %s has %d leases, limit %d", hostName(h), n, limit)
			}
			if ahead && h%4 == 0 {
				// A slow host: its fetches take time (fake time in a
				// bubble), so that the others run ahead of its level.
				time.Sleep(time.Duration(1+i%3) * 100 * time.Microsecond)
			}
			inflight[h].Add(-1)
			if i%9 == 4 && l.Item.Attempts == 0 {
				retries[i].Add(1)
				l.Item.Attempts++
				if err := f.Retry(ctx, l, 0); err != nil {
					fail("Retry(%s): %v", l.Item.URL, err)
				}
				continue
			}
			if !l.Ahead {
				finish(l)
				continue
			}
			p, ripe, err := a.Park(ctx, l)
			switch {
			case err != nil:
				fail("Park(%s): %v", l.Item.URL, err)
			case ripe:
				if p.Item.Depth < l.Item.Depth {
					moved.Add(1)
				}
				finish(p)
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
	if ahead && aheads.Load() == 0 {
		fail("no lease was taken ahead of the level")
	}
	e.t.Logf("%d leases ahead of the level, %d of them moved", aheads.Load(), moved.Load())
	e.wantStats(f, "after the crawl", frontier.Stats{Seen: nURL, Done: nURL})
}
