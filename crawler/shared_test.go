package crawler_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// errOutage is what a frontier whose server is down returns.
var errOutage = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

// flaky is a frontier whose server is down for a while: the first calls of
// Next, Complete and Retry fail with errOutage without changing anything,
// and some Completes are applied but their reply is lost.
type flaky struct {
	frontier.Frontier
	next, complete, retry atomic.Int64 // calls left to fail
	lostReplies           atomic.Int64 // Completes left to apply and then fail
}

func (f *flaky) Next(ctx context.Context) (frontier.Lease, error) {
	if f.next.Add(-1) >= 0 {
		return frontier.Lease{}, errOutage
	}
	return f.Frontier.Next(ctx)
}

func (f *flaky) Complete(ctx context.Context, l frontier.Lease, children []frontier.Item) (int, error) {
	if f.complete.Add(-1) >= 0 {
		return 0, errOutage
	}
	n, err := f.Frontier.Complete(ctx, l, children)
	if err == nil && f.lostReplies.Add(-1) >= 0 {
		return 0, errOutage
	}
	return n, err
}

func (f *flaky) Retry(ctx context.Context, l frontier.Lease, wait time.Duration) error {
	if f.retry.Add(-1) >= 0 {
		return errOutage
	}
	return f.Frontier.Retry(ctx, l, wait)
}

// flakyShared is a flaky shared frontier: its first Extends fail too.
type flakyShared struct {
	*flaky
	ext    frontier.Extender
	extend atomic.Int64
}

func (f *flakyShared) Extend(ctx context.Context, l frontier.Lease) error {
	if f.extend.Add(-1) >= 0 {
		return errOutage
	}
	return f.ext.Extend(ctx, l)
}

func (f *flakyShared) LeaseTTL() time.Duration { return f.ext.LeaseTTL() }

// expiring is a shared frontier over memory: a lease expires ttl after it
// was granted or last extended, and its late Complete, Retry or Extend
// returns ErrStaleLease and puts the URL back (a reclaim by another
// process). A Complete of staleURL is applied, as another process would,
// and answered ErrStaleLease.
type expiring struct {
	frontier.Frontier // a Memory, but not a frontier.Aheader: leases ahead would skip Next's deadlines
	ttl               time.Duration
	staleURL          string

	mu       sync.Mutex
	deadline map[uint64]time.Time
	extends  int // successful Extends
	stale    int // ErrStaleLease answers
}

func newExpiring(p frontier.Policy, ttl time.Duration) *expiring {
	return &expiring{Frontier: frontier.NewMemory(p), ttl: ttl, deadline: map[uint64]time.Time{}}
}

func (e *expiring) LeaseTTL() time.Duration { return e.ttl }

func (e *expiring) Next(ctx context.Context) (frontier.Lease, error) {
	l, err := e.Frontier.Next(ctx)
	if err == nil {
		e.mu.Lock()
		e.deadline[l.ID] = time.Now().Add(e.ttl)
		e.mu.Unlock()
	}
	return l, err
}

// end drops l's deadline and reports whether l was still held; an expired
// lease is put back in the queue.
func (e *expiring) end(ctx context.Context, l frontier.Lease) (bool, error) {
	e.mu.Lock()
	d, ok := e.deadline[l.ID]
	delete(e.deadline, l.ID)
	held := ok && !time.Now().After(d)
	if !held {
		e.stale++
	}
	e.mu.Unlock()
	if ok && !held {
		return false, e.Frontier.Retry(ctx, l, 0)
	}
	return held, nil
}

func (e *expiring) Extend(ctx context.Context, l frontier.Lease) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.deadline[l.ID]
	if !ok || time.Now().After(d) {
		e.stale++
		return frontier.ErrStaleLease
	}
	e.deadline[l.ID] = time.Now().Add(e.ttl)
	e.extends++
	return nil
}

func (e *expiring) Complete(ctx context.Context, l frontier.Lease, children []frontier.Item) (int, error) {
	held, err := e.end(ctx, l)
	if err != nil || !held {
		return 0, errors.Join(err, frontier.ErrStaleLease)
	}
	n, err := e.Frontier.Complete(ctx, l, children)
	if err == nil && l.Item.URL == e.staleURL {
		e.mu.Lock()
		e.stale++
		e.mu.Unlock()
		return 0, frontier.ErrStaleLease
	}
	return n, err
}

func (e *expiring) Retry(ctx context.Context, l frontier.Lease, wait time.Duration) error {
	held, err := e.end(ctx, l)
	if err != nil || !held {
		return errors.Join(err, frontier.ErrStaleLease)
	}
	return e.Frontier.Retry(ctx, l, wait)
}

func (e *expiring) counts() (extends, stale int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.extends, e.stale
}

// TestFrontierOutage crawls through a shared frontier (expiring leases)
// that is down at the start and keeps failing completions, retries and
// renewals for a while: the crawl waits it out and records every expected
// URL exactly once. (A local frontier's errors end the crawl instead:
// TestLocalFrontierErrorEndsCrawl.)
func TestFrontierOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		site := testserver.New(testserver.Config{Pages: 60, Links: 4, Seed: 11, Features: testserver.AllFeatures})
		const retries = 1
		cfg := crawler.DefaultConfig()
		cfg.Seeds, cfg.MaxDepth = []string{"http://site.test/"}, 3
		cfg.Concurrency, cfg.PerHost, cfg.Retries = 4, 4, retries
		cfg.BackoffBase, cfg.BackoffMax = 100*time.Millisecond, 2*time.Second
		cfg.Transport = testserver.Transport{"site.test": site.Handler()}
		exp := newExpiring(cfg.Policy(), time.Hour)
		f := &flaky{Frontier: exp}
		f.next.Store(20)
		f.complete.Store(15)
		f.retry.Store(5)
		f.lostReplies.Store(3)
		fr := &flakyShared{flaky: f, ext: exp}
		fr.extend.Store(3)
		defer func() {
			if err := fr.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		core, logs := observer.New(zapcore.InfoLevel)
		log := zap.New(zapcore.NewTee(core, zaptest.NewLogger(t).Core()))
		res := runCrawlLog(t, cfg, "http://site.test", fr, log)
		down := logs.FilterMessageSnippet("frontier unavailable").Len()
		up := logs.FilterMessageSnippet("frontier reachable again").Len()
		if down == 0 || down != up {
			t.Errorf("logged %d outages and %d recoveries, want as many, at least 1", down, up)
		}
		if n := logs.FilterMessageSnippet("dropped").Len(); n != 0 {
			t.Errorf("%d completions dropped, want 0", n)
		}
		want := site.Expect("/", 3)
		check(t, site, res, want, retries)
		if int(res.stats.Records) != len(want.Records) {
			t.Errorf("stats say %d records, want %d", res.stats.Records, len(want.Records))
		}
		for name, left := range map[string]int64{
			"Next": f.next.Load(), "Complete": f.complete.Load(),
			"Retry": f.retry.Load(), "lost Complete reply": f.lostReplies.Load(),
		} {
			if left >= 0 {
				t.Errorf("%s failures not all injected (%d left): the test did not cover them", name, left+1)
			}
		}
	})
}

// TestLeaseRenewal crawls a slow site, where every fetch takes longer than
// the lease TTL, on a frontier whose leases expire unless extended: the
// crawler's renewals keep every lease, so none is reclaimed and each URL is
// recorded once.
func TestLeaseRenewal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ttl = time.Second
		site := testserver.New(testserver.Config{Pages: 15, Links: 3, Seed: 4, Latency: 3 * ttl})
		cfg := crawler.DefaultConfig()
		cfg.Seeds, cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = []string{"http://site.test/"}, 3, 4, 4
		cfg.Transport = testserver.Transport{"site.test": site.Handler()}
		fr := newExpiring(cfg.Policy(), ttl)
		defer func() {
			if err := fr.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		// Without renewals, every lease would expire during its fetch and
		// the URL be fetched again forever, until runCrawl's timeout.
		res := runCrawlOn(t, cfg, "http://site.test", fr)
		check(t, site, res, site.Expect("/", 3), 0)
		extends, stale := fr.counts()
		if stale != 0 {
			t.Errorf("%d stale leases, want 0", stale)
		}
		if extends == 0 {
			t.Errorf("no lease was extended")
		}
	})
}

// TestStaleCompletion checks that on a shared frontier, a URL whose
// completion comes back stale (another process owns it) gets no record,
// while its links are still crawled.
func TestStaleCompletion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		site := testserver.New(testserver.Config{Pages: 30, Links: 4, Seed: 2})
		cfg := crawler.DefaultConfig()
		cfg.Seeds, cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = []string{"http://site.test/"}, 2, 4, 4
		cfg.Transport = testserver.Transport{"site.test": site.Handler()}
		fr := newExpiring(cfg.Policy(), time.Hour)
		fr.staleURL = "http://site.test/p/1"
		defer func() {
			if err := fr.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		res := runCrawlOn(t, cfg, "http://site.test", fr)
		if _, ok := res.records[fr.staleURL]; ok {
			t.Errorf("%s was recorded after its completion came back stale", fr.staleURL)
		}
		want := site.Expect("/", 2)
		if _, ok := want.Records["/p/1"]; !ok {
			t.Fatalf("/p/1 is not within the crawl: the test covers nothing")
		}
		if err := want.CheckRequests(site.Requests(), 0); err != nil {
			t.Errorf("requests differ from the expectation:\n%v", err)
		}
		delete(want.Records, "/p/1")
		checkRecords(t, res, want, 0)
		if int(res.stats.Records) != len(want.Records) {
			t.Errorf("stats say %d records, want %d", res.stats.Records, len(want.Records))
		}
		if _, stale := fr.counts(); stale != 1 {
			t.Errorf("%d stale answers, want 1", stale)
		}
	})
}

// TestLocalFrontierErrorEndsCrawl checks that an error of a local frontier
// (a failing disk, not an outage of a shared one) ends the crawl with that
// error instead of retrying forever: the command exits 1.
func TestLocalFrontierErrorEndsCrawl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		site := testserver.New(testserver.Config{Pages: 20, Links: 3, Seed: 1})
		cfg := crawler.DefaultConfig()
		cfg.Seeds, cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = []string{"http://site.test/"}, 2, 2, 2
		cfg.Transport = testserver.Transport{"site.test": site.Handler()}
		f := &flaky{Frontier: frontier.NewMemory(cfg.Policy())}
		f.next.Store(1)
		defer f.Close()
		var buf bytes.Buffer
		c, err := crawler.New(cfg, f, store.NewWriter(&buf), zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Run(context.Background()); !errors.Is(err, errOutage) {
			t.Errorf("Run = %v, want the frontier's error", err)
		}
	})
}
