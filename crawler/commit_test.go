package crawler

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
)

// batcher and extender add an optional interface to a memory frontier.
type batcher struct{ frontier.Frontier }

func (batcher) CompleteBatch(context.Context, []frontier.Done, []byte) (int, error) { return 0, nil }
func (batcher) Checkpoint() []byte                                                  { return nil }

type extender struct{ frontier.Frontier }

func (extender) Extend(context.Context, frontier.Lease) error { return nil }
func (extender) LeaseTTL() time.Duration                      { return time.Minute }

type both struct{ batcher }

func (both) Extend(context.Context, frontier.Lease) error { return nil }
func (both) LeaseTTL() time.Duration                      { return time.Minute }

// plainWriter is a RecordWriter that is not a DurableWriter.
type plainWriter struct{}

func (plainWriter) Write(*store.Record) error { return nil }
func (plainWriter) Flush() error              { return nil }

func TestNewCommitter(t *testing.T) {
	mem := frontier.NewMemory(frontier.Policy{})
	durable := store.NewWriter(io.Discard)
	tests := []struct {
		name string
		fr   frontier.Frontier
		out  RecordWriter
		want string // the committer's type, or "error"
	}{
		{"memory", mem, durable, "crawler.writeFirst"},
		{"memory, plain writer", mem, plainWriter{}, "crawler.writeFirst"},
		{"batcher", batcher{mem}, durable, "*crawler.groupCommit"},
		{"batcher, plain writer", batcher{mem}, plainWriter{}, "error"},
		{"extender", extender{mem}, plainWriter{}, "*crawler.completeFirst"},
		{"both", both{batcher{mem}}, durable, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cm, err := newCommitter(&Crawler{}, tt.fr, tt.out)
			got := fmt.Sprintf("%T", cm)
			if err != nil {
				got = "error"
			}
			if got != tt.want {
				t.Errorf("newCommitter = %s (err %v), want %s", got, err, tt.want)
			}
		})
	}
}
