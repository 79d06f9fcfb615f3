package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier"
)

// testClient connects to the Redis named by CRAWL_TEST_REDIS, or skips.
func testClient(tb testing.TB) *goredis.Client {
	tb.Helper()
	addr := os.Getenv("CRAWL_TEST_REDIS")
	if addr == "" {
		tb.Skip("CRAWL_TEST_REDIS is unset; set it to a Redis URL such as redis://127.0.0.1:6379/0 to run the Redis frontier tests")
	}
	opt, err := goredis.ParseURL(addr)
	if err != nil {
		tb.Fatalf("CRAWL_TEST_REDIS=%q: %v", addr, err)
	}
	c := goredis.NewClient(opt)
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("close client: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("ping %s: %v", addr, err)
	}
	return c
}

// newCrawlID returns a crawl id no other test uses, and deletes the
// crawl's keys when the test ends.
func newCrawlID(tb testing.TB, c goredis.UniversalClient) string {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("rand: %v", err)
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, tb.Name())
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	id := "test-" + name + "-" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := Delete(ctx, c, id); err != nil {
			tb.Errorf("Delete(%s): %v", id, err)
		}
	})
	return id
}

// openTest opens a frontier on crawl id over c; it is closed when the test
// ends.
func openTest(tb testing.TB, c goredis.UniversalClient, id string, p frontier.Policy, opts Options) *Frontier {
	tb.Helper()
	f, err := Open(tb.Context(), c, id, p, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", id, err)
	}
	tb.Cleanup(func() {
		if err := f.Close(); err != nil && err != frontier.ErrClosed {
			tb.Errorf("Close: %v", err)
		}
	})
	return f
}

// crawlKeys lists the keys of crawl id.
func crawlKeys(tb testing.TB, c goredis.UniversalClient, id string) []string {
	tb.Helper()
	var all []string
	var cursor uint64
	for {
		ks, next, err := c.Scan(tb.Context(), cursor, newKeys(id).prefix+"*", 1000).Result()
		if err != nil {
			tb.Fatalf("scan: %v", err)
		}
		all = append(all, ks...)
		if next == 0 {
			return all
		}
		cursor = next
	}
}

func item(host, path string, depth int) frontier.Item {
	return frontier.Item{URL: "http://" + host + "/" + path, Host: host, Depth: depth}
}

// ctxT is a context that ends after d or with the test.
func ctxT(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(tb.Context(), d)
	tb.Cleanup(cancel)
	return ctx
}
