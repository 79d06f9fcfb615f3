package parser

import (
	"net/url"
	"testing"
)

// linkResolverTests are hrefs with the way linkResolver must take: plain
// ones directly, every other one through net/url. want is what both ways
// give.
var linkResolverTests = []struct {
	name, base, ref string
	plain           bool
	want            string
}{
	{"absolute path", "http://h.example/a/b", "/x/y.html", true, "http://h.example/x/y.html"},
	{"relative file", "http://h.example/a/b", "c.html", true, "http://h.example/a/c.html"},
	{"parent", "http://h.example/a/b/c", "../d", true, "http://h.example/a/d"},
	{"above the root", "http://h.example/a", "../../d", true, "http://h.example/d"},
	{"dot", "http://h.example/a/b", ".", true, "http://h.example/a/"},
	{"dot dot", "http://h.example/a/b/c", "..", true, "http://h.example/a/"},
	{"dots inside", "http://h.example/", "/a/./b/../c/", true, "http://h.example/a/c/"},
	{"empty segments", "http://h.example/a//b", "../c", false, "http://h.example/a/c"},
	{"empty segment after dots", "http://0", "..//", false, "http://0.0.0.0/"},
	{"query", "http://h.example/a/b?x=1", "c?y=2&z=/?", true, "http://h.example/a/c?y=2&z=/?"},
	{"query only", "http://h.example/a/b?x=1", "?y=2", true, "http://h.example/a/b?y=2"},
	{"empty query", "http://h.example/a/b?x=1", "?", true, "http://h.example/a/b?"},
	{"fragment only", "http://h.example/a/b?x=1#f", "#top", true, "http://h.example/a/b?x=1"},
	{"empty", "http://h.example/a/b?x=1", "", true, "http://h.example/a/b?x=1"},
	{"empty, base with empty query", "http://0?", " ", true, "http://0.0.0.0/"},
	{"fragment dropped", "http://h.example/a/", "b#c:d%", true, "http://h.example/a/b"},
	{"trimmed", "http://h.example/a/", "\t b \n", true, "http://h.example/a/b"},
	{"sub-delimiters", "http://h.example/", "/a!$&'()*+,;=b", true, "http://h.example/a!$&'()*+,;=b"},
	{"port and userinfo kept", "http://u:p@h.example:8080/a/b", "c", true, "http://u:p@h.example:8080/a/c"},
	{"default port dropped", "HTTP://H.Example:80/a/b", "c", true, "http://h.example/a/c"},
	{"base with escapes", "http://h.example/%7Ea/%2e%2e/b/c", "d", true, "http://h.example/b/d"},

	{"base with empty segments", "http://0//%2e%2e", "0", false, "http://0.0.0.0//0"},
	{"base ending in a dot segment", "http://0/..0/.%2e", "0", false, "http://0.0.0.0/..0/0"},
	{"base with a space and a dot segment", "http://0/ /.%2e", "0", false, "http://0.0.0.0/%20/0"},
	{"base ending in dot dot", "http://h.example/a/b/..", "c", false, "http://h.example/a/b/c"},

	{"network path", "http://h.example/a", "//other.example/x", false, "http://other.example/x"},
	{"scheme", "http://h.example/a", "https://other.example/x", false, "https://other.example/x"},
	{"colon", "http://h.example/a", "a:b", false, ""},
	{"colon after slash", "http://h.example/a", "./a:b", false, "http://h.example/a:b"},
	{"escape", "http://h.example/a", "/caf%c3%a9/%7e", false, "http://h.example/caf%C3%A9/~"},
	{"space", "http://h.example/a", "/a b", false, "http://h.example/a%20b"},
	{"backslash", "http://h.example/a", "\\x", false, "http://h.example/x"},
	{"tab inside", "http://h.example/a", "/x\ty", false, "http://h.example/xy"},
	{"non-ASCII", "http://h.example/a", "/é", false, "http://h.example/%C3%A9"},
	{"at sign", "http://h.example/a", "/@x", false, "http://h.example/@x"},
}

func TestLinkResolver(t *testing.T) {
	for _, tt := range linkResolverTests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestResolver(t, tt.base)
			_, plain := r.plain(tt.ref)
			if plain != tt.plain {
				t.Errorf("plain(%q) took it: %v, want %v", tt.ref, plain, tt.plain)
			}
			got, ok := r.resolve(tt.ref)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("resolve(%q) = %q, %v; want %q", tt.ref, got, ok, tt.want)
			}
		})
	}
}

// newTestResolver is the resolver Parse makes for a page at rawBase.
func newTestResolver(tb testing.TB, rawBase string) *linkResolver {
	tb.Helper()
	base, err := url.Parse(rawBase)
	if err != nil {
		tb.Fatal(err)
	}
	form, err := fetchForm(new(url.URL).ResolveReference(base), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return newLinkResolver(base, form, nil)
}

// FuzzLinkResolver checks that the direct way of linkResolver gives the
// URL that net/url and fetchForm give, for every href it takes.
func FuzzLinkResolver(f *testing.F) {
	for _, tt := range linkResolverTests {
		f.Add(tt.base, tt.ref)
	}
	for _, tt := range resolveTests {
		f.Add(tt.base, tt.ref)
	}
	f.Fuzz(func(t *testing.T, rawBase, ref string) {
		base, err := url.Parse(rawBase)
		if err != nil {
			return
		}
		form, err := fetchForm(new(url.URL).ResolveReference(base), nil)
		if err != nil {
			return // Parse rejects such a page URL
		}
		r := newLinkResolver(base, form, nil)
		got, ok := r.resolve(ref)
		want, wantOK := Resolve(base, ref)
		if got != want || ok != wantOK {
			_, plain := r.plain(ref)
			t.Fatalf("base %q ref %q (plain %v): resolve = %q, %v; Resolve = %q, %v",
				rawBase, ref, plain, got, ok, want, wantOK)
		}
	})
}
