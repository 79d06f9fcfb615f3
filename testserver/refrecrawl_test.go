package testserver_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crawl-dev/crawl/testserver"
)

// withoutRevisions returns records with Revision left out: a crawler
// cannot see it.
func withoutRevisions(records map[string]testserver.Outcome) map[string]testserver.Outcome {
	out := make(map[string]testserver.Outcome, len(records))
	for p, o := range records {
		o.Revision = 0
		out[p] = o
	}
	return out
}

// TestReferenceRecrawl re-crawls generations 0 to 3 of a site on one
// server with the validators of the crawl before: the records still match
// ExpectCrawl, exactly the URLs whose validators say so answer 304 (the
// ETag when there is one, else Last-Modified), each of them ExpectChanges
// calls unchanged, and the request log counts the 304s.
func TestReferenceRecrawl(t *testing.T) {
	tests := []struct {
		name string
		cfg  testserver.Config
	}{
		{"plain", testserver.Config{Pages: 400, Links: 5, Seed: 11}},
		{"all", testserver.Config{Pages: 300, Links: 6, Seed: 2, Features: testserver.AllFeatures}},
		{"encoded", testserver.Config{Pages: 300, Links: 6, Seed: 4, Features: testserver.Encoded | testserver.Files}},
	}
	const depth = 3
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cur atomic.Pointer[testserver.Site]
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				cur.Load().Handler().ServeHTTP(w, r)
			}))
			defer srv.Close()
			crawl := testserver.Crawl{Seed: "/", MaxDepth: depth}
			var prev map[string]refPage
			var prevWant testserver.Expectation
			total304 := 0
			for g := 0; g <= 3; g++ {
				cfg := tt.cfg
				cfg.Generation = g
				site := testserver.New(cfg)
				cur.Store(site)
				c := refRecrawl(t, srv.URL, "/", depth, testserver.DefaultMaxRedirects, prev)
				want := site.ExpectCrawl(crawl)
				if err := want.Compare(c.records); err != nil {
					t.Errorf("generation %d: %v", g, err)
				}
				if !reflect.DeepEqual(c.records, withoutRevisions(want.Records)) {
					t.Errorf("generation %d: reference records differ from Expect in fields Compare skips", g)
				}
				var predicted []string
				for p, o := range want.Records {
					if old, ok := prev[p]; ok && o.Status == http.StatusOK && revalidates(old.o, o) {
						predicted = append(predicted, p)
					}
				}
				slices.Sort(predicted)
				slices.Sort(c.notModified)
				if !slices.Equal(c.notModified, predicted) {
					t.Errorf("generation %d: 304 for\n%v\nwant\n%v", g, c.notModified, predicted)
				}
				if g > 0 {
					changes := testserver.ExpectChanges(prevWant, want)
					for _, p := range c.notModified {
						if changes[p] != testserver.ChangeUnchanged {
							t.Errorf("generation %d: %s answered 304 but is %q", g, p, changes[p])
						}
					}
				}
				n304 := 0
				for _, r := range site.Log() {
					if r.Status == http.StatusNotModified {
						n304++
						if r.Bytes != 0 {
							t.Errorf("generation %d: 304 of %s with %d body bytes", g, r.Path, r.Bytes)
						}
					}
				}
				if n304 != len(c.notModified) {
					t.Errorf("generation %d: the log has %d 304s, the crawl got %d", g, n304, len(c.notModified))
				}
				if err := want.CheckRequests(site.Requests(), 0); err != nil {
					t.Errorf("generation %d: %v", g, err)
				}
				total304 += n304
				prev, prevWant = c.pages, want
			}
			if total304 == 0 {
				t.Error("no request answered 304 in three re-crawls")
			}
		})
	}
}

// revalidates reports whether a request with the validators of old (both
// of them, as refRecrawl sends them) gets a 304 from a resource that now
// has cur's: If-None-Match decides when there is an ETag (by the weak
// comparison), else If-Modified-Since.
func revalidates(old, cur testserver.Outcome) bool {
	if old.ETag != "" {
		return strings.TrimPrefix(old.ETag, "W/") == strings.TrimPrefix(cur.ETag, "W/")
	}
	if old.LastModified == "" || cur.LastModified == "" {
		return false
	}
	o, err1 := http.ParseTime(old.LastModified)
	c, err2 := http.ParseTime(cur.LastModified)
	return err1 == nil && err2 == nil && !c.After(o)
}
