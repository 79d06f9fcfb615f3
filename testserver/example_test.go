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
