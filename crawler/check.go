package crawler

import (
	"io"
	"net/http"

	"github.com/crawl-dev/crawl/frontier"
)

// Link checks (Config.CheckLinks). A link on an in-scope HTML page that
// the crawl does not follow (another host, left out by --include or
// --exclude, not kept by --accept/--reject, or one hop past MaxDepth) is
// queued like a page, with a check Mode, so that the frontier requests it
// once however many pages link to it, in breadth-first order, under the
// host's politeness, and keeps it across --state restarts and Redis
// workers. A check is requested by HEAD; a HEAD answered with an error
// is asked again by GET, as a request of its own at the host's pace. Its
// body is never parsed, saved or archived, and its links never followed;
// its redirects are checked in turn. robots.txt, Retry-After, backoff and
// the host budget apply as to any request.

// LinkVerdict is what an outcome says of a link to its URL.
type LinkVerdict uint8

// Link verdicts.
const (
	LinkOK      LinkVerdict = iota // no error, or one that is no verdict on the link (host budget, missing field)
	LinkBroken                     // every other error
	LinkBlocked                    // not checked: the site refused the crawler (403, 429, 999, robots.txt), or the address policy did
)

// String returns "", "broken" or "blocked".
func (v LinkVerdict) String() string {
	switch v {
	case LinkBroken:
		return "broken"
	case LinkBlocked:
		return "blocked"
	}
	return ""
}

// VerdictOf returns the verdict on a link to a URL whose final outcome
// (redirects followed) has error kind k.
func VerdictOf(k ErrorKind) LinkVerdict {
	switch k {
	case KindNone, KindHostBudget, KindMissingField:
		return LinkOK
	case KindBlocked, KindRobotsDisallowed, KindRobotsUnavailable, KindPrivateAddress:
		return LinkBlocked
	}
	return LinkBroken
}

// Item modes: how the crawler requests an item.
const (
	modePage        uint8 = iota // an ordinary page: GET, parsed, followed
	modeCheckHead                // a link check, by HEAD
	modeCheckGet                 // a link check by GET, after HEAD was answered with an error
	modeSitemapFind              // an origin's sitemaps to find: robots.txt's Sitemap lines or /sitemap.xml (sitemap.go)
	modeSitemap                  // a sitemap or sitemap index: GET, read as a sitemap
	modeSitemapPage              // a page a sitemap lists: a page whose record says source sitemap
	modeGoneSweep                // the gone sweep's sentinel (history.go)
	modeGone                     // a URL of the previous crawl not reached: a gone record, no request
)

// checkBodyMax is how much of a check's GET body is read, and discarded,
// so that the connection can be reused for a small body; a larger one
// closes the connection instead of being downloaded.
const checkBodyMax = 64 << 10

// isCheck reports whether it is a link check.
func isCheck(it *frontier.Item) bool { return it.Mode == modeCheckHead || it.Mode == modeCheckGet }

// confirmByGet reports whether a HEAD answer must be confirmed by a GET
// before the link is called broken: the method is refused (405, 501), or
// the answer is another error, which many servers give HEAD where GET
// works (403, 404, 500). A request to slow down (408, 429) is retried as
// HEAD like any other.
func confirmByGet(status int) bool {
	return status >= 400 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// method returns the HTTP method the item is requested with.
func method(it *frontier.Item) string {
	if it.Mode == modeCheckHead {
		return http.MethodHead
	}
	return http.MethodGet
}

// readCheckBody reads at most checkBodyMax bytes of a check's body and
// returns how many it read. A failure while reading is not the link's:
// the status it came to learn has arrived.
func readCheckBody(body io.Reader) int64 {
	n, _ := io.Copy(io.Discard, io.LimitReader(body, checkBodyMax)) // see above
	return n
}

// checkRobotsKind is the kind of a link check whose robots.txt could not
// be fetched: the network error's kind when the host did not answer, else
// robots_unavailable (robots.txt answered 429 or 5xx).
func checkRobotsKind(err error) ErrorKind {
	for _, e := range unwrapAll(err) {
		if k := classifyError(e); k != KindOther && k != KindRobotsUnavailable {
			return k
		}
	}
	return KindRobotsUnavailable
}

// unwrapAll returns err and every error it wraps, depth first.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	all := []error{err}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		all = append(all, unwrapAll(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			all = append(all, unwrapAll(e)...)
		}
	}
	return all
}

// followIfInScope turns a link check back into a page when its link is
// followed after all: a seed's redirect widened the scope to its host
// after the link was found (on another seed's page). Without it the check
// would take the URL's one record, and the page would never be crawled.
// A check reached through redirects stays one: the crawl does not follow
// what an off-site link leads to.
func (c *Crawler) followIfInScope(it *frontier.Item) {
	if !isCheck(it) || it.Hops > 0 || it.Depth-c.base > c.cfg.MaxDepth {
		return
	}
	if _, v := c.scope.item(it.URL, it.Depth, it.Parent, 0); v == follow && !c.skipsLink(*it) {
		it.Mode = modePage
	}
}

// asCheck makes a link the crawl does not follow into a link check, when
// the crawl checks links; ok is false otherwise.
func (c *Crawler) asCheck(it frontier.Item, v verdict) (frontier.Item, bool) {
	if !c.cfg.CheckLinks || v == drop {
		return frontier.Item{}, false
	}
	it.Mode = modeCheckHead
	return it, true
}
