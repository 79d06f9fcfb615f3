package disk

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// open opens dir and fails the test on error. The test closes it.
func open(t *testing.T, dir string, p frontier.Policy, opts Options) *Disk {
	t.Helper()
	d, err := Open(dir, p, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return d
}

func closeDisk(t *testing.T, d *Disk) {
	t.Helper()
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func add(t *testing.T, d *Disk, items ...frontier.Item) int {
	t.Helper()
	n, err := d.Add(ctxT(t), items...)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	return n
}

func next(t *testing.T, d *Disk) frontier.Lease {
	t.Helper()
	l, err := d.Next(ctxT(t))
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return l
}

func complete(t *testing.T, d *Disk, l frontier.Lease, children ...frontier.Item) {
	t.Helper()
	if _, err := d.Complete(ctxT(t), l, children); err != nil {
		t.Fatalf("Complete(%s): %v", l.Item.URL, err)
	}
}

func stats(t *testing.T, d *Disk) frontier.Stats {
	t.Helper()
	s, err := d.Stats(ctxT(t))
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

// drain leases and completes items until ErrDone and returns the leased
// items in order.
func drain(t *testing.T, d *Disk) []frontier.Item {
	t.Helper()
	var got []frontier.Item
	for {
		l, err := d.Next(ctxT(t))
		if errors.Is(err, frontier.ErrDone) {
			return got
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		got = append(got, l.Item)
		complete(t, d, l)
	}
}

func item(host, path string, depth int) frontier.Item {
	return frontier.Item{URL: "http://" + host + "/" + path, Host: host, Depth: depth}
}

func urls(items []frontier.Item) []string {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = it.URL
	}
	return s
}

// contents is what the store of an open Disk holds.
type contents struct {
	seen   map[string]bool
	queued []frontier.Item // in key order: by host, depth, then FIFO
	moved  int             // slots of moved items
	leased int
}

func (d *Disk) contents(t *testing.T) contents {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	c := contents{seen: make(map[string]bool)}
	err := d.scan(prefixSeen, func(k, _ []byte) error {
		c.seen[string(k[1:])] = true
		return nil
	})
	if err == nil {
		err = d.scan(prefixQueue, func(k, v []byte) error {
			host, depth, _, err := parseQueueKey(k)
			if err != nil {
				return err
			}
			if isMoved(v) {
				c.moved++
				return nil
			}
			it, err := decodeItem(v)
			it.Host, it.Depth = host, depth
			c.queued = append(c.queued, it)
			return err
		})
	}
	if err == nil {
		err = d.scan(prefixLease, func(_, _ []byte) error {
			c.leased++
			return nil
		})
	}
	if err != nil {
		t.Fatalf("scan the store: %v", err)
	}
	return c
}

// rewrite opens the store of the closed state in dir directly and applies
// fn's writes to it.
func rewrite(t *testing.T, dir string, fn func(b *pebble.Batch) error) {
	t.Helper()
	db, err := openStore(dir+"/"+dbName, false, 0)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	b := db.NewBatch()
	if err := fn(b); err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if err := db.Apply(b, pebble.Sync); err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if err := errors.Join(b.Close(), db.Close()); err != nil {
		t.Fatalf("rewrite: %v", err)
	}
}
