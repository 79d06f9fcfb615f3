package redis

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier"
)

// benchItems returns n items of depth 0 spread over nHost hosts, with
// URLs and parents of a typical length (about 35 bytes).
func benchItems(n, nHost int) []frontier.Item {
	items := make([]frontier.Item, n)
	for i := range items {
		h := fmt.Sprintf("host%04d.example", i%nHost)
		items[i] = frontier.Item{
			URL:    fmt.Sprintf("http://%s/page/%07d", h, i),
			Host:   h,
			Parent: fmt.Sprintf("http://%s/index/%04d", h, i/nHost),
		}
	}
	return items
}

// BenchmarkClaimComplete measures Next plus Complete (no children) through
// one client, with 1 and 8 workers; each op is one URL leased and done.
func BenchmarkClaimComplete(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			c := testClient(b)
			f := openTest(b, c, newCrawlID(b, c), frontier.Policy{MaxInflight: 64}, Options{})
			if _, err := f.Add(b.Context(), benchItems(b.N, 256)...); err != nil {
				b.Fatalf("Add: %v", err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for {
						l, err := f.Next(b.Context())
						if errors.Is(err, frontier.ErrDone) {
							return
						}
						if err != nil {
							b.Errorf("Next: %v", err)
							return
						}
						if _, err := f.Complete(b.Context(), l, nil); err != nil {
							b.Errorf("Complete: %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
		})
	}
}

// BenchmarkAdd measures Add of new URLs in batches of 256.
func BenchmarkAdd(b *testing.B) {
	c := testClient(b)
	f := openTest(b, c, newCrawlID(b, c), frontier.Policy{}, Options{})
	items := benchItems(b.N, 256)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for len(items) > 0 {
		n := min(len(items), 256)
		if _, err := f.Add(b.Context(), items[:n]...); err != nil {
			b.Fatalf("Add: %v", err)
		}
		items = items[n:]
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "urls/s")
}

// BenchmarkMemoryPerURL adds 200,000 URLs over 1,000 hosts and reports
// Redis's used_memory per URL: in total, for the queues (measured by
// unlinking them) and for the seen-set (measured by unlinking its
// buckets), with the default SeenBucketBits (16: about 3 URLs a bucket
// here, so key overhead dominates) and with 11 (about 100 a bucket, as a
// crawl of 6 million URLs has with the default). Run it alone, with
// -benchtime=1x: other clients of the server skew the figures.
func BenchmarkMemoryPerURL(b *testing.B) {
	for _, bits := range []int{DefaultSeenBucketBits, 11} {
		b.Run(fmt.Sprintf("bits=%d", bits), func(b *testing.B) { benchMemory(b, bits) })
	}
}

func benchMemory(b *testing.B, bits int) {
	const n = 200_000
	c := testClient(b)
	items := benchItems(n, 1000)
	for range b.N {
		id := newCrawlID(b, c)
		f := openTest(b, c, id, frontier.Policy{}, Options{SeenBucketBits: bits})
		m0 := usedMemory(b, c)
		for rest := items; len(rest) > 0; {
			k := min(len(rest), 1000)
			if _, err := f.Add(b.Context(), rest[:k]...); err != nil {
				b.Fatalf("Add: %v", err)
			}
			rest = rest[k:]
		}
		m1 := usedMemory(b, c)
		unlinkMatching(b, c, newKeys(id).prefix+"q:*")
		m2 := usedMemory(b, c)
		unlinkMatching(b, c, newKeys(id).prefix+"s:*")
		m3 := usedMemory(b, c)
		b.ReportMetric(float64(m1-m0)/n, "B/url-total")
		b.ReportMetric(float64(m1-m2)/n, "B/queued-url")
		b.ReportMetric(float64(m2-m3)/n, "B/seen-url")
	}
}

func usedMemory(tb testing.TB, c *goredis.Client) int64 {
	tb.Helper()
	s, err := c.Info(tb.Context(), "memory").Result()
	if err != nil {
		tb.Fatalf("INFO memory: %v", err)
	}
	for line := range strings.Lines(s) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				tb.Fatalf("used_memory %q: %v", v, err)
			}
			return n
		}
	}
	tb.Fatalf("INFO memory has no used_memory")
	return 0
}

func unlinkMatching(tb testing.TB, c *goredis.Client, match string) {
	tb.Helper()
	var cursor uint64
	for {
		ks, next, err := c.Scan(tb.Context(), cursor, match, 1000).Result()
		if err != nil {
			tb.Fatalf("scan: %v", err)
		}
		if len(ks) > 0 {
			if err := c.Unlink(tb.Context(), ks...).Err(); err != nil {
				tb.Fatalf("unlink: %v", err)
			}
		}
		if next == 0 {
			return
		}
		cursor = next
	}
}
