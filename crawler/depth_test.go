package crawler_test

import (
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/testserver"
)

// TestRedirectBeatsLinkOfItsLevel: a redirect target keeps the depth of
// the page that redirected, so when another page of that level links the
// same URL first, the link's longer path must not win: the URL is recorded
// once, at the redirect's depth, and its own links are followed as from
// there (at depth 2, the limit, which the longer path would have cut).
func TestRedirectBeatsLinkOfItsLevel(t *testing.T) {
	const host = "site.test"
	page := func(w http.ResponseWriter, links ...string) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>")
		for _, l := range links {
			fmt.Fprintf(w, `<a href="%s">%s</a>`, l, l)
		}
		fmt.Fprint(w, "</body></html>")
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			page(w, "/a", "/b")
		case "/a":
			time.Sleep(time.Second) // /b and its link to /x go first
			http.Redirect(w, r, "/x", http.StatusMovedPermanently)
		case "/b":
			page(w, "/x")
		case "/x":
			page(w, "/y")
		case "/y":
			page(w)
		default:
			http.NotFound(w, r)
		}
	})
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprintf("c%d", conc), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := testConfig()
				cfg.Transport = testserver.Transport{host: h}
				cfg.Seeds = []string{"http://" + host + "/"}
				cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = 2, conc, conc
				res := runCrawl(t, cfg, "http://"+host)
				if len(res.dups) > 0 {
					t.Errorf("recorded twice: %v", res.dups)
				}
				base := "http://" + host
				for path, want := range map[string]struct {
					depth  int
					parent string
				}{"/a": {1, "/"}, "/b": {1, "/"}, "/x": {1, "/a"}, "/y": {2, "/x"}} {
					r := res.records[base+path]
					if r == nil {
						t.Errorf("%s: no record", path)
						continue
					}
					if r.Depth != want.depth || r.Parent != base+want.parent {
						t.Errorf("%s: depth %d, parent %q; want %d, %q", path, r.Depth, r.Parent, want.depth, base+want.parent)
					}
				}
			})
		})
	}
}
