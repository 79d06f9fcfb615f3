package testserver_test

import (
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"

	"github.com/crawl-dev/crawl/testserver"
)

// TestServedLinksMatchModel parses every served HTML page, reachable or not,
// and checks its links against Site.Links: every spelling the generator
// writes resolves to the page the model links to.
func TestServedLinksMatchModel(t *testing.T) {
	for _, cfg := range []testserver.Config{
		{Features: testserver.AllFeatures},
		{Pages: 60, Links: 4, Seed: 11, Features: testserver.AllFeatures},
		{Pages: 200, Links: 4, Seed: 12, Features: testserver.AllFeatures, Generation: 3},
	} {
		site := testserver.New(cfg)
		srv := httptest.NewServer(site.Handler())
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		pages := 0
		for _, p := range site.Paths() {
			resp, err := client.Get(srv.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
			var got []string
			if resp.StatusCode == http.StatusOK && ct == "text/html" {
				pages++
				got = servedLinks(t, srv.URL+p, resp.Body)
			}
			if err := resp.Body.Close(); err != nil {
				t.Fatal(err)
			}
			if want := site.Links(p, srv.URL); !reflect.DeepEqual(got, want) {
				t.Errorf("seed %d: links of %s:\ngot  %q\nwant %q", cfg.Seed, p, got, want)
			}
		}
		srv.Close()
		if pages < cfg.Pages {
			t.Errorf("seed %d: %d HTML pages served, want at least %d", cfg.Seed, pages, cfg.Pages)
		}
	}
}

// servedLinks returns the absolute, normalized http(s) links of a page in
// document order without duplicates.
func servedLinks(t *testing.T, page string, body io.Reader) []string {
	t.Helper()
	_, hrefs, baseHref, err := parseHTML(body)
	if err != nil {
		t.Fatal(err)
	}
	base, err := url.Parse(page)
	if err != nil {
		t.Fatal(err)
	}
	if baseHref != "" {
		if base, err = base.Parse(cleanHref(baseHref)); err != nil {
			t.Fatal(err)
		}
	}
	var links []string
	seen := map[string]bool{}
	for _, h := range hrefs {
		ref, err := base.Parse(cleanHref(h))
		if err != nil {
			t.Errorf("%s: href %q: %v", page, h, err)
			continue
		}
		u, ok := normalize(ref)
		if !ok || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		links = append(links, u.String())
	}
	return links
}
