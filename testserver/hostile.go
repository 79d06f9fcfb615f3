package testserver

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fixtures selects groups of hostile fixtures for NewHostile. Combine with
// |, or use AllFixtures.
type Fixtures uint32

const (
	// SlowFixtures: a page that never answers, one that drips a byte per
	// Drip interval forever after its headers, one with a fixed Latency.
	SlowFixtures Fixtures = 1 << iota
	// SizeFixtures: an endless body, a LargeSize body (HTML and binary),
	// and a gzip bomb that inflates to more than 1 GiB.
	SizeFixtures
	// RedirectFixtures: a self-redirect, a two-cycle, a chain past the
	// redirect limit, a redirect to another host, garbage and non-http
	// Locations, a relative Location, a 3xx without Location, a 304.
	RedirectFixtures
	// TrapFixtures: an endless calendar, growing paths, deepening paths,
	// session ids in the query and the path, repeated segments.
	TrapFixtures
	// RetryFixtures: 429 with Retry-After in seconds and as an HTTP-date,
	// 503 with and without Retry-After, a page that fails FailFirst times
	// before it succeeds, 408, 403 and 410.
	RetryFixtures
	// MarkupFixtures: malformed HTML with real links, links hidden in
	// comments, scripts, styles and raw-text elements, <base href>, hrefs
	// wrapped in white space, non-http and invalid URLs, meta robots
	// nofollow.
	MarkupFixtures
	// CharsetFixtures: titles in Shift_JIS, ISO-8859-1 and windows-1252,
	// declared by header, <meta charset> or <meta http-equiv>, UTF-8 and
	// UTF-16 byte order marks, and undeclared encodings.
	CharsetFixtures
	// TypeFixtures: binary garbage served as text/html, a PDF, a PNG, an
	// empty body, a page without Content-Type, XHTML, an upper-case type.
	TypeFixtures

	// AllFixtures selects every group above.
	AllFixtures = SlowFixtures | SizeFixtures | RedirectFixtures | TrapFixtures |
		RetryFixtures | MarkupFixtures | CharsetFixtures | TypeFixtures
)

var fixtureNames = []flagName[Fixtures]{
	{SlowFixtures, "slow"},
	{SizeFixtures, "size"},
	{RedirectFixtures, "redirects"},
	{TrapFixtures, "traps"},
	{RetryFixtures, "retry"},
	{MarkupFixtures, "markup"},
	{CharsetFixtures, "charset"},
	{TypeFixtures, "types"},
}

// String returns the comma-separated group names, "none" or "all".
func (f Fixtures) String() string { return flagsString(f, fixtureNames, AllFixtures) }

// ParseFixtures parses "all", "none", "" (none) or a comma-separated list of
// group names (slow, size, redirects, traps, retry, markup, charset, types),
// case-insensitive; a leading "-" removes a group ("all,-slow").
func ParseFixtures(s string) (Fixtures, error) {
	return parseFlags(s, "fixture group", fixtureNames, AllFixtures)
}

// Defaults applied by NewHostile.
const (
	DefaultHostileLatency = time.Second
	DefaultDrip           = time.Second
	DefaultLargeSize      = 200_000_000
	DefaultRetryAfter     = 2 * time.Second
	DefaultFailFirst      = 2
	// BombSize is how many bytes /size/bomb inflates to: more than 1 GiB.
	BombSize = int64(bombPrefixLen) + bombMembers*bombChunk
)

// HostileConfig describes a hostile site. The zero value selects every
// fixture with the defaults above.
type HostileConfig struct {
	// Fixtures selects the fixture groups; 0 means AllFixtures.
	Fixtures Fixtures
	// Seed seeds the garbage bodies: one Config gives the same bytes.
	Seed int64
	// Latency is how long /slow/latency waits before it answers (<= 0:
	// DefaultHostileLatency).
	Latency time.Duration
	// Drip is the interval between the bytes of /slow/drip (<= 0:
	// DefaultDrip).
	Drip time.Duration
	// LargeSize is the body length of /size/large and /size/large.bin
	// (<= 0: DefaultLargeSize). The body is streamed, never held whole.
	LargeSize int64
	// RetryAfter is what the 429 and 503 fixtures ask a client to wait,
	// rounded to whole seconds, at least 1s (<= 0: DefaultRetryAfter). The
	// HTTP-date form is rounded up, so it never asks for less.
	RetryAfter time.Duration
	// FailFirst is how many requests /retry/flaky answers with 500 before
	// it serves its page (<= 0: DefaultFailFirst).
	FailFirst int
}

func (c HostileConfig) withDefaults() HostileConfig {
	if c.Fixtures == 0 {
		c.Fixtures = AllFixtures
	}
	if c.Latency <= 0 {
		c.Latency = DefaultHostileLatency
	}
	if c.Drip <= 0 {
		c.Drip = DefaultDrip
	}
	if c.LargeSize <= 0 {
		c.LargeSize = DefaultLargeSize
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	c.RetryAfter = c.RetryAfter.Round(time.Second)
	if c.RetryAfter < time.Second {
		c.RetryAfter = time.Second
	}
	if c.FailFirst <= 0 {
		c.FailFirst = DefaultFailFirst
	}
	return c
}

// action is how a fixture is served beyond a plain response.
type action uint8

const (
	actStatic  action = iota // status, headers and body, at once
	actNever                 // no answer at all until the request's context ends
	actDrip                  // headers, then one body byte per Drip, forever
	actEndless               // headers, then a body that never ends
	actSized                 // a body of size bytes, streamed from a small buffer
	actBomb                  // Content-Encoding: gzip, inflating to BombSize bytes
	actSession               // a page whose self link carries a fresh session id
)

// retryStyle is how a fixture spells Retry-After.
type retryStyle uint8

const (
	retryNone retryStyle = iota
	retrySeconds
	retryDate
)

// fixture is one resource of a hostile site and the single description
// that both the handler and the expectation read: how it is served (action,
// status, headers, body) and what a crawler can learn from it (title,
// links, redirect target). Fixtures are immutable once built, except for
// the session counter.
type fixture struct {
	path   string // canonical path with query
	act    action
	status int
	ctype  []string // Content-Type; nil sends none (not even a sniffed one)
	title  string   // decoded <title> of an HTML 2xx response
	// links are the link targets a parser must extract, in document
	// order: normalized paths on this site, or absolute URLs on others.
	links    []string
	nofollow bool   // <meta name="robots" content="nofollow">
	body     []byte // the body, or the first bytes of a stream
	size     int64  // body length of actSized; -1 for bodies that never end
	location string // Location as sent; "" sends none
	// target is the normalized Location: a path on this site, an absolute
	// URL on another host, or "" when the Location is unusable.
	target     string
	retryAfter retryStyle
	encoding   string        // Content-Encoding
	delay      time.Duration // wait before answering
	// failFirst > 0: the first failFirst requests get failStatus with
	// failBody (an HTML error page) instead.
	failFirst  int64
	failStatus int
	failBody   []byte
	session    string // actSession: what precedes the id in the self link
	views      atomic.Int64
}

// hostile is the model of a hostile or robots site, beside the nodes that
// hold its fixed fixtures.
type hostile struct {
	cfg      HostileConfig
	traps    bool // the generated trap families are served
	sessions []*fixture
	external []string
	robots   robotsModel
	bomb     func() ([]byte, error) // the gzip bomb, built at first use
}

// reset restarts the per-fixture counters a crawl changes.
func (h *hostile) reset() {
	for _, f := range h.sessions {
		f.views.Store(0)
	}
}

// resolve returns the fixture served at a canonical path, nil for none.
func (s *Site) resolve(path string) *fixture {
	if n := s.byPath[path]; n != nil {
		return n.fx
	}
	if s.hostile == nil {
		return nil
	}
	return s.hostile.dynamic(s, path)
}

// dynamic returns the fixture of a path outside the fixed nodes: a page of
// a generated trap family, or a session page asked for with a session id.
func (h *hostile) dynamic(s *Site, path string) *fixture {
	if h.traps {
		if f := trapPage(path); f != nil {
			return f
		}
	}
	if k := dedupKey(path); k != path {
		if n := s.byPath[k]; n != nil && n.fx != nil && n.fx.act == actSession {
			return n.fx
		}
	}
	return nil
}

// hostileBuilder assembles the fixtures of a site.
type hostileBuilder struct {
	cfg   HostileConfig
	fx    []*fixture
	home  []string // the links of "/"
	traps map[string]bool
	ext   []string
}

func (b *hostileBuilder) add(f *fixture) *fixture {
	b.fx = append(b.fx, f)
	return f
}

// entry links the home page to path.
func (b *hostileBuilder) entry(path string) { b.home = append(b.home, path) }

// page adds an HTML 200 page with a title and links, in the standard layout.
func (b *hostileBuilder) page(path, title string, links ...string) *fixture {
	return b.add(&fixture{path: path, status: 200, ctype: htmlType, title: title, links: links,
		body: pageHTML(title, links, "")})
}

// trap adds (once) a page that only things a crawler must not follow point
// to, and returns its path: following one shows in the request log.
func (b *hostileBuilder) trap(name string) string {
	path := "/trap/" + name
	if !b.traps[path] {
		b.traps[path] = true
		b.page(path, "Trap: "+name)
	}
	return path
}

// errorPage adds a fixture answering status with an HTML page that links
// to a trap (error pages are not parsed).
func (b *hostileBuilder) errorPage(path string, status int) *fixture {
	return b.add(&fixture{path: path, status: status, ctype: htmlType, body: errorHTML(status, b.trap("error-body"))})
}

// pageHTML renders a plain HTML page: a title, a list of links (written as
// given), and extra markup at the end of the body.
func pageHTML(title string, hrefs []string, extra string) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
	b.WriteString(escapeString(title))
	b.WriteString("</title>\n</head>\n<body>\n<h1>")
	b.WriteString(escapeString(title))
	b.WriteString("</h1>\n<ul>\n")
	for _, h := range hrefs {
		b.WriteString("<li><a href=\"")
		b.WriteString(escapeString(h))
		b.WriteString("\">")
		b.WriteString(escapeString(h))
		b.WriteString("</a></li>\n")
	}
	b.WriteString("</ul>\n")
	b.WriteString(extra)
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String())
}

func errorHTML(status int, trap string) []byte {
	title := itoa(status) + " " + statusName(status)
	return pageHTML(title, nil, "<p>Error pages are not parsed: <a href=\""+trap+"\">do not follow</a></p>\n")
}

// NewHostile builds a site of hostile fixtures: what real broken and
// hostile sites do, each served as it would be and each with the outcome a
// crawl must record (Expect, ExpectCrawl). "/" links to one entry point of
// every fixture; robots.txt is 404 (everything allowed). See doc.go for the
// paths. NewHostile starts no goroutines; a fixture's handler returns when
// its response is done, a Write fails or the request's context ends.
func NewHostile(cfg HostileConfig) *Site {
	cfg = cfg.withDefaults()
	b := &hostileBuilder{cfg: cfg, traps: make(map[string]bool)}
	groups := []struct {
		f   Fixtures
		add func()
	}{
		{SlowFixtures, b.slow},
		{SizeFixtures, b.sizes},
		{RedirectFixtures, b.redirects},
		{TrapFixtures, b.trapFamilies},
		{RetryFixtures, b.retries},
		{MarkupFixtures, b.markup},
		{CharsetFixtures, b.charsets},
		{TypeFixtures, b.types},
	}
	for _, g := range groups {
		if cfg.Fixtures&g.f != 0 {
			g.add()
		}
	}
	b.add(&fixture{path: "/", status: 200, ctype: htmlType, title: "Hostile site", links: b.home,
		body: pageHTML("Hostile site", b.home, "")})
	h := &hostile{cfg: cfg, traps: cfg.Fixtures&TrapFixtures != 0, external: b.ext,
		robots: robotsModel{mode: RobotsNotFound}}
	h.bomb = sync.OnceValues(buildBomb)
	b.robots(h.robots, cfg.Seed)
	return b.site(h)
}

// site wraps the fixtures in nodes (for the request counters) and returns
// the Site.
func (b *hostileBuilder) site(h *hostile) *Site {
	s := &Site{
		byPath:     make(map[string]*node, len(b.fx)),
		unknown:    make(map[string]*counter),
		maxUnknown: maxUnknown,
		log:        requestLog{max: DefaultMaxLog},
		hostile:    h,
	}
	for _, f := range b.fx {
		n := &node{id: int32(len(s.nodes)), path: f.path, status: f.status, ctype: f.ctype, title: f.title,
			target: -1, delay: f.delay, fx: f}
		s.nodes = append(s.nodes, n)
		s.byPath[f.path] = n
		if f.act == actSession {
			h.sessions = append(h.sessions, f)
		}
	}
	s.robots = s.byPath["/robots.txt"]
	return s
}
