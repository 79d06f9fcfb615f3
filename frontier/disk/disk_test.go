package disk

import (
	"testing"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/frontiertest"
)

func TestConformance(t *testing.T) {
	frontiertest.RunOptions(t, frontiertest.Options{Batcher: true, Annotator: true, Aheader: true}, func(t *testing.T, p frontier.Policy) frontier.Frontier {
		d, err := Open(t.TempDir(), p, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return d
	})
}
