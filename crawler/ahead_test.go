package crawler_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/disk"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// webGraph is a random web over several hosts of different speeds: pages
// link across hosts, and one page in six redirects instead. dist is each
// page's shortest depth from the seeds (a link adds one, a redirect
// nothing), by a 0-1 breadth-first search written here, independent of the
// crawler.
type webGraph struct {
	hosts    []string
	latency  []time.Duration // by host
	host     []int           // by page
	links    [][]int
	redirect []int // -1: an HTML page
	seeds    []int
	dist     []int // -1: unreachable
	index    map[string]int
}

func newWebGraph(seed uint64, nPage int, latency []time.Duration) *webGraph {
	rng := rand.New(rand.NewPCG(seed, 3))
	g := &webGraph{latency: latency, index: map[string]int{}}
	for h := range latency {
		g.hosts = append(g.hosts, fmt.Sprintf("h%d.test", h))
	}
	for i := range nPage {
		g.host = append(g.host, rng.IntN(len(latency)))
		g.links = append(g.links, nil)
		g.redirect = append(g.redirect, -1)
		g.index[g.url(i)] = i
	}
	// A chain keeps most pages reachable; random links and redirects
	// give shortcuts, cross-host paths and same-level races.
	for i := 1; i < nPage; i++ {
		p := rng.IntN(i)
		g.links[p] = append(g.links[p], i)
	}
	for i := range nPage {
		if i > 1 && rng.IntN(6) == 0 {
			g.redirect[i] = rng.IntN(nPage)
			continue
		}
		for range 2 + rng.IntN(3) {
			g.links[i] = append(g.links[i], rng.IntN(nPage))
		}
	}
	g.seeds = []int{0, 1}
	g.dist = make([]int, nPage)
	for i := range g.dist {
		g.dist[i] = -1
	}
	var front, back []int
	for _, s := range g.seeds {
		g.dist[s] = 0
		back = append(back, s)
	}
	for len(front)+len(back) > 0 {
		var i int
		if n := len(front); n > 0 {
			i, front = front[n-1], front[:n-1]
		} else {
			i, back = back[0], back[1:]
		}
		if j := g.redirect[i]; j >= 0 {
			if g.dist[j] < 0 || g.dist[j] > g.dist[i] {
				g.dist[j] = g.dist[i]
				front = append(front, j)
			}
			continue
		}
		for _, j := range g.links[i] {
			if g.dist[j] < 0 || g.dist[j] > g.dist[i]+1 {
				g.dist[j] = g.dist[i] + 1
				back = append(back, j)
			}
		}
	}
	return g
}

func (g *webGraph) url(i int) string { return fmt.Sprintf("http://%s/p%d", g.hosts[g.host[i]], i) }

// transport serves the graph; every response of host h takes its latency.
func (g *webGraph) transport() testserver.Transport {
	rt := testserver.Transport{}
	for h, name := range g.hosts {
		rt[name] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			i, ok := g.index["http://"+name+r.URL.Path]
			if !ok {
				http.NotFound(w, r) // robots.txt too: everything allowed
				return
			}
			time.Sleep(g.latency[h])
			if j := g.redirect[i]; j >= 0 {
				http.Redirect(w, r, g.url(j), http.StatusMovedPermanently)
				return
			}
			w.Header().Set("Content-Type", "text/html")
			var b bytes.Buffer
			b.WriteString("<html><body>")
			for _, j := range g.links[i] {
				fmt.Fprintf(&b, `<a href="%s">x</a>`, g.url(j))
			}
			b.WriteString("</body></html>")
			_, _ = w.Write(b.Bytes())
		})
	}
	return rt
}

// check compares the records, in output order, with the reference search:
// exactly the pages within maxDepth, each once, at its shortest depth, with
// a parent that reaches it at that depth, and depths never decreasing.
func (g *webGraph) check(t *testing.T, recs []*store.Record, maxDepth int) {
	t.Helper()
	got := map[int]*store.Record{}
	last := 0
	for _, r := range recs {
		i, ok := g.index[r.URL]
		switch {
		case !ok:
			t.Errorf("recorded %s, not a page of the site", r.URL)
			continue
		case got[i] != nil:
			t.Errorf("%s recorded twice", r.URL)
		case r.Depth < last:
			t.Errorf("%s recorded at depth %d after a record of depth %d", r.URL, r.Depth, last)
		}
		last = max(last, r.Depth)
		got[i] = r
	}
	for i, d := range g.dist {
		r := got[i]
		if d < 0 || d > maxDepth {
			if r != nil {
				t.Errorf("%s recorded at depth %d, but its shortest depth is %d, past %d", r.URL, r.Depth, d, maxDepth)
			}
			continue
		}
		if r == nil {
			t.Errorf("%s (depth %d) not recorded", g.url(i), d)
			continue
		}
		if r.Depth != d {
			t.Errorf("%s recorded at depth %d, its shortest depth is %d", r.URL, r.Depth, d)
		}
		if d == 0 && r.Parent == "" {
			continue
		}
		p, ok := g.index[r.Parent]
		linked := ok && g.redirect[p] < 0 && g.dist[p] == d-1 && slices.Contains(g.links[p], i)
		redirected := ok && g.redirect[p] == i && g.dist[p] == d
		if !linked && !redirected {
			t.Errorf("%s (depth %d) has parent %q, which does not reach it at that depth", r.URL, d, r.Parent)
		}
	}
}

// crawlGraph crawls g from its seeds on fr and returns the records in
// output order.
func crawlGraph(t *testing.T, g *webGraph, fr frontier.Frontier, conc, maxDepth int) []*store.Record {
	t.Helper()
	cfg := testConfig()
	cfg.Transport = g.transport()
	cfg.Scope = crawler.ScopeAll
	cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = maxDepth, conc, 2
	for _, s := range g.seeds {
		cfg.Seeds = append(cfg.Seeds, g.url(s))
	}
	return crawlRecords(t, cfg, fr)
}

// crawlRecords crawls cfg on fr and returns the records in output order.
func crawlRecords(t *testing.T, cfg crawler.Config, fr frontier.Frontier) []*store.Record {
	t.Helper()
	var buf bytes.Buffer
	w := store.NewWriter(&buf)
	c, err := crawler.New(cfg, fr, w, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var recs []*store.Record
	if err := store.Read(&buf, func(r *store.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatalf("reading the output: %v", err)
	}
	return recs
}

// TestMultiHostDepthsExact crawls random webs of fast and slow hosts with
// cross-host links and redirects, where fast hosts fetch ahead of the
// level: every frontier, at any concurrency, must record exactly the pages
// within the depth, each once, at its shortest depth, breadth-first.
func TestMultiHostDepthsExact(t *testing.T) {
	const maxDepth = 4
	latency := []time.Duration{0, time.Millisecond, 5 * time.Millisecond, 40 * time.Millisecond}
	for _, seed := range []uint64{1, 2, 3, 4} {
		g := newWebGraph(seed, 400, latency)
		for _, conc := range []int{1, 4, 16} {
			t.Run(fmt.Sprintf("seed%d/memory/c%d", seed, conc), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					fr := frontier.NewMemory(frontier.Policy{MaxInflight: 2})
					defer fr.Close()
					g.check(t, crawlGraph(t, g, fr, conc, maxDepth), maxDepth)
				})
			})
		}
		// Real time: the store's goroutines and Redis cannot live in a
		// bubble.
		slow := *g
		slow.latency = []time.Duration{0, 0, 100 * time.Microsecond, 2 * time.Millisecond}
		t.Run(fmt.Sprintf("seed%d/disk/c8", seed), func(t *testing.T) {
			fr, err := disk.Open(filepath.Join(t.TempDir(), "state"), frontier.Policy{MaxInflight: 2}, disk.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer fr.Close()
			slow.check(t, crawlGraph(t, &slow, fr, 8, maxDepth), maxDepth)
		})
		t.Run(fmt.Sprintf("seed%d/redis/c8", seed), func(t *testing.T) {
			fr := openTestRedis(t, testRedis(t), frontier.Policy{MaxInflight: 2}, 10*time.Second)
			slow.check(t, crawlGraph(t, &slow, fr, 8, maxDepth), maxDepth)
		})
	}
}

// TestAheadMatchesStrict crawls small sites where a slow host holds a
// level back while fast hosts fetch ahead, and where what a URL fetched
// ahead leads to depends on what the level still does: a redirect moving
// it (a link check becoming a page, a sitemap index reached at a shorter
// depth) or a seed's redirect widening the scope. Each must record what a
// crawl without fetching ahead records: the same URLs, each once, with
// the same depth, status, error kind, check flag, attempts and links.
func TestAheadMatchesStrict(t *testing.T) {
	html := func(links ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body>")
			for _, l := range links {
				fmt.Fprintf(w, `<a href="%s">x</a>`, l)
			}
			fmt.Fprint(w, "</body></html>")
		}
	}
	sitemap := func(index bool, locs ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			tag, outer := "url", "urlset"
			if index {
				tag, outer = "sitemap", "sitemapindex"
			}
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><%s xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`, outer)
			for _, l := range locs {
				fmt.Fprintf(w, "<%s><loc>%s</loc></%s>", tag, l, tag)
			}
			fmt.Fprintf(w, "</%s>", outer)
		}
	}
	slowRedirect := func(to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(200 * time.Millisecond)
			http.Redirect(w, r, to, http.StatusMovedPermanently)
		}
	}
	// noHead answers HEAD with 405: a link check asks again by GET.
	noHead := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			h(w, r)
		}
	}
	paths := func(m map[string]http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if h, ok := m[r.URL.Path]; ok {
				h(w, r)
				return
			}
			http.NotFound(w, r)
		})
	}
	for _, tc := range []struct {
		name  string
		seeds []string
		conf  func(*crawler.Config)
		sites testserver.Transport
	}{
		{
			// x.test/z is a check at depth 2 (fetched ahead, by HEAD)
			// until s.test/q's redirect makes it a page at depth 1.
			name: "check moved to a page", seeds: []string{"http://a.test/"},
			conf: func(c *crawler.Config) { c.CheckLinks, c.MaxDepth, c.Scope = true, 1, crawler.ScopeAll },
			sites: testserver.Transport{
				"a.test": paths(map[string]http.HandlerFunc{"/": html("http://a.test/p", "http://s.test/q"), "/p": html("http://x.test/z")}),
				"s.test": paths(map[string]http.HandlerFunc{"/q": slowRedirect("http://x.test/z")}),
				"x.test": paths(map[string]http.HandlerFunc{"/z": html("http://x.test/w")}),
			},
		},
		{
			// a.test/r (depth 1) redirects to y.test, which joins the
			// scope only when the slow seed s.test/ redirects there.
			name: "redirect target in a scope widened by the level", seeds: []string{"http://a.test/", "http://s.test/"},
			conf: func(c *crawler.Config) { c.MaxDepth = 2 },
			sites: testserver.Transport{
				"a.test": paths(map[string]http.HandlerFunc{"/": html("http://a.test/r"), "/r": func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "http://y.test/t", http.StatusFound)
				}}),
				"s.test": paths(map[string]http.HandlerFunc{"/": slowRedirect("http://y.test/")}),
				"y.test": paths(map[string]http.HandlerFunc{"/": html(), "/t": html("http://y.test/u"), "/u": html()}),
			},
		},
		{
			// a.test/ links y.test/t, a check until the slow seed's
			// redirect puts y.test in scope before depth 1 is leased.
			name: "check in a scope widened by the level", seeds: []string{"http://a.test/", "http://s.test/"},
			conf: func(c *crawler.Config) { c.CheckLinks, c.MaxDepth = true, 2 },
			sites: testserver.Transport{
				"a.test": paths(map[string]http.HandlerFunc{"/": html("http://y.test/t")}),
				"s.test": paths(map[string]http.HandlerFunc{"/": slowRedirect("http://y.test/")}),
				"y.test": paths(map[string]http.HandlerFunc{"/": html(), "/t": html("http://y.test/u"), "/u": html()}),
			},
		},
		{
			// As above, but y.test/t refuses HEAD: the check fetched
			// ahead was answered by GET.
			name: "check by GET in a scope widened by the level", seeds: []string{"http://a.test/", "http://s.test/"},
			conf: func(c *crawler.Config) { c.CheckLinks, c.MaxDepth = true, 2 },
			sites: testserver.Transport{
				"a.test": paths(map[string]http.HandlerFunc{"/": html("http://y.test/t")}),
				"s.test": paths(map[string]http.HandlerFunc{"/": slowRedirect("http://y.test/")}),
				"y.test": paths(map[string]http.HandlerFunc{"/": html(), "/t": noHead(html("http://y.test/u")), "/u": html()}),
			},
		},
		{
			// x.test (out of scope) refuses HEAD: the check of x.test/z
			// fetched ahead by GET at depth 2 is moved, as a HEAD
			// check, to depth 1 by s.test/q's redirect. Its answer
			// stands.
			name: "GET check moved by a HEAD check", seeds: []string{"http://a.test/"},
			conf: func(c *crawler.Config) { c.CheckLinks, c.MaxDepth = true, 1 },
			sites: testserver.Transport{
				"a.test": paths(map[string]http.HandlerFunc{"/": html("http://a.test/p", "http://s.test/q"), "/p": html("http://x.test/z")}),
				"s.test": paths(map[string]http.HandlerFunc{"/q": slowRedirect("http://x.test/z")}),
				"x.test": paths(map[string]http.HandlerFunc{"/z": noHead(html())}),
			},
		},
		{
			// The index x.test/idx.xml is fetched ahead at depth 2
			// until s.test/r.xml's redirect moves it to depth 1.
			name: "sitemap index moved", seeds: []string{"http://a.test/"},
			conf: func(c *crawler.Config) { c.Sitemaps, c.MaxDepth, c.Scope = true, 1, crawler.ScopeAll },
			sites: testserver.Transport{
				"a.test": paths(map[string]http.HandlerFunc{
					"/robots.txt": func(w http.ResponseWriter, r *http.Request) {
						fmt.Fprint(w, "User-agent: *\nAllow: /\nSitemap: http://s.test/r.xml\nSitemap: http://a.test/i1.xml\n")
					},
					"/i1.xml": sitemap(true, "http://x.test/idx.xml"),
					"/":       html(),
				}),
				"s.test": paths(map[string]http.HandlerFunc{"/r.xml": slowRedirect("http://x.test/idx.xml")}),
				"x.test": paths(map[string]http.HandlerFunc{
					"/idx.xml": sitemap(true, "http://x.test/m.xml"),
					"/m.xml":   sitemap(false, "http://x.test/page"),
					"/page":    html(),
				}),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crawl := func(strict bool) map[string]string {
				var got map[string]string
				synctest.Test(t, func(t *testing.T) {
					var fr frontier.Frontier = frontier.NewMemory(frontier.Policy{MaxInflight: 2})
					defer fr.Close()
					if strict {
						fr = struct{ frontier.Frontier }{fr} // not an Aheader
					}
					cfg := testConfig()
					cfg.Transport, cfg.Seeds = tc.sites, tc.seeds
					cfg.Concurrency, cfg.PerHost = 4, 2
					tc.conf(&cfg)
					got = map[string]string{}
					for _, r := range crawlRecords(t, cfg, fr) {
						if _, dup := got[r.URL]; dup {
							t.Errorf("%s recorded twice", r.URL)
						}
						got[r.URL] = fmt.Sprintf("depth %d status %d error %q check %v attempts %d links %v", r.Depth, r.Status, r.ErrorKind, r.Check, r.Attempts, r.Links)
					}
				})
				return got
			}
			strict, ahead := crawl(true), crawl(false)
			for u, want := range strict {
				if got, ok := ahead[u]; !ok {
					t.Errorf("%s: not recorded when fetching ahead; without: %s", u, want)
				} else if got != want {
					t.Errorf("%s: %s when fetching ahead, %s without", u, got, want)
				}
			}
			for u, got := range ahead {
				if _, ok := strict[u]; !ok {
					t.Errorf("%s: %s when fetching ahead, not recorded without", u, got)
				}
			}
		})
	}
}
