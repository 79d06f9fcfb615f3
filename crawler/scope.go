package crawler

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/parser"
)

// scope decides which discovered URLs a crawl follows. A link is in scope
// when it matches the scope relative to any seed: the seeds' hosts (with
// ports) for ScopeHost, their registrable domains for ScopeDomain. A seed
// that redirects widens the scope to the redirect's target, so that a seed
// such as http://example.com that moves to https://www.example.com/ is still
// crawled; so does a page leased from the frontier (ensure), since pages
// are queued only in scope, so that the widening holds in every process
// of a shared crawl and after a resume. Safe for concurrent use.
type scope struct {
	kind             Scope
	include, exclude []*regexp.Regexp
	maxURLLength     int
	maxRepeats       int // 0: no check

	mu    sync.RWMutex
	hosts map[string]bool // host[:port] for ScopeHost, registrable domain for ScopeDomain
}

func newScope(cfg Config) *scope {
	return &scope{
		kind:         cfg.Scope,
		include:      cfg.Include,
		exclude:      cfg.Exclude,
		maxURLLength: cfg.MaxURLLength,
		maxRepeats:   cfg.MaxRepeats,
		hosts:        make(map[string]bool),
	}
}

// allow adds the host of u (a parsed, normalized URL) to the scope.
func (s *scope) allow(u *url.URL) {
	key := s.key(u)
	s.mu.Lock()
	s.hosts[key] = true
	s.mu.Unlock()
}

// ensure adds the host of u to the scope unless it is in already.
func (s *scope) ensure(u *url.URL) {
	if s.kind != ScopeAll && !s.inScope(u) {
		s.allow(u)
	}
}

// key is what the scope compares for u.
func (s *scope) key(u *url.URL) string {
	if s.kind != ScopeDomain {
		return u.Host
	}
	h := u.Hostname()
	if net.ParseIP(h) != nil {
		return h
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		// A public suffix itself or a single label such as localhost:
		// the host is its own domain.
		return h
	}
	return d
}

// inScope reports whether u's host is within the crawl's scope.
func (s *scope) inScope(u *url.URL) bool {
	if s.kind == ScopeAll {
		return true
	}
	key := s.key(u)
	s.mu.RLock()
	ok := s.hosts[key]
	s.mu.RUnlock()
	return ok
}

// filter reports whether a link passes the include and exclude patterns.
func (s *scope) filter(link string) bool {
	for _, re := range s.exclude {
		if re.MatchString(link) {
			return false
		}
	}
	if len(s.include) == 0 {
		return true
	}
	for _, re := range s.include {
		if re.MatchString(link) {
			return true
		}
	}
	return false
}

// verdict is what the scope says of a link.
type verdict uint8

const (
	follow  verdict = iota // in scope: crawl it
	outside                // another host, or left out by the include and exclude patterns: only a link check requests it
	drop                   // too long, unusable, or a trap (repeated segments): never requested
)

// item makes the frontier item for a normalized link and says whether the
// crawl follows it. The item is empty when the verdict is drop.
func (s *scope) item(link string, depth int, parent string, hops int) (frontier.Item, verdict) {
	if len(link) > s.maxURLLength {
		return frontier.Item{}, drop
	}
	u, err := url.Parse(link)
	if err != nil || (s.maxRepeats > 0 && repeatsSegment(u.EscapedPath(), s.maxRepeats)) {
		return frontier.Item{}, drop
	}
	it := newItem(link, u, depth, parent, hops)
	if !s.filter(link) || !s.inScope(u) {
		return it, outside
	}
	return it, follow
}

// newItem builds a frontier item for a normalized URL.
func newItem(link string, u *url.URL, depth int, parent string, hops int) frontier.Item {
	it := frontier.Item{
		URL:    link,
		Host:   strings.ToLower(u.Host),
		Depth:  depth,
		Parent: parent,
		Hops:   hops,
	}
	if key := parser.DedupKey(link); key != link {
		it.Key = key
	}
	return it
}

// repeatsSegment reports whether some non-empty segment of path occurs more
// than limit times (/a/b/a/b/a/b repeats "a" three times).
func repeatsSegment(path string, limit int) bool {
	if strings.Count(path, "/") <= limit {
		return false
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == "" {
			continue
		}
		n := 1
		for _, t := range segs[i+1:] {
			if t == s {
				n++
			}
		}
		if n > limit {
			return true
		}
	}
	return false
}
