package frontier_test

import (
	"testing"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/frontiertest"
)

func openMemory(t *testing.T, p frontier.Policy) frontier.Frontier {
	return frontier.NewMemory(p)
}

// TestMemoryConformance runs the suite on the real clock, as the I/O
// backends do, which also keeps the suite's real-clock form honest.
func TestMemoryConformance(t *testing.T) {
	frontiertest.RunOptions(t, frontiertest.Options{Aheader: true}, openMemory)
}

// TestMemoryConformanceSynctest runs the suite in synctest bubbles: instant,
// with exact times.
func TestMemoryConformanceSynctest(t *testing.T) {
	frontiertest.RunOptions(t, frontiertest.Options{Synctest: true, Aheader: true}, openMemory)
}
