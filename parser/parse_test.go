package parser

import (
	"bytes"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.links.golden and the benchmark pages")

// goldenPageURL is the URL every testdata/*.html fixture is parsed as.
const goldenPageURL = "https://www.example.com/dir/page.html"

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// formatGolden renders a Page as a golden file: one link per line, then the
// title and the other fields.
func formatGolden(p *Page) []byte {
	var b bytes.Buffer
	for _, l := range p.Links {
		fmt.Fprintln(&b, l)
	}
	fmt.Fprintf(&b, "\ntitle: %s\nbase: %s\ncharset: %s\nnoindex: %v\nnofollow: %v\n",
		p.Title, p.Base, p.Charset, p.NoIndex, p.NoFollow)
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.html")
	}
	page := mustURL(t, goldenPageURL)
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			body, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(body, "text/html", page, nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := formatGolden(p)
			checkGolden(t, strings.TrimSuffix(name, ".html")+".links.golden", got)
		})
	}
}

// checkGolden compares got with the golden file, or with -update writes it.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./parser -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant (%s)\n%s", got, golden, want)
	}
}

func parseFixture(t *testing.T, name string) *Page {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(body, "text/html", mustURL(t, goldenPageURL), nil)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return p
}

// TestMalformedHidden asserts what the golden file could be regenerated
// into hiding: no link from comments, scripts, styles, templates, noscript or
// textarea, and the first real <title>.
func TestMalformedHidden(t *testing.T) {
	p := parseFixture(t, "malformed.html")
	for _, l := range p.Links {
		if strings.Contains(l, "/in-") {
			t.Errorf("link %q comes from text that is not markup", l)
		}
	}
	for _, want := range []string{
		"https://www.example.com/unquoted?x=1&y=2",
		"https://www.example.com/entities?a=1&b=2%3CAB%C2%A9",
		"https://www.example.com/with-newlines",
		"https://www.example.com/inside/tabbed",
		"https://www.example.com/UPPER-CASE",
		"https://www.example.com/nested-inner",
		"https://www.example.com/svg-link",
	} {
		if !slices.Contains(p.Links, want) {
			t.Errorf("links lack %q; got %q", want, p.Links)
		}
	}
	if want := "Malformed & broken <b>page"; p.Title != want {
		t.Errorf("Title = %q, want %q", p.Title, want)
	}
}

func TestBaseHref(t *testing.T) {
	p := parseFixture(t, "base.html")
	want := []string{
		"https://www.example.com/other/dir/before-base.html",
		"https://www.example.com/other/dir/after-base.html",
		"https://www.example.com/other/dir/",
		"https://www.example.com/absolute-path",
		"https://elsewhere.example.org/",
	}
	if !slices.Equal(p.Links, want) {
		t.Errorf("Links = %q, want %q", p.Links, want)
	}
	if want := "https://www.example.com/other/dir/"; p.Base != want {
		t.Errorf("Base = %q, want %q", p.Base, want)
	}

	p = parseFixture(t, "badbase.html")
	if p.Base != goldenPageURL {
		t.Errorf("Base = %q, want the page URL %q", p.Base, goldenPageURL)
	}
	if want := []string{"https://www.example.com/dir/relative.html"}; !slices.Equal(p.Links, want) {
		t.Errorf("Links = %q, want %q", p.Links, want)
	}
}

func TestRobotsMeta(t *testing.T) {
	tests := []struct {
		name, html        string
		noIndex, noFollow bool
	}{
		{"none", `<meta name="robots" content="none">`, true, true},
		{"both", `<meta name="robots" content="noindex,nofollow">`, true, true},
		{"noindex", `<meta name="Robots" content="NOINDEX">`, true, false},
		{"nofollow split over tags", `<meta name="robots" content="index"><meta name=robots content=" nofollow ">`, false, true},
		{"other bot", `<meta name="googlebot" content="none">`, false, false},
		{"absent", `<title>x</title>`, false, false},
		{"not a directive", `<meta name="robots" content="noindexing, follow">`, false, false},
	}
	page := mustURL(t, goldenPageURL)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.html), "", page, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.NoIndex != tt.noIndex || p.NoFollow != tt.noFollow {
				t.Errorf("Parse(%q): NoIndex, NoFollow = %v, %v; want %v, %v",
					tt.html, p.NoIndex, p.NoFollow, tt.noIndex, tt.noFollow)
			}
		})
	}
}

func TestParseLinkElements(t *testing.T) {
	const body = `<a href="/a">a</a><area href="/area"><frameset><frame src="/frame"></frameset>
<iframe src="/iframe"></iframe><img src="/img"><link href="/link"><script src="/script"></script>
<form action="/form"></form><a href="/a#again">dup</a><a href="/a">dup</a>`
	p, err := Parse([]byte(body), "text/html; charset=utf-8", mustURL(t, "http://x.com/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://x.com/a", "http://x.com/area", "http://x.com/iframe"}
	if !slices.Equal(p.Links, want) {
		t.Errorf("Links = %q, want %q", p.Links, want)
	}
	// A frameset document keeps its frames.
	const frames = `<html><head><title>f</title></head><frameset><frame src="/left"><frame src="/right"></frameset></html>`
	p, err = Parse([]byte(frames), "", mustURL(t, "http://x.com/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://x.com/left", "http://x.com/right"}; !slices.Equal(p.Links, want) {
		t.Errorf("frameset Links = %q, want %q", p.Links, want)
	}
}

func TestParseBadPageURL(t *testing.T) {
	for _, raw := range []string{"ftp://x.com/", "/relative", "mailto:a@x.com"} {
		if _, err := Parse([]byte("<a href=/x>"), "", mustURL(t, raw), nil); err == nil {
			t.Errorf("Parse with page URL %q: no error", raw)
		}
	}
	if _, err := Parse([]byte("<a href=/x>"), "", nil, nil); err == nil {
		t.Error("Parse with a nil page URL: no error")
	}
}

func TestParseEmpty(t *testing.T) {
	p, err := Parse(nil, "", mustURL(t, "http://x.com/a#f"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "" || p.Links == nil || len(p.Links) != 0 || p.Base != "http://x.com/a" {
		t.Errorf("Parse(nil) = %+v, want no title, empty non-nil links, base http://x.com/a", p)
	}
}
