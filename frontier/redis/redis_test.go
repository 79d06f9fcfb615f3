package redis

import (
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/frontiertest"
)

// conformanceLeaseTTL is short so that the suite's lease expiry tests wait
// little, and long next to the tens of milliseconds the other tests hold a
// lease.
const conformanceLeaseTTL = 500 * time.Millisecond

func TestConformance(t *testing.T) {
	c := testClient(t)
	opts := frontiertest.Options{Resolution: time.Millisecond, Extender: true, RobotsStore: true}
	frontiertest.RunOptions(t, opts, func(t *testing.T, p frontier.Policy) frontier.Frontier {
		return openTest(t, c, newCrawlID(t, c), p, Options{LeaseTTL: conformanceLeaseTTL})
	})
}
