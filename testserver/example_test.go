package testserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/crawl-dev/crawl/testserver"
)

// A test serves a generated site on loopback, crawls it, and checks the
// records and the request log against the site's expectation.
func Example() {
	site := testserver.New(testserver.Config{Pages: 20, Links: 3, Features: testserver.Robots})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()

	// A one-page "crawl": robots.txt, then the seed.
	for _, p := range []string{"/robots.txt", "/"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			fmt.Println(err)
			return
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			fmt.Println(err)
		}
		resp.Body.Close()
	}

	want := site.Expect("/", 0)
	fmt.Println(want.Paths())
	fmt.Println(want.Records["/"].Status, want.Records["/"].Depth)
	fmt.Println(want.CheckRequests(site.Requests(), 0))
	fmt.Println(len(site.Expect("/", 1).Records), "records at depth 1")
	// Output:
	// [/]
	// 200 0
	// <nil>
	// 3 records at depth 1
}

// A hostile site served in memory: each fixture behaves as a broken site
// would, and the expectation says what a crawl must record for it.
func ExampleNewHostile() {
	site := testserver.NewHostile(testserver.HostileConfig{Fixtures: testserver.RedirectFixtures})
	client := &http.Client{
		Transport:     testserver.Transport{"site.test": site.Handler()},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get("http://site.test/redir/self")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))

	want := site.Expect("/", 1).Records["/redir/self"]
	fmt.Println(want.Status, want.Err, want.Error)
	// Output:
	// 302 /redir/self
	// 302 true redirect loop
}

// Two generations of one site: the expectation of each crawl, and what a
// re-crawl must call each URL.
func ExampleExpectChanges() {
	cfg := testserver.Config{Pages: 200, Links: 4, Seed: 5}
	crawl := testserver.Crawl{Seed: "/", MaxDepth: 3}
	night1 := testserver.New(cfg).ExpectCrawl(crawl)
	cfg.Generation = 1
	night2 := testserver.New(cfg).ExpectCrawl(crawl)

	labels := map[string]int{}
	for _, label := range testserver.ExpectChanges(night1, night2) {
		labels[label]++
	}
	fmt.Println(labels)
	// Output:
	// map[changed:4 gone:6 moved:1 new:2 unchanged:35]
}
