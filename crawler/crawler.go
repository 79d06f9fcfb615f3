package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/parser"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/store/save"
	"github.com/crawl-dev/crawl/store/warc"
)

// RecordWriter receives the crawl's records. The crawler calls it from one
// goroutine only, so it need not be safe for concurrent use.
// *store.Writer implements it.
type RecordWriter interface {
	Write(*store.Record) error
	Flush() error
}

// Stats are a crawl's running totals.
type Stats struct {
	Records int64 // records written
	Errors  int64 // records with an error
	Retries int64 // requests retried after a transient failure
	Bytes   int64 // body bytes read
}

// Crawler runs one crawl. Create it with New and call Run once.
type Crawler struct {
	cfg         Config
	fr          frontier.Frontier
	out         RecordWriter
	log         *zap.Logger
	seeds       []frontier.Item
	scope       *scope
	robots      *robotsCache
	failures    *hostCounter      // consecutive transient failures per host
	hostPages   *hostCounter      // pages started per host, for MaxHostPages
	parses      *parseLimiter     // bounds the memory of HTML parses
	keep        *keepRules        // --accept and --reject
	save        *save.Dir         // where bodies are saved; nil: nowhere
	warc        *warc.Writer      // the WARC output; nil: none
	results     chan *Result      // worker -> record writer, made by Run
	writerDone  chan struct{}     // closed when the record writer returns
	pages       http.RoundTripper // page requests: redirects are recorded, not followed
	robotsCl    *http.Client
	ownTr       *http.Transport      // the transport the crawler made, closed by Run
	commit      committer            // the commit order, chosen by New
	robotsStore frontier.RobotsStore // fr, when it shares robots.txt across processes
	extender    frontier.Extender    // fr, when its leases expire (shared)
	leases      *leaseSet            // leases held, renewed on an Extender
	aheader     frontier.Aheader     // fr, when the crawl may fetch ahead of the level (ahead.go)
	parked      parkedSet            // results fetched ahead, until their depth is final
	outage      outage               // frontier outage state, for the log

	running  atomic.Bool
	reserved atomic.Int64 // records promised to workers, for MaxPages
	// base is the depth of seeds in the frontier: sitemapLevels with
	// Config.Sitemaps (sitemaps come first), 0 otherwise.
	base     int
	priors   priors // the previous generation's records; nil when none
	sitemaps sitemapBudget
	stats    struct{ records, errors, retries, bytes atomic.Int64 }
	obs      observeState // observer hook and operator warnings (observe.go, warnings.go)
}

// New checks cfg and returns a crawler that takes its work from fr and writes
// records to out. A nil logger logs nothing. New starts no goroutines and
// does no I/O; errors are configuration mistakes, worded for a command line.
func New(cfg Config, fr frontier.Frontier, out RecordWriter, log *zap.Logger) (*Crawler, error) {
	err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	if fr == nil || out == nil {
		return nil, errors.New("crawler: nil frontier or record writer")
	}
	if log == nil {
		log = zap.NewNop()
	}
	robotsStore, _ := fr.(frontier.RobotsStore)
	extender, _ := fr.(frontier.Extender)
	aheader, _ := fr.(frontier.Aheader)
	if cfg.MaxPages > 0 || cfg.MaxHostPages > 0 {
		aheader = nil // see ahead.go
	}
	c := &Crawler{
		aheader:     aheader,
		robotsStore: robotsStore,
		extender:    extender,
		cfg:         cfg,
		fr:          fr,
		out:         out,
		log:         log.Named("crawl"),
		scope:       newScope(cfg),
		robots:      newRobotsCache(cfg.UserAgent),
		failures:    newHostCounter(),
		hostPages:   newHostCounter(),
		parses:      newParseLimiter(cfg.Extract),
		save:        cfg.Save,
		warc:        cfg.WARC,
	}
	if cfg.Sitemaps {
		c.base = sitemapLevels
	}
	c.priors = newPriors(cfg, fr)
	if c.keep, err = parseKeepRules(cfg.Accept, cfg.Reject); err != nil {
		return nil, err
	}
	if c.commit, err = newCommitter(c, fr, out); err != nil {
		return nil, err
	}
	if extender != nil {
		c.leases = newLeaseSet()
	}
	rt := cfg.Transport
	if rt == nil {
		c.ownTr = newTransport(cfg)
		rt = c.ownTr
	}
	if c.warc != nil {
		rt = &captureTransport{next: rt, spoolDir: c.warc.Dir(), emit: c.emitCapture}
	}
	c.pages, c.robotsCl = rt, newRobotsClient(rt)
	c.observeClients()
	if c.seeds, err = seedItems(cfg, c.base); err != nil {
		return nil, err
	}
	for _, it := range c.seeds {
		u, _ := url.Parse(it.URL) // parsed by seedItems
		c.scope.allow(u)
	}
	return c, nil
}

// seedItems normalizes cfg's seeds into items of depth base.
func seedItems(cfg Config, base int) ([]frontier.Item, error) {
	var items []frontier.Item
	for _, s := range cfg.Seeds {
		norm, err := parser.Normalize(s)
		if err != nil {
			return nil, fmt.Errorf("seed %q: %w", s, err)
		}
		u, err := url.Parse(norm)
		if err != nil {
			return nil, fmt.Errorf("seed %q: %w", s, err)
		}
		items = append(items, newItem(norm, u, base, "", 0))
	}
	return items, nil
}

// StartItems returns what a crawl of cfg queues when generation gen
// starts: the sitemap finders with Sitemaps, the seeds and, from the
// second generation on, the gone sweep's sentinel (history.go). Run
// queues them; a frontier.Annotator's NextGeneration takes them too, so
// that a generation starts in one durable step.
func StartItems(cfg Config, gen int) ([]frontier.Item, error) {
	c := &Crawler{cfg: cfg}
	if cfg.Sitemaps {
		c.base = sitemapLevels
	}
	var err error
	if c.seeds, err = seedItems(cfg, c.base); err != nil {
		return nil, err
	}
	return c.startItems(gen), nil
}

// startItems is StartItems for the crawler's own seeds.
func (c *Crawler) startItems(gen int) []frontier.Item {
	add := c.seeds
	if c.cfg.Sitemaps {
		add = append(sitemapFinders(c.seeds), c.seeds...)
	}
	if it, ok := c.sweepItem(gen); ok {
		add = append(add, it)
	}
	return add
}

// Stats returns the crawl's totals so far. Safe to call during Run.
func (c *Crawler) Stats() Stats {
	return Stats{
		Records: c.stats.records.Load(),
		Errors:  c.stats.errors.Load(),
		Retries: c.stats.retries.Load(),
		Bytes:   c.stats.bytes.Load(),
	}
}

// Run crawls until the frontier is exhausted, MaxPages records are written,
// ctx is cancelled, or the records cannot be written. It returns nil when the
// crawl completed (pages may have failed: their records say why), ctx's error
// when it was interrupted, and any other error when it could not go on.
//
// Run starts Concurrency workers and one record writer and returns only
// after all of them have exited. Shutdown order: stop taking work; let
// in-flight fetches finish for up to Grace, then abandon them (an abandoned
// URL gets no record); write and complete (commit) the records handed to
// the writer; close idle connections. The
// frontier and the record writer are the caller's to close.
//
// On a frontier.Extender, Run also starts one renewer that extends every
// lease held every LeaseTTL/3 until Run returns. When the frontier is
// unreachable (an error other than its own answers), frontier calls are
// retried with backoff until ctx ends (Grace after it for the completions
// of records handed to the writer): an outage pauses the crawl.
func (c *Crawler) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("crawler: Run called twice")
	}
	if c.ownTr != nil {
		defer c.ownTr.CloseIdleConnections()
	}
	if _, err := c.fr.Add(ctx, c.startItems(c.generation())...); err != nil {
		return fmt.Errorf("add seeds: %w", err)
	}

	// workCtx stops workers from taking new work; fetchCtx lets the work
	// in hand finish for a grace period after ctx ends.
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	fetchCtx, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()

	var renewer sync.WaitGroup
	if c.extender != nil {
		renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
		renewer.Go(func() { c.renew(renewCtx) })
		defer renewer.Wait()
		defer stopRenew()
	}

	c.results = make(chan *Result, 4*c.cfg.Concurrency)
	c.writerDone = make(chan struct{})
	results, writerDone := c.results, c.writerDone
	var writeErr error
	var finished atomic.Bool // a worker saw the crawl end by itself

	var writer sync.WaitGroup
	writer.Go(func() {
		defer close(writerDone)
		// Records handed to the writer are committed even at shutdown.
		writeErr = c.commit.run(context.WithoutCancel(ctx), fetchCtx, results)
		if writeErr != nil {
			stopWork()
			abandon()
		}
	})

	var workers errgroup.Group
	for range c.cfg.Concurrency {
		workers.Go(func() error {
			err := c.work(workCtx, fetchCtx, results, writerDone, &finished)
			if err != nil {
				stopWork()
			}
			return err
		})
	}

	// Grace: once ctx ends, in-flight fetches, and the completions of the
	// records handed to the writer (during a frontier outage), have Grace
	// to finish.
	var grace sync.WaitGroup
	grace.Go(func() {
		select {
		case <-writerDone:
		case <-ctx.Done():
			if c.cfg.Grace == 0 {
				abandon() // asked for: nothing to warn about
				return
			}
			t := time.NewTimer(c.cfg.Grace)
			defer t.Stop()
			select {
			case <-writerDone:
			case <-t.C:
				c.log.Warn("abandoning in-flight work after grace period", zap.Duration("grace", c.cfg.Grace))
				abandon()
			}
		}
	})

	workErr := workers.Wait()
	for _, res := range c.parked.drain() {
		// Fetched ahead and abandoned: the URL is not done, and is
		// fetched again when the crawl resumes. The requests made are
		// archived all the same, as a retried request's are.
		for _, cp := range res.captures {
			c.emitCapture(cp)
		}
		res.captures = nil
		res.release()
	}
	close(results)
	writer.Wait()
	grace.Wait()
	for res := range results {
		res.release() // left by a writer that failed
	}

	switch {
	case writeErr != nil:
		return fmt.Errorf("write records: %w", writeErr)
	case workErr != nil:
		return workErr
	case ctx.Err() != nil && !finished.Load():
		return ctx.Err()
	}
	return nil
}

// reserve takes one of the MaxPages records for a worker; false means the
// limit is reached and the worker should stop.
func (c *Crawler) reserve() bool {
	if c.cfg.MaxPages == 0 {
		return true
	}
	if c.reserved.Add(1) > int64(c.cfg.MaxPages) {
		c.reserved.Add(-1)
		return false
	}
	return true
}

// count adds a written record to the stats.
func (c *Crawler) count(r *Result) {
	c.stats.records.Add(1)
	if r.Response != nil {
		c.stats.bytes.Add(r.Response.Bytes)
	}
	if r.Err != "" {
		c.stats.errors.Add(1)
	}
}

func (c *Crawler) unreserve() {
	if c.cfg.MaxPages != 0 {
		c.reserved.Add(-1)
	}
}

// retryLease puts a lease back through an outage. A stale lease is dropped
// (another worker owns the URL); an error is returned only when the crawl
// cannot go on.
func (c *Crawler) retryLease(ctx context.Context, l frontier.Lease, wait time.Duration) error {
	err := c.persist(ctx, "retry", func() error { return c.fr.Retry(ctx, l, wait) })
	switch {
	case err == nil, ctx.Err() != nil:
		return nil
	case errors.Is(err, frontier.ErrStaleLease):
		c.loseLease(l, "retry")
		return nil
	}
	return fmt.Errorf("frontier: retry %s: %w", l.Item.URL, err)
}

// work is one worker's loop: lease a URL, handle it, repeat.
func (c *Crawler) work(workCtx, fetchCtx context.Context, results chan<- *Result, writerDone <-chan struct{}, finished *atomic.Bool) error {
	for {
		if !c.reserve() {
			finished.Store(true)
			return nil
		}
		var l frontier.Lease
		var asked time.Time // when the Next call that leased l started
		err := c.persist(workCtx, "next", func() (err error) {
			asked = time.Now()
			l, err = c.next(workCtx)
			return err
		})
		if err != nil {
			c.unreserve()
			switch {
			case errors.Is(err, frontier.ErrDone):
				finished.Store(true)
				return nil
			case workCtx.Err() != nil:
				return nil
			}
			return fmt.Errorf("frontier: %w", err)
		}
		if l.Ripe {
			// Fetched ahead; its depth is final now.
			res, err := c.ripe(fetchCtx, l)
			if err != nil {
				return err
			}
			if res == nil {
				continue // fetched again
			}
			if !c.send(results, writerDone, res) {
				return nil
			}
			continue
		}
		c.hold(l, asked)
		o, err := c.handle(fetchCtx, &l)
		if err != nil {
			c.release(l)
			c.unreserve()
			return err
		}
		if c.lost(l) {
			// The lease expired and was reclaimed during the fetch:
			// another worker owns the URL now (warned by the renewer).
			if o.res != nil {
				o.res.release()
			}
			c.release(l)
			c.unreserve()
			continue
		}
		if o.res == nil {
			// Retried, or abandoned at shutdown: no record yet.
			c.unreserve()
			if o.requeue {
				if err := c.retryLease(fetchCtx, l, o.wait); err != nil {
					c.release(l)
					return err
				}
			}
			c.release(l)
			continue
		}
		res := o.res
		if l.Ahead {
			if res, err = c.park(fetchCtx, res); err != nil {
				return err
			}
			if res == nil {
				continue // parked until the frontier hands it back
			}
		}
		if !c.send(results, writerDone, res) {
			return nil
		}
	}
}

// send hands a final result to the record writer, which writes the record
// and completes the URL; false when the writer is gone.
func (c *Crawler) send(results chan<- *Result, writerDone <-chan struct{}, res *Result) bool {
	select {
	case results <- res:
		return true
	case <-writerDone:
		res.release()
		c.release(res.lease)
		return false
	}
}
