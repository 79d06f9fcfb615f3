package crawler_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/redis"
	"github.com/crawl-dev/crawl/testserver"
)

// staleWatch counts a shared frontier's Extends and its ErrStaleLease
// answers.
type staleWatch struct {
	frontier.Frontier
	ext            frontier.Extender
	extends, stale atomic.Int64
}

func (w *staleWatch) note(err error) error {
	if errors.Is(err, frontier.ErrStaleLease) {
		w.stale.Add(1)
	}
	return err
}

// Next ends the crawl (ErrClosed) once a lease was found stale: without
// renewals, a site slower than the TTL would be fetched again forever.
func (w *staleWatch) Next(ctx context.Context) (frontier.Lease, error) {
	if w.stale.Load() > 0 {
		return frontier.Lease{}, frontier.ErrClosed
	}
	return w.Frontier.Next(ctx)
}

func (w *staleWatch) Extend(ctx context.Context, l frontier.Lease) error {
	w.extends.Add(1)
	return w.note(w.ext.Extend(ctx, l))
}

func (w *staleWatch) LeaseTTL() time.Duration { return w.ext.LeaseTTL() }

func (w *staleWatch) Complete(ctx context.Context, l frontier.Lease, children []frontier.Item) (int, error) {
	n, err := w.Frontier.Complete(ctx, l, children)
	return n, w.note(err)
}

func (w *staleWatch) Retry(ctx context.Context, l frontier.Lease, wait time.Duration) error {
	return w.note(w.Frontier.Retry(ctx, l, wait))
}

// TestRedisLeaseRenewal crawls a site slower than the lease TTL on the
// Redis frontier named by CRAWL_TEST_REDIS (skipped when unset): renewals
// keep every lease, and each URL is recorded once.
func TestRedisLeaseRenewal(t *testing.T) {
	client := testRedis(t)
	const ttl = 400 * time.Millisecond
	site := testserver.New(testserver.Config{Pages: 8, Links: 2, Seed: 6, Latency: 3 * ttl})
	srv := httptest.NewServer(site.Handler())
	t.Cleanup(srv.Close)
	cfg := crawler.DefaultConfig()
	cfg.Seeds, cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = []string{srv.URL + "/"}, 2, 4, 4

	fr := openTestRedis(t, client, cfg.Policy(), ttl)
	w := &staleWatch{Frontier: fr, ext: fr}
	res := runCrawlOn(t, cfg, srv.URL, w)
	check(t, site, res, site.Expect("/", 2), 0)
	if n := w.stale.Load(); n != 0 {
		t.Errorf("%d stale leases, want 0", n)
	}
	if w.extends.Load() == 0 {
		t.Errorf("no lease was extended")
	}
}

// testRedis returns a client of the Redis named by CRAWL_TEST_REDIS, and
// skips the test when it is unset.
func testRedis(t *testing.T) *goredis.Client {
	t.Helper()
	addr := os.Getenv("CRAWL_TEST_REDIS")
	if addr == "" {
		t.Skip("CRAWL_TEST_REDIS is unset; set it to a Redis URL such as redis://127.0.0.1:6379/0 to run the Redis crawl tests")
	}
	opt, err := goredis.ParseURL(addr)
	if err != nil {
		t.Fatalf("CRAWL_TEST_REDIS=%q: %v", addr, err)
	}
	client := goredis.NewClient(opt)
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("close client: %v", err)
		}
	})
	return client
}

// openTestRedis opens a new crawl on client, deleted when the test ends,
// with leases of ttl; the frontier is closed when the test ends.
func openTestRedis(t *testing.T, client *goredis.Client, p frontier.Policy, ttl time.Duration) *redis.Frontier {
	t.Helper()
	id := "crawler-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		if err := redis.Delete(context.Background(), client, id); err != nil {
			t.Errorf("delete crawl %s: %v", id, err)
		}
	})
	fr, err := redis.Open(t.Context(), client, id, p, redis.Options{LeaseTTL: ttl, PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := fr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return fr
}
