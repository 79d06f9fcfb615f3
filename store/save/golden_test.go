package save

import (
	"bytes"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/layout.golden from the current PathFor")

// goldenURLs are URLs and media types whose saved paths are kept in
// testdata/layout.golden, hostile ones mostly, so that a change of layout
// shows as a diff to review.
var goldenURLs = []struct{ url, mediaType string }{
	{"https://example.com/", "text/html"},
	{"https://example.com/blog/2026/12/post", "text/html"},
	{"https://example.com/blog/2026/12/post/", "text/html"},
	{"https://example.com/files/report.pdf", "application/pdf"},
	{"https://example.com/search?q=go+crawl&page=2", "text/html"},
	{"https://example.com/search?q=%2F..%2F..%2Fetc%2Fpasswd", "text/html"},
	{"https://example.com:8443/a", "text/html"},
	{"http://[2001:db8::42]:8080/x.css", "text/css"},
	{"http://127.0.0.1/", "text/html"},
	{"https://xn--mnchen-3ya.example/stra%C3%9Fe", "text/html"},
	{"https://example.com/../../etc/passwd", "text/plain"},
	{"https://example.com/%2e%2e/%2e%2e/etc/passwd", "text/plain"},
	{"https://example.com/..%2F..%2Fetc%2Fpasswd", "text/plain"},
	{"https://example.com/a%00.html", "text/html"},
	{"https://example.com/a%0D%0Ab", "text/plain"},
	{"https://example.com/a%5C..%5C..%5Cwin.ini", "text/plain"},
	{"https://example.com/CON", "text/plain"},
	{"https://example.com/a//b///c", "text/plain"},
	{"https://example.com/%E2%80%AEfdp.exe", "application/octet-stream"},
	{"https://example.com/%F0%9F%98%80.png", "image/png"},
	{"https://example.com/%ED%A0%80", "text/plain"},
	{"https://example.com/a?b=c#frag", "text/html"},
	{"https://example.com/index.html@q=1", "text/html"},
	{"https://example.com/index.html?q=1", "text/html"},
	{"https://example.com/%40%3F%23%25", "text/plain"},
	{"https://example.com/" + strings.Repeat("%E6%97%A5", 80) + ".html", "text/html"},
	{"https://example.com/" + strings.Repeat("a/", 600) + "z", "text/html"},
}

func TestLayoutGolden(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("# URL, media type and the path PathFor gives, tab-separated; go test -update rewrites it.\n")
	for _, g := range goldenURLs {
		u, err := url.Parse(g.url)
		if err != nil {
			t.Fatalf("url.Parse(%q): %v", g.url, err)
		}
		fmt.Fprintf(&buf, "%s\t%s\t%s\n", g.url, g.mediaType, PathFor(u, g.mediaType))
	}
	golden := filepath.Join("testdata", "layout.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s:%d:\ngot  %q\nwant %q", golden, i+1, g, w)
		}
	}
	t.Log("run go test -update to accept the new layout")
}
