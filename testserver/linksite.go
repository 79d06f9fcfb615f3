package testserver

import (
	"cmp"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LinkSite is a small site for link checking (crawl --check-links, crawl
// links): its pages link to URLs of known outcome on two other hosts and
// on a host where nothing listens, and to pages of its own that are broken
// or lie past the crawl's depth. One handler serves the site and the other
// hosts, told apart by the request's Host, so a test serves it on three
// loopback addresses (127.0.0.1, 127.0.0.2, 127.0.0.3) and names a fourth
// address where nothing listens.
//
// The site ("/", depth 0) links to /a and /b (depth 1), /missing (404),
// and to every off-site fixture. /a links to /deep and /deep-missing, one
// hop past depth 1, and again to /gone with two other texts; /b links to
// /excluded/x, which a crawl leaves out with --exclude /excluded/.
//
// Off-site fixtures on Offsite[0]:
//
//	/ok           200 (its link to /never must not be followed)
//	/gone /removed 404, 410 to HEAD and GET: broken
//	/error        500 to everything: broken, retried as GET
//	/moved        301 to /ok; /moved-gone 302 to /gone: broken
//	/forbidden    403 to HEAD and GET: blocked
//	/busy         429 with Retry-After (LinkRetryAfter) to everything: blocked
//	/busy-once    429 with Retry-After to the first request, then 200
//	/maintenance  503 with Retry-After to HEAD, 200 to GET: the GET waits
//	/no-head      405 to HEAD, 200 to GET; /no-head-501 the same with 501
//	/head-404     404 to HEAD, 200 to GET (a server that mishandles HEAD)
//
// Offsite[1] has a robots.txt that disallows /private/, a page /fine and
// /moved-away (301 to Offsite[0]'s /ok); the dead host's link is
// connection_refused.
type LinkSite struct {
	site, dead string
	offsite    [2]string
	fixtures   map[string]linkFixture // by host+path
	log        requestLog

	seq  atomic.Int64
	mu   sync.Mutex
	hits map[string]int // requests by host+path
}

// LinkRetryAfter is the Retry-After, in seconds, of the 429 fixtures.
const LinkRetryAfter = 1

// LinkVerdict is what a link checker must conclude about one link.
type LinkVerdict string

// Link verdicts.
const (
	LinkOK      LinkVerdict = ""
	LinkBroken  LinkVerdict = "broken"
	LinkBlocked LinkVerdict = "blocked"
)

// LinkOutcome is the expected record of a checked URL and the verdict on
// links to it.
type LinkOutcome struct {
	// Status and ErrorKind are the URL's record's ("" for none).
	Status    int
	ErrorKind string
	// Verdict is the verdict on a link to the URL (its redirects
	// followed).
	Verdict LinkVerdict
	// Methods are the requests the URL gets, in order, with the retries
	// given to Expect; nil for a URL never requested.
	Methods []string
	// Check is true when the URL is recorded as a link check, false for
	// a page the crawl fetches as such.
	Check bool
}

// linkFixture is one URL of the site or of an off-site host.
type linkFixture struct {
	serve func(w http.ResponseWriter, r *http.Request, n int) // n: requests before this one
	want  func(retries int) LinkOutcome
}

// A Link is one link element on a page of the site.
type Link struct {
	Page, URL, Text string
}

// NewLinkSite builds the site served at site ("http://127.0.0.1:PORT"),
// with its off-site hosts at offsite[0] and offsite[1] and nothing
// listening at dead, all base URLs without a trailing slash.
func NewLinkSite(site string, offsite [2]string, dead string) *LinkSite {
	s := &LinkSite{site: site, offsite: offsite, dead: dead, hits: make(map[string]int), log: requestLog{max: DefaultMaxLog}}
	s.fixtures = s.buildFixtures()
	return s
}

// Handler serves the site and its off-site hosts.
func (s *LinkSite) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Host + r.URL.Path
		s.mu.Lock()
		n := s.hits[key]
		s.hits[key]++
		s.mu.Unlock()
		entry := Request{Seq: s.seq.Add(1), Method: r.Method, Host: r.Host, UserAgent: r.UserAgent(), Path: r.URL.RequestURI(), Start: time.Now()}
		lw := &logWriter{ResponseWriter: w}
		if f, ok := s.fixtures[key]; ok {
			f.serve(lw, r, n)
		} else {
			http.NotFound(lw, r) // robots.txt of the hosts without one, /never
		}
		entry.End, entry.Status, entry.Bytes = time.Now(), lw.status, lw.bytes
		s.log.add(entry)
	})
}

// Log returns every request served, in the order they arrived.
func (s *LinkSite) Log() []Request {
	s.log.mu.Lock()
	out := slices.Clone(s.log.entries)
	s.log.mu.Unlock()
	slices.SortFunc(out, func(a, b Request) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// Links returns every link element of the site's pages, in page and
// document order.
func (s *LinkSite) Links() []Link {
	var all []Link
	for _, p := range []string{"/", "/a", "/b"} {
		for _, l := range s.pageLinks(p) {
			all = append(all, Link{Page: s.site + p, URL: l[0], Text: l[1]})
		}
	}
	return all
}

// Expect returns the expected outcome of every URL a crawl of the site to
// depth 1 with --check-links, --exclude /excluded/ and the given retries
// records, by URL.
func (s *LinkSite) Expect(retries int) map[string]LinkOutcome {
	out := make(map[string]LinkOutcome)
	for key, f := range s.fixtures {
		if f.want == nil {
			continue
		}
		out["http://"+key] = f.want(retries)
	}
	return out
}

// pageLinks are a page's links: absolute URL and text.
func (s *LinkSite) pageLinks(path string) [][2]string {
	a, b := s.offsite[0], s.offsite[1]
	switch path {
	case "/":
		return [][2]string{
			{s.site + "/a", "Page A"}, {s.site + "/b", "Page B"}, {s.site + "/missing", "Missing page"},
			{a + "/ok", "OK"}, {a + "/gone", "Gone"}, {a + "/removed", "Removed"}, {a + "/error", "Server error"},
			{a + "/moved", "Moved"}, {a + "/moved-gone", "Moved to gone"}, {a + "/forbidden", "Forbidden"},
			{a + "/busy", "Busy"}, {a + "/busy-once", "Busy once"}, {a + "/no-head", "No HEAD"},
			{a + "/no-head-501", "No HEAD 501"}, {a + "/head-404", "HEAD 404"}, {a + "/maintenance", "Maintenance"},
			{b + "/private/page", "Private"}, {b + "/fine", "Fine"}, {b + "/moved-away", "Moved away"},
			{s.dead + "/", "Dead host"},
		}
	case "/a":
		return [][2]string{
			{s.site + "/deep", "Deep"}, {s.site + "/deep-missing", "Deep missing"},
			{a + "/gone", "Gone again"}, {a + "/gone", "gone image"}, {a + "/ok", "OK"},
		}
	case "/b":
		return [][2]string{{s.site + "/excluded/x", "Excluded"}, {"mailto:x@example.com", "Mail"}}
	}
	return nil
}

// page serves an HTML page with the given links; img makes the link text
// of a repeated URL an image's alt.
func (s *LinkSite) page(path string) func(w http.ResponseWriter, r *http.Request, n int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		var b strings.Builder
		fmt.Fprintf(&b, "<!doctype html><html><head><title>%s</title></head><body>\n", html.EscapeString(path))
		for _, l := range s.pageLinks(path) {
			if l[1] == "gone image" {
				fmt.Fprintf(&b, "<a href=\"%s\"><img src=\"/x.png\" alt=\"%s\"></a>\n", html.EscapeString(l[0]), html.EscapeString(l[1]))
				continue
			}
			fmt.Fprintf(&b, "<a href=\"%s\">%s</a>\n", html.EscapeString(l[0]), html.EscapeString(l[1]))
		}
		b.WriteString("</body></html>\n")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(b.String()))
	}
}
