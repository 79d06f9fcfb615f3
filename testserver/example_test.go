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
