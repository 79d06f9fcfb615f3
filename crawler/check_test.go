package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/testserver"
)

// pagesOf is what a crawl recorded of the URLs it follows: every record
// but the link checks, by URL.
func pagesOf(res crawlResult) map[string]string {
	out := make(map[string]string)
	for u, r := range res.records {
		if !r.Check {
			out[u] = fmt.Sprintf("depth %d status %d %s %v", r.Depth, r.Status, r.ErrorKind, r.Links)
		}
	}
	return out
}

// TestCheckLinksKeepsTheCrawl: --check-links adds records for the links a
// crawl does not follow and changes nothing about the pages it follows,
// at any depth and concurrency; each check is a link of a recorded page,
// one hop past it, never followed.
func TestCheckLinksKeepsTheCrawl(t *testing.T) {
	sites := map[string]func() (*testserver.Site, string){
		"synthetic": func() (*testserver.Site, string) {
			return testserver.New(testserver.Config{Pages: 300, Links: 6, Seed: 3, Features: testserver.AllFeatures}), "site.test"
		},
		"hostile": func() (*testserver.Site, string) {
			return testserver.NewHostile(testserver.HostileConfig{LargeSize: 50 << 20}), "hostile.test"
		},
	}
	for name, mk := range sites {
		for _, depth := range []int{0, 1, 3} {
			for _, conc := range []int{1, 8} {
				t.Run(fmt.Sprintf("%s/depth=%d/concurrency=%d", name, depth, conc), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) { // fake time: the hostile site's timeouts pass at once
						crawlOnce := func(check bool) crawlResult {
							site, host := mk()
							cfg := testConfig()
							cfg.Transport = testserver.Transport{host: site.Handler()}
							cfg.Seeds = []string{"http://" + host + "/"}
							cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = depth, conc, conc
							cfg.Exclude = []*regexp.Regexp{regexp.MustCompile(`/p/1\d$`)}
							cfg.CheckLinks = check
							cfg.Timeout, cfg.MaxBody = 5*time.Second, 1<<20
							return runCrawl(t, cfg, "http://"+host)
						}
						plain, checked := crawlOnce(false), crawlOnce(true)
						if len(plain.dups)+len(checked.dups) > 0 {
							t.Fatalf("recorded twice: %v %v", plain.dups, checked.dups)
						}
						want, got := pagesOf(plain), pagesOf(checked)
						for u, w := range want {
							if got[u] != w {
								t.Errorf("%s: with --check-links %q, without %q", u, got[u], w)
							}
						}
						for u := range got {
							if _, ok := want[u]; !ok {
								t.Errorf("%s followed only with --check-links", u)
							}
						}
						checks := 0
						for u, r := range checked.records {
							if !r.Check {
								continue
							}
							checks++
							if len(r.Links) != 0 || r.Title != "" {
								t.Errorf("check %s was parsed: %d links, title %q", u, len(r.Links), r.Title)
							}
							parent := checked.records[r.Parent]
							if parent == nil || (!slices.Contains(parent.Links, u) && parent.FinalURL != u) {
								t.Errorf("check %s: its parent %s does not link or redirect to it", u, r.Parent)
							} else if r.Depth > depth+1 || (r.Depth != parent.Depth+1 && parent.FinalURL != u) {
								t.Errorf("check %s at depth %d, parent %s at depth %d, crawl depth %d", u, r.Depth, r.Parent, parent.Depth, depth)
							}
						}
						if checks == 0 {
							t.Errorf("no link was checked")
						}
					})
				})
			}
		}
	}
}

// TestCheckBecomesPageAfterSeedRedirect: a link to a host that is not in
// scope yet is queued as a check, but when a seed's redirect brings the
// host into scope before the link's turn, it is crawled as a page.
func TestCheckBecomesPageAfterSeedRedirect(t *testing.T) {
	cfg := testConfig()
	cfg.Transport = testserver.Transport{
		"one.test": htmlPage(`<a href="http://b.test/x">x</a>`),
		"two.test": http.RedirectHandler("http://b.test/", http.StatusMovedPermanently),
		"b.test": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			htmlPage(`<a href="/x">x</a> <a href="/y">y</a>`)(w, r)
		}),
	}
	cfg.Seeds = []string{"http://one.test/", "http://two.test/"}
	cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = 1, 1, 1
	cfg.CheckLinks = true
	fr := frontier.NewMemory(cfg.Policy())
	defer fr.Close()
	res := runCrawlOn(t, cfg, "", fr)
	x := res.records["http://b.test/x"]
	if x == nil || x.Check || len(x.Links) == 0 {
		t.Fatalf("b.test/x: %+v, want a page crawled with its links", x)
	}
	if y := res.records["http://b.test/y"]; y == nil || y.Check {
		t.Errorf("b.test/y: %+v, want a page", y)
	}
	if len(res.dups) > 0 {
		t.Errorf("recorded twice: %v", res.dups)
	}
}

// TestCheckRedirectIntoScopeKeepsThePage: an off-site link that redirects
// back into the site does not take the record of the page it leads to: the
// page is crawled at its own depth with its links, as without
// --check-links.
func TestCheckRedirectIntoScopeKeepsThePage(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", htmlPage(`<a href="http://off.test/x">x</a> <a href="/b">b</a>`))
	mux.Handle("/b", htmlPage(`<a href="/c">c</a>`))
	mux.Handle("/c", htmlPage(`<a href="/z">z</a>`))
	mux.Handle("/z", htmlPage(`<a href="/after-z">after</a>`))
	mux.Handle("/after-z", htmlPage(`end`))
	for _, check := range []bool{false, true} {
		cfg := testConfig()
		cfg.Transport = testserver.Transport{
			"site.test": mux,
			"off.test":  http.RedirectHandler("http://site.test/z", http.StatusMovedPermanently),
		}
		cfg.Seeds = []string{"http://site.test/"}
		cfg.MaxDepth, cfg.CheckLinks = 4, check
		res := runCrawl(t, cfg, "http://site.test")
		z := res.records["http://site.test/z"]
		if z == nil || z.Check || z.Depth != 3 || len(z.Links) != 1 {
			t.Errorf("check-links %v: /z %+v, want a page at depth 3 with its link", check, z)
		}
		if res.records["http://site.test/after-z"] == nil {
			t.Errorf("check-links %v: /after-z not crawled", check)
		}
		if x := res.records["http://off.test/x"]; check && (x == nil || !x.Check || x.Status != 301) {
			t.Errorf("off.test/x: %+v, want a check recording the redirect", x)
		}
		if len(res.dups) > 0 {
			t.Errorf("recorded twice: %v", res.dups)
		}
	}
}

// TestQueuedPageHostIsInScope: a page some other process queued (or the
// run before a resume), on a host this process never saw a seed redirect
// to, is in scope: its links on its host are followed. Without it, a
// seed's widened scope would end with the process that followed the
// redirect.
func TestQueuedPageHostIsInScope(t *testing.T) {
	xmux := http.NewServeMux()
	xmux.Handle("/a", htmlPage(`<a href="/b">b</a>`))
	xmux.Handle("/b", htmlPage(`end`))
	cfg := testConfig()
	cfg.Transport = testserver.Transport{"y.test": htmlPage(`hello`), "x.test": xmux}
	cfg.Seeds = []string{"http://y.test/"}
	cfg.MaxDepth = 3
	fr := frontier.NewMemory(cfg.Policy())
	defer fr.Close()
	// What the process that followed y.test's redirect to x.test queued.
	if _, err := fr.Add(context.Background(), frontier.Item{URL: "http://x.test/a", Host: "x.test", Depth: 1, Parent: "http://x.test/"}); err != nil {
		t.Fatal(err)
	}
	res := runCrawlOn(t, cfg, "", fr)
	if b := res.records["http://x.test/b"]; b == nil || b.Depth != 2 {
		t.Fatalf("x.test/b: %+v, want a page at depth 2", b)
	}
}

// htmlPage serves body as an HTML page.
func htmlPage(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, body)
	}
}
