package crawler_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// sharedRobots is a frontier with an in-memory frontier.RobotsStore, as a
// Redis frontier shares robots.txt between the processes of a crawl.
type sharedRobots struct {
	frontier.Frontier
	mu      sync.Mutex
	files   map[string][]byte // nil value: allow all
	claimed map[string]bool
}

func (s *sharedRobots) Robots(_ context.Context, origin string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[origin]
	return f, ok, nil
}

func (s *sharedRobots) ClaimRobots(_ context.Context, origin string, _ time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimed[origin] {
		return false, nil
	}
	s.claimed[origin] = true
	return true, nil
}

func (s *sharedRobots) StoreRobots(_ context.Context, origin string, body []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[origin] = body
	delete(s.claimed, origin)
	return nil
}

// TestRobotsFetchedOnce runs two crawlers (two robots caches, as two
// processes have) on one frontier that shares robots.txt: robots.txt is
// requested once in all, both obey it, and together they record every
// expected URL exactly once.
func TestRobotsFetchedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		site := testserver.New(testserver.Config{Pages: 80, Links: 5, Seed: 13, Features: testserver.Robots, Latency: 10 * time.Millisecond})
		cfg := crawler.DefaultConfig()
		cfg.Seeds, cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = []string{"http://site.test/"}, 3, 4, 4
		cfg.Transport = testserver.Transport{"site.test": site.Handler()}
		fr := &sharedRobots{Frontier: frontier.NewMemory(cfg.Policy()), files: map[string][]byte{}, claimed: map[string]bool{}}
		defer fr.Close()
		var outs [2]bytes.Buffer
		var wg sync.WaitGroup
		for i := range outs {
			c, err := crawler.New(cfg, fr, store.NewWriter(&outs[i]), zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				if err := c.Run(context.Background()); err != nil {
					t.Errorf("crawler %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if n := site.Requests()["/robots.txt"]; n != 1 {
			t.Errorf("robots.txt requested %d times by two crawlers, want 1", n)
		}
		res := crawlResult{base: "http://site.test", records: map[string]*store.Record{}}
		for i := range outs {
			if err := store.Read(&outs[i], func(r *store.Record) error {
				if _, dup := res.records[r.URL]; dup {
					res.dups = append(res.dups, r.URL)
				}
				res.records[r.URL] = r
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		check(t, site, res, site.Expect("/", 3), 0)
	})
}
