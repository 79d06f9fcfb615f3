package crawler

import (
	"net/url"
	"regexp"
	"testing"

	"github.com/crawl-dev/crawl/frontier"
)

func TestRepeatsSegment(t *testing.T) {
	tests := []struct {
		path  string
		limit int
		want  bool
	}{
		{"/", 2, false},
		{"/a/b/c", 2, false},
		{"/a/b/a/c", 2, false},
		{"/a/b/a/b/a/b", 2, true},
		{"/loop/x/loop/x/loop/x/", 2, true},
		{"/a//a//a", 2, true},
		{"/a/a", 1, true},
		{"/a/b", 1, false},
		{"/2026/11/2026/11", 2, false},
		{"/docs/v1/api/v1/x/v1", 2, true},
	}
	for _, tt := range tests {
		if got := repeatsSegment(tt.path, tt.limit); got != tt.want {
			t.Errorf("repeatsSegment(%q, %d) = %v, want %v", tt.path, tt.limit, got, tt.want)
		}
	}
}

func TestScope(t *testing.T) {
	mustParse := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name  string
		kind  Scope
		link  string
		allow bool
	}{
		{"host same", ScopeHost, "https://www.example.com/x", true},
		{"host other subdomain", ScopeHost, "https://docs.example.com/x", false},
		{"host other port", ScopeHost, "https://www.example.com:8443/x", false},
		{"domain subdomain", ScopeDomain, "https://docs.example.com/x", true},
		{"domain other", ScopeDomain, "https://example.org/x", false},
		{"domain public suffix trick", ScopeDomain, "https://evil.co.uk/", false},
		{"domain ip seed", ScopeDomain, "http://127.0.0.1:9/", true},
		{"all", ScopeAll, "https://anything.test/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Scope = tt.kind
			s := newScope(cfg)
			s.allow(mustParse("https://www.example.com/"))
			s.allow(mustParse("http://127.0.0.1:8080/"))
			if got := s.inScope(mustParse(tt.link)); got != tt.allow {
				t.Errorf("inScope(%q) = %v, want %v", tt.link, got, tt.allow)
			}
		})
	}
}

func TestScopeVerdict(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Include = []*regexp.Regexp{regexp.MustCompile(`/docs/`), regexp.MustCompile(`/blog/`)}
	cfg.Exclude = []*regexp.Regexp{regexp.MustCompile(`\.pdf$`)}
	cfg.MaxURLLength = 40
	cfg.MaxRepeats = 2
	s := newScope(cfg)
	u, _ := url.Parse("https://x.test/")
	s.allow(u)
	tests := []struct {
		link string
		want verdict
	}{
		{"https://x.test/docs/a", follow},
		{"https://x.test/blog/b", follow},
		{"https://x.test/shop/c", outside},                      // not included
		{"https://x.test/docs/manual.pdf", outside},             // excluded
		{"https://y.test/docs/a", outside},                      // another host
		{"https://x.test/docs/aaaaaaaaaaaaaaaaaaaaaaaaa", drop}, // too long
		{"https://y.test/docs/a/docs/a/docs/a", drop},           // a trap, even elsewhere
	}
	for _, tt := range tests {
		it, got := s.item(tt.link, 1, "https://x.test/", 0)
		if got != tt.want {
			t.Errorf("item(%q) verdict %d, want %d", tt.link, got, tt.want)
		}
		if (it.URL == "") != (got == drop) {
			t.Errorf("item(%q) = %+v with verdict %d", tt.link, it, got)
		}
	}
}

func TestLoopsBack(t *testing.T) {
	tests := []struct {
		name   string
		target string
		it     frontier.Item
		want   bool
	}{
		{"self", "http://x.test/a", frontier.Item{URL: "http://x.test/a"}, true},
		{"self with tracking param", "http://x.test/a?utm_source=z", frontier.Item{URL: "http://x.test/a"}, true},
		{"back to the redirecting page", "http://x.test/x", frontier.Item{URL: "http://x.test/y", Parent: "http://x.test/x", Hops: 1}, true},
		{"to the linking page is no loop", "http://x.test/x", frontier.Item{URL: "http://x.test/y", Parent: "http://x.test/x", Hops: 0}, false},
		{"elsewhere", "http://x.test/z", frontier.Item{URL: "http://x.test/y", Parent: "http://x.test/x", Hops: 1}, false},
	}
	for _, tt := range tests {
		if got := loopsBack(tt.target, &tt.it); got != tt.want {
			t.Errorf("%s: loopsBack(%q, %+v) = %v, want %v", tt.name, tt.target, tt.it, got, tt.want)
		}
	}
}
