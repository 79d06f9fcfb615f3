package crawler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/parser"
)

// Sitemaps (Config.Sitemaps) run in the frontier like any URL, before the
// pages, at depths of their own below the seeds':
//
//   - depth 0: one item per seed origin (modeSitemapFind, keyed so that no
//     link can be it) gets the origin's robots.txt as any URL does, and
//     completes without a record; its children are the sitemaps the
//     robots.txt names, or /sitemap.xml when it names none (or robots.txt
//     is ignored or unavailable);
//   - depths 1 to sitemapLevels-1: sitemaps (modeSitemap), each with a
//     record; an index's sitemaps are one depth down, so an index may
//     nest sitemapLevels-2 levels;
//   - depth sitemapLevels: the seeds and the URLs the sitemaps list
//     (modeSitemapPage), recorded as depth 0.
//
// So the breadth-first order that makes depths exact holds across them:
// every sitemap is read before any page is leased, a URL both listed and
// linked is recorded once at depth 0, and a shared frontier leases each
// origin's sitemaps to one process.
const sitemapLevels = 4

// sitemapKeyPrefix starts the dedup key of an origin's modeSitemapFind item.
const sitemapKeyPrefix = "sitemaps of "

// maxSitemaps bounds the sitemaps of one host that one process of a crawl
// queues, indexes included: a host that names 10,000 cannot crowd out
// another's.
const maxSitemaps = 1000

// sitemapBudget counts the distinct sitemaps queued per host. Safe for
// concurrent use.
type sitemapBudget struct {
	mu     sync.Mutex
	seen   map[string]bool
	byHost map[string]int
}

// take reports whether the sitemap it may be queued: new (queued is false
// for one already queued, which the frontier would drop) and within its
// host's budget (capped is true when it is not).
func (b *sitemapBudget) take(it frontier.Item) (queue, capped bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen == nil {
		b.seen, b.byHost = make(map[string]bool), make(map[string]int)
	}
	key := it.DedupKey()
	switch {
	case b.seen[key]:
		return false, false
	case b.byHost[it.Host] >= maxSitemaps:
		return false, true
	}
	b.seen[key] = true
	b.byHost[it.Host]++
	return true, false
}

// lastmodMark joins a sitemap URL and an entry's lastmod in the Parent of
// the entry's item: normalized URLs have no fragment, so the record can
// split them again (splitLastmod).
const lastmodMark = "#lastmod="

func splitLastmod(parent string) (sitemap, lastmod string) {
	sitemap, lastmod, _ = strings.Cut(parent, lastmodMark)
	return sitemap, lastmod
}

// sitemapFinders returns the modeSitemapFind items of the seeds' origins.
func sitemapFinders(seeds []frontier.Item) []frontier.Item {
	seen := make(map[string]bool)
	var items []frontier.Item
	for _, s := range seeds {
		u, err := url.Parse(s.URL)
		if err != nil {
			continue
		}
		origin := u.Scheme + "://" + u.Host
		if seen[origin] {
			continue
		}
		seen[origin] = true
		items = append(items, frontier.Item{
			URL: origin + "/robots.txt", Key: sitemapKeyPrefix + origin,
			Host: s.Host, Mode: modeSitemapFind,
		})
	}
	return items
}

// findSitemaps decides an origin's modeSitemapFind item: once robots.txt is
// known, the item completes without a record and queues the origin's
// sitemaps.
func (c *Crawler) findSitemaps(ctx context.Context, l *frontier.Lease, u *url.URL, log *zap.Logger) outcome {
	var named []string
	if !c.cfg.IgnoreRobots {
		o, rules, done := c.checkRobots(ctx, l, u, log)
		if done && o.res == nil {
			return o // robots.txt fetched with this turn, or to be tried again
		}
		if o.res != nil {
			// robots.txt failed for good: /sitemap.xml's record
			// will say so.
			o.res.release()
		}
		if rules != nil {
			named = rules.sitemaps
		}
	}
	parent := u.String()
	if len(named) == 0 {
		named, parent = []string{u.Scheme + "://" + u.Host + "/sitemap.xml"}, ""
	}
	res := c.newResult(l, u, time.Now())
	res.silent = true
	entries := make([]parser.SitemapEntry, len(named))
	for i, loc := range named {
		entries[i].Loc = loc
	}
	var capped int
	res.children, capped = c.sitemapItems(entries, l.Item.Depth+1, parent)
	if capped > 0 || len(named) == robotsMaxSitemaps {
		c.log.Warn("robots.txt names more sitemaps than are read",
			zap.String("robots", u.String()), zap.Int("read", len(res.children)), zap.Int("limit_per_host", maxSitemaps))
	}
	log.Debug("sitemaps found", zap.Int("sitemaps", len(res.children)))
	return outcome{res: res}
}

// sitemapItems makes the items of the sitemaps an index (or robots.txt)
// lists, at depth. capped is how many were left out by maxSitemaps.
func (c *Crawler) sitemapItems(entries []parser.SitemapEntry, depth int, parent string) (items []frontier.Item, capped int) {
	for _, e := range entries {
		if c.tooOld(e) {
			continue
		}
		norm, err := parser.Normalize(e.Loc)
		if err != nil {
			continue
		}
		it, v := c.scope.item(norm, depth, parent, 0)
		if v == drop {
			continue
		}
		queue, over := c.sitemaps.take(it)
		if over {
			capped++
		}
		if !queue {
			continue
		}
		it.Mode = modeSitemap
		items = append(items, it)
	}
	return items, capped
}

// seedSitemap reports whether a seed's 2xx response is read as a sitemap:
// with Config.Sitemaps, a seed served as XML or gzip (or a .txt other than
// robots.txt as text) is one, so that "--seed https://host/sitemap.xml"
// reads it. (Its URL may also be a sitemap robots.txt names: that item is
// the seed's, one URL, one record.)
func (c *Crawler) seedSitemap(it *frontier.Item, mediaType string, u *url.URL) bool {
	if !c.cfg.Sitemaps || it.Mode != modePage || it.Parent != "" || it.Depth != c.base || it.Hops != 0 {
		return false
	}
	switch mediaType {
	case "application/xml", "text/xml", "application/gzip", "application/x-gzip":
		return true
	case "text/plain":
		return strings.HasSuffix(u.Path, ".txt") && u.Path != "/robots.txt"
	}
	return false
}

// tooOld reports whether --sitemap-since skips an entry.
func (c *Crawler) tooOld(e parser.SitemapEntry) bool {
	return !c.cfg.SitemapSince.IsZero() && !e.Modified.IsZero() && e.Modified.Before(c.cfg.SitemapSince)
}

// readSitemap reads a 2xx sitemap body into res, at most MaxBody (and the
// protocol's 50 MB) uncompressed. err is a failure to read the body (a
// timeout, a reset): the URL's failure, to retry. A sitemap that is
// malformed or cut is no failure of the request: res keeps its good
// entries and the reason (mapErr).
func (c *Crawler) readSitemap(res *Result, body io.Reader) error {
	rr := &readErrReader{r: body}
	sm, err := parser.ReadSitemap(rr, min(c.cfg.MaxBody, parser.SitemapMaxBytes), parser.SitemapMaxEntries)
	res.Response.Bytes = rr.n
	if rr.err != nil && !errors.Is(rr.err, io.EOF) {
		return fmt.Errorf("read body: %w", fetchError(rr.err, c.cfg.Timeout))
	}
	res.sitemap, res.mapErr = sm, err
	res.Truncated = errors.Is(err, parser.ErrSitemapCut)
	return nil
}

// sitemapChildren turns what a sitemap listed into the items to queue: an
// index's sitemaps one depth down, or a urlset's URLs that are in scope and
// pass the filters at the seeds' depth, their parent the sitemap (with the
// entry's lastmod). A sitemap that could not be read whole, or an index
// nested too deep, is recorded with a sitemap error.
func (c *Crawler) sitemapChildren(res *Result) {
	sm, it := res.sitemap, &res.lease.Item
	depth := it.Depth + 1
	if it.Mode != modeSitemap {
		depth = it.Depth // a seed read as a sitemap: its sitemaps are at its depth
	}
	switch {
	case sm.Index && it.Mode == modeSitemap && depth >= c.base:
		res.fail(KindSitemap, fmt.Sprintf("sitemap index nested more than %d deep: its %d sitemaps are not read", sitemapLevels-2, len(sm.Entries)))
		return
	case sm.Index:
		var capped int
		res.children, capped = c.sitemapItems(sm.Entries, depth, it.URL)
		if capped > 0 {
			res.fail(KindSitemap, fmt.Sprintf("more than %d sitemaps on a host: %d of this index are not read", maxSitemaps, capped))
			return
		}
	default:
		for _, e := range sm.Entries {
			if c.tooOld(e) {
				continue
			}
			norm, err := parser.Normalize(e.Loc)
			if err != nil {
				continue
			}
			parent := it.URL
			if e.Lastmod != "" {
				parent += lastmodMark + e.Lastmod
			}
			child, v := c.scope.item(norm, c.base, parent, 0)
			if v != follow || c.skipsLink(child) {
				continue
			}
			child.Mode = modeSitemapPage
			res.children = append(res.children, child)
		}
	}
	if res.mapErr != nil {
		res.fail(KindSitemap, res.mapErr.Error())
	}
}

// readErrReader remembers how much its reader gave and the error it ended
// with.
type readErrReader struct {
	r   io.Reader
	n   int64
	err error
}

func (r *readErrReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err != nil {
		r.err = err
	}
	return n, err
}
