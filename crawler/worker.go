package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/parser"
)

// outcome is what handling one lease decided.
type outcome struct {
	res     *Result       // the URL's final result; nil if not final yet
	requeue bool          // put the URL back (res is nil) ...
	wait    time.Duration // ... with its host blocked this long
}

// handle decides one leased URL: robots.txt, the request, retries, the
// record and the links to follow. It updates l.Item.Attempts. It returns an
// error only when the crawl cannot go on.
func (c *Crawler) handle(ctx context.Context, l *frontier.Lease) (outcome, error) {
	it := &l.Item
	u, err := url.Parse(it.URL)
	if err != nil {
		// Items are normalized before they are queued; a frontier that
		// returns garbage still gets an honest record.
		return outcome{res: c.newResult(l, nil, time.Now()).fail(KindOther, fmt.Sprintf("invalid url: %v", err))}, nil
	}
	c.followIfInScope(it)
	if it.Mode == modePage || it.Mode == modeSitemapPage {
		// A page is queued only in scope: its host is in scope, even
		// if this process did not see why (another process, or the run
		// before a resume, followed a seed's redirect to it).
		c.scope.ensure(u)
	}
	log := c.log
	if log.Core().Enabled(zapcore.DebugLevel) {
		// Per-URL context only when per-URL events are logged: With
		// costs an allocation per URL.
		log = log.With(zap.String("url", it.URL))
	}

	switch it.Mode {
	case modeSitemapFind:
		return c.findSitemaps(ctx, l, u, log), nil
	case modeGoneSweep:
		return c.sweep(l), nil
	case modeGone:
		return c.gone(l), nil
	}
	if !c.cfg.IgnoreRobots {
		o, _, done := c.checkRobots(ctx, l, u, log)
		if done {
			return o, nil
		}
	}
	// The budget counts URLs, at their first request.
	if it.Attempts == 0 && c.cfg.MaxHostPages > 0 && c.hostPages.inc(it.Host) > c.cfg.MaxHostPages {
		return outcome{res: c.newResult(l, u, time.Now()).fail(KindHostBudget, fmt.Sprintf("host page budget exhausted (%d pages)", c.cfg.MaxHostPages))}, nil
	}

	start := time.Now()
	it.Attempts++
	res := c.newResult(l, u, start)
	var slot *captureSlot
	if c.warc != nil && !isCheck(it) {
		slot = &captureSlot{}
	}
	err, fatal := c.fetch(ctx, res, slot)
	resp := res.Response
	if fatal != nil || ctx.Err() != nil {
		// A failure to save ends the crawl; shutdown abandoned the
		// request: the URL is not done.
		c.takeCapture(slot, res, false)
		res.release()
		return outcome{}, fatal
	}
	if err != nil {
		if it.Attempts <= c.cfg.Retries && !isAddressError(err) {
			c.takeCapture(slot, res, true)
			return c.retry(l, 0, nil, err, log), nil
		}
		c.failures.inc(it.Host)
		c.takeCapture(slot, res, false)
		return outcome{res: res.done().fail(classifyError(err), err.Error())}, nil
	}
	if it.Mode == modeCheckHead && confirmByGet(resp.Status) {
		// Asked again by GET, as a request of its own: the host's
		// delay applies before it.
		log.Debug("HEAD answered with an error; checking by GET", zap.Int("status", resp.Status))
		it.Mode = modeCheckGet
		if transientStatus(resp.Status) && it.Attempts <= c.cfg.Retries {
			// A 5xx: the GET waits for Retry-After or the host's
			// backoff, as any retry does.
			o := c.retry(l, resp.Status, resp, nil, log)
			res.release()
			return o, nil
		}
		res.release()
		return outcome{requeue: true}, nil
	}
	c.takeCapture(slot, res, transientStatus(resp.Status) && it.Attempts <= c.cfg.Retries)
	if transientStatus(resp.Status) {
		if it.Attempts <= c.cfg.Retries {
			res.release()
			return c.retry(l, resp.Status, resp, nil, log), nil
		}
		// Out of attempts: the host's failures still count, so that
		// its next URLs back off longer.
		c.failures.inc(it.Host)
	} else {
		c.failures.reset(it.Host)
		c.endBackoff(it.Host)
	}

	if res.Truncated {
		log.Debug("body truncated", zap.Int64("max_body", c.cfg.MaxBody))
		c.warnTruncated(it.Host, it.URL)
	}

	switch {
	case resp.Status == http.StatusNotModified && res.conditional:
		c.notModified(res)
		res.follows = followLinks
	case isRedirect(resp.Status) && resp.Header.Get("Location") != "":
		res.location, res.follows = resp.Header.Get("Location"), followRedirect
	case resp.Status < 200 || resp.Status >= 300:
		kind := statusKind(resp.Status)
		if kind == KindNone {
			kind = KindOther // 1xx, or 3xx without a Location
		}
		res.fail(kind, fmt.Sprintf("http status %d", resp.Status))
	case res.sitemap != nil:
		res.follows = followSitemap
	case resp.body != nil:
		page, cut, err := c.parses.parse(ctx, resp.body.Bytes(), resp.Header.Get("Content-Type"), u)
		if ctx.Err() != nil {
			res.release()
			return outcome{}, nil // abandoned at shutdown while waiting to parse
		}
		if cut {
			res.Truncated = true
			log.Debug("page cut for parsing", zap.Int("max_tags", maxTags))
		}
		if err != nil {
			res.fail(KindOther, fmt.Sprintf("parse: %v", err))
			break
		}
		if !c.cfg.Anchors {
			page.Anchors = nil // recorded only when asked: they cost ~8 % of a crawl's CPU
		}
		res.Page = page
		for _, name := range c.cfg.RequireFields {
			if _, ok := page.Fields[name]; !ok {
				res.fail(KindMissingField, fmt.Sprintf("missing field %s", name))
				break
			}
		}
		res.follows = followLinks
	}
	if !l.Ahead {
		// Fetched ahead, it is followed once its depth is final (ahead.go).
		c.follow(res)
	}
	res.done()
	log.Debug("fetched", zap.Int("status", resp.Status), zap.Int64("bytes", resp.Bytes),
		zap.Int("queued", len(res.children)), zap.String("error", res.Err))
	return outcome{res: res}, nil
}

// checkRobots applies robots.txt to the leased URL, and returns its rules
// when the URL is allowed. done is true when the
// lease is decided without fetching the URL: it is disallowed (a record),
// robots.txt was fetched just now with the host's slot (requeue), or
// robots.txt is unavailable (requeue until robots.txt is tried again; once
// robots.txt has failed more than Retries times in a row, a record). Waiting
// for robots.txt does not count as an attempt of the URL.
func (c *Crawler) checkRobots(ctx context.Context, l *frontier.Lease, u *url.URL, log *zap.Logger) (o outcome, rules *robotsRules, done bool) {
	it := &l.Item
	origin := u.Scheme + "://" + u.Host
	res := c.robots.lookup(ctx, origin, func(ctx context.Context) (*robotsRules, bool, error) {
		return c.robotsFile(ctx, origin, it.Host, log)
	}, func(n int) time.Duration { return backoff(c.cfg.BackoffBase, c.cfg.BackoffMax, n) })

	switch {
	case ctx.Err() != nil:
		return outcome{}, nil, true
	case errors.Is(res.err, errRobotsPending):
		// Another process of the crawl is fetching it: wait, no attempt.
		return outcome{requeue: true, wait: time.Until(res.retryAt)}, nil, true
	case isAddressError(res.err):
		// Not to be retried: the host is where the crawl must not go.
		return outcome{res: c.newResult(l, u, time.Now()).fail(KindPrivateAddress, res.err.Error())}, nil, true
	case res.err != nil:
		if res.fetched {
			log.Warn("robots.txt unavailable; host treated as disallowed for now",
				zap.String("host", it.Host), zap.Error(res.err), zap.Time("retry_at", res.retryAt))
		}
		if res.fails <= c.cfg.Retries {
			c.stats.retries.Add(1)
			c.noteRetry(it.Host, WaitRobots, time.Until(res.retryAt), 0, res.err)
			return outcome{requeue: true, wait: time.Until(res.retryAt)}, nil, true
		}
		kind := classifyError(res.err)
		if isCheck(it) {
			// A link check reports a host that does not answer at all
			// as such (dns, connection_refused, ...): the link is dead,
			// whatever its robots.txt would have said.
			kind = checkRobotsKind(res.err)
		}
		return outcome{res: c.newResult(l, u, time.Now()).fail(kind, res.err.Error())}, nil, true
	case res.fetched:
		// The robots.txt request used this lease's turn at the host.
		return outcome{requeue: true}, nil, true
	case !res.rules.allowed(u.RequestURI()):
		return outcome{res: c.newResult(l, u, time.Now()).fail(KindRobotsDisallowed, errDisallowed)}, nil, true
	}
	return outcome{}, res.rules, false
}

const errDisallowed = "disallowed by robots.txt"

// robotsFile gets origin's robots.txt rules: from the crawl's shared store
// when the frontier has one (requested false: no request was made), or by
// a request, which then goes into the store for the other processes. With
// a store, only the worker that claims the origin fetches; the others get
// errRobotsPending and wait.
func (c *Crawler) robotsFile(ctx context.Context, origin, host string, log *zap.Logger) (rules *robotsRules, requested bool, err error) {
	rs := c.robotsStore
	if rs != nil {
		file, ok, err := rs.Robots(ctx, origin)
		switch {
		case err == nil && ok:
			rules := rulesOf(file, c.robots.agent)
			c.applyCrawlDelay(ctx, host, rules, log)
			return rules, false, nil
		case err == nil:
			claimed, err := rs.ClaimRobots(ctx, origin, 2*c.cfg.Timeout)
			if err == nil && !claimed {
				return nil, false, errRobotsPending
			}
			if err != nil {
				log.Warn("cannot claim robots.txt in the shared store; fetching it", zap.String("origin", origin), zap.Error(err))
			}
		default:
			log.Warn("cannot read robots.txt from the shared store; fetching it", zap.String("origin", origin), zap.Error(err))
		}
	}
	log.Debug("fetching robots.txt", zap.String("origin", origin))
	file, err := fetchRobots(ctx, c.robotsCl, origin, c.cfg.UserAgent, c.cfg.Timeout)
	if err != nil {
		return nil, true, err
	}
	rules = rulesOf(file, c.robots.agent)
	c.applyCrawlDelay(ctx, host, rules, log)
	if rs != nil {
		if err := rs.StoreRobots(ctx, origin, file, robotsTTL); err != nil {
			log.Warn("cannot store robots.txt in the shared store", zap.String("origin", origin), zap.Error(err))
		}
	}
	return rules, true, nil
}

// applyCrawlDelay slows the host down to robots.txt's Crawl-delay (capped),
// when that is slower than the configured rate.
func (c *Crawler) applyCrawlDelay(ctx context.Context, host string, rules *robotsRules, log *zap.Logger) {
	d := min(rules.crawlDelay(), c.cfg.CrawlDelayCap)
	if d <= c.cfg.Policy().Delay {
		return
	}
	if err := c.fr.SetHostDelay(ctx, host, d); err != nil {
		log.Warn("cannot apply Crawl-delay", zap.String("host", host), zap.Error(err))
		return
	}
	log.Debug("applying Crawl-delay", zap.String("host", host), zap.Duration("delay", d))
}

// retry decides a transient failure that has attempts left: the URL goes
// back to the front of its host's queue and the host waits for Retry-After
// or an exponential backoff that grows with the host's consecutive failures.
func (c *Crawler) retry(l *frontier.Lease, status int, res *Response, err error, log *zap.Logger) outcome {
	it := &l.Item
	n := max(it.Attempts, c.failures.inc(it.Host))
	wait := backoff(c.cfg.BackoffBase, c.cfg.BackoffMax, n)
	reason := WaitBackoff
	if res != nil {
		if ra, ok := retryAfter(res.Header, time.Now(), c.cfg.RetryAfterMax); ok {
			wait = ra
			reason = WaitRetryAfter
		}
	}
	c.stats.retries.Add(1)
	c.noteRetry(it.Host, reason, wait, status, err)
	log.Debug("retrying", zap.Int("attempt", it.Attempts), zap.Int("status", status),
		zap.Duration("wait", wait), zap.Error(err))
	return outcome{requeue: true, wait: wait}
}

// redirect fills a redirect's result and queues its target as a child at
// the same depth: a redirect is not a link hop.
func (c *Crawler) redirect(res *Result, location string) {
	it := &res.lease.Item
	target, ok := parser.Resolve(res.URL, location)
	if !ok {
		res.fail(KindOther, fmt.Sprintf("redirect to unusable location %q", truncate(location, 200)))
		return
	}
	res.Target = target
	if loopsBack(target, it) {
		res.fail(KindRedirectLoop, "redirect loop: "+truncate(target, 200))
		return
	}
	if it.Hops >= c.cfg.MaxRedirects {
		res.fail(KindTooManyRedirects, fmt.Sprintf("too many redirects (more than %d)", c.cfg.MaxRedirects))
		return
	}
	if it.Depth == c.base && it.Mode == modePage {
		// A seed that moves takes its scope along.
		if tu, err := url.Parse(target); err == nil {
			c.scope.allow(tu)
		}
	}
	child, v := c.scope.item(target, it.Depth, it.URL, it.Hops+1)
	switch {
	case it.Mode == modeSitemap && v != drop:
		child.Mode = modeSitemap // a sitemap that moved is read where it went
	case it.Mode == modeSitemapPage && v == follow:
		child.Mode = modeSitemapPage
	case isCheck(it) && v == follow:
		// A check that leads back into the crawl's scope: the target
		// is a page of the crawl, recorded as such if a link reaches
		// it within the depth. Queued as a check now, it would take
		// that page's one record.
		return
	case isCheck(it) || v != follow:
		// A check's redirect is checked in turn, wherever it leads.
		var ok bool
		if child, ok = c.asCheck(child, v); !ok {
			return
		}
	}
	res.children = []frontier.Item{child}
}

// loopsBack reports whether a redirect target is the redirecting URL itself
// or, for a URL reached by a redirect, the URL that redirected to it. (A
// longer cycle ends without an error: its target is already seen, so it is
// not queued again.)
func loopsBack(target string, it *frontier.Item) bool {
	key := parser.DedupKey(target)
	return key == it.DedupKey() || (it.Hops > 0 && key == parser.DedupKey(it.Parent))
}

// follow decides what the result leads to, from its item's depth and the
// scope as they are now: a page's links (or a 304's previous page's), a
// redirect's target, a sitemap's entries. It is called once per result.
func (c *Crawler) follow(res *Result) {
	switch res.follows {
	case followLinks:
		if pg := res.Page; pg != nil && (!pg.NoFollow || c.cfg.IgnoreRobots) {
			res.children = c.children(pg.Links, &res.lease.Item)
		}
	case followRedirect:
		c.redirect(res, res.location)
	case followSitemap:
		c.sitemapChildren(res)
	}
	res.follows = followNone
}

// children turns a page's links into the items to queue: the links it
// follows, and the others as link checks when the crawl checks links.
func (c *Crawler) children(links []string, it *frontier.Item) []frontier.Item {
	past := it.Depth-c.base >= c.cfg.MaxDepth
	if past && !c.cfg.CheckLinks {
		return nil
	}
	items := make([]frontier.Item, 0, len(links))
	for _, link := range links {
		child, v := c.scope.item(link, it.Depth+1, it.URL, 0)
		if v == follow && !past && !c.skipsLink(child) {
			items = append(items, child)
		} else if child, ok := c.asCheck(child, v); ok {
			items = append(items, child)
		}
	}
	return items
}

// newResult starts the result of the leased URL u, decided from start.
func (c *Crawler) newResult(l *frontier.Lease, u *url.URL, start time.Time) *Result {
	return &Result{lease: *l, base: c.base, URL: u, Start: start, Duration: time.Since(start),
		prior: c.prior(&l.Item), generation: c.generation()}
}

// done stamps the result's duration: the time spent on the URL so far.
func (r *Result) done() *Result {
	r.Duration = time.Since(r.Start)
	return r
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// hostCounter counts events per host: consecutive transient failures (so
// that a failing host's backoff grows across its URLs) or pages started (for
// the per-host budget). Safe for concurrent use.
type hostCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func newHostCounter() *hostCounter { return &hostCounter{n: make(map[string]int)} }

// inc adds one to host's count and returns the new count.
func (h *hostCounter) inc(host string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[host]++
	return h.n[host]
}

// reset forgets host.
func (h *hostCounter) reset(host string) {
	h.mu.Lock()
	delete(h.n, host)
	h.mu.Unlock()
}
