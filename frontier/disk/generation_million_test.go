package disk

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
)

// TestMillionGeneration measures, with -million, what forgetting a big
// seen-set costs (see the package doc for the figures): a finished state
// with 1,000,000 seen keys starts its next generation, then 1,000,000
// URLs are added (in Adds of 100, without fsync, so the seen lookups
// dominate), either the same URLs again (a re-crawl: each lookup meets its
// old key under the range deletion) or new ones; the same Adds on a fresh
// state are the baseline.
//
//	go test -run '^TestMillionGeneration$' -v -million ./frontier/disk
func TestMillionGeneration(t *testing.T) {
	if !*million {
		t.Skip("run with -million")
	}
	const n = 1_000_000
	tests := []struct {
		name     string
		old      bool // a finished generation of n keys first
		sameKeys bool // add its keys again
	}{
		{"fresh state", false, false},
		{"next generation, same keys", true, true},
		{"next generation, new keys", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			closeDisk(t, open(t, dir, frontier.Policy{}, Options{}))
			if tt.old {
				start := time.Now()
				writeFinished(t, dir, n)
				t.Logf("wrote and compacted a finished state of %d seen keys in %v (%d MB on disk)", n, time.Since(start).Round(time.Millisecond), du(t, dir)>>20)
			}
			if tt.old {
				d := open(t, dir, frontier.Policy{}, Options{})
				if !d.Finished() {
					t.Fatalf("the state written is not finished")
				}
				start := time.Now()
				if err := d.NextGeneration(t.Context(), []frontier.Item{millionURL(0, true)}, nil); err != nil {
					t.Fatalf("NextGeneration: %v", err)
				}
				t.Logf("NextGeneration of %d seen keys: %v", n, time.Since(start).Round(time.Microsecond))
				closeDisk(t, d)
				t.Logf("%d KB on disk after NextGeneration and Close (the store drops the tables the range deletion covers)", du(t, dir)>>10)
			}
			d := open(t, dir, frontier.Policy{MaxInflight: 2}, Options{NoSync: true})
			defer closeDisk(t, d)
			batch := make([]frontier.Item, 0, 100)
			start := time.Now()
			added := 0
			for i := range n {
				batch = append(batch, millionURL(i, tt.sameKeys))
				if len(batch) == cap(batch) {
					k, err := d.Add(t.Context(), batch...)
					if err != nil {
						t.Fatalf("Add: %v", err)
					}
					added += k
					batch = batch[:0]
				}
			}
			el := time.Since(start)
			want := n
			if tt.old && tt.sameKeys {
				want = n - 1 // the seed
			}
			if added != want {
				t.Errorf("added %d, want %d", added, want)
			}
			t.Logf("Add of %d URLs: %v, %.0f URLs/s", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
			// A second pass over the same keys: every lookup finds one.
			start = time.Now()
			for i := 0; i < n; i += 100 {
				for j := range 100 {
					batch = append(batch, millionURL(i+j, tt.sameKeys))
				}
				if k, err := d.Add(t.Context(), batch...); err != nil || k != 0 {
					t.Fatalf("Add again = %d, %v; want 0, nil", k, err)
				}
				batch = batch[:0]
			}
			el = time.Since(start)
			t.Logf("Add of the same %d URLs again (all seen): %v, %.0f URLs/s", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
		})
	}
}

// millionURL is URL i of TestMillionGeneration: of the old generation, or
// a new one.
func millionURL(i int, old bool) frontier.Item {
	host := fmt.Sprintf("www.site%05d.example", i%10_000)
	kind := "page"
	if !old {
		kind = "new"
	}
	return frontier.Item{URL: fmt.Sprintf("https://%s/section-%02d/%s-%07d.html", host, i%20, kind, i), Host: host, Depth: 1}
}

// writeFinished writes into the closed, empty state in dir a finished
// crawl of n URLs (every one seen and done), compacted as a long crawl's
// store would be.
func writeFinished(t *testing.T, dir string, n int) {
	t.Helper()
	db, err := openStore(dir+"/"+dbName, false, 0)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(errors.Join(err, db.Close()))
		}
	}
	b := db.NewBatch()
	for i := range n {
		must(b.Set(seenKey(nil, millionURL(i, true).URL), nil, nil))
		if b.Len() > 4<<20 || i == n-1 {
			must(db.Apply(b, pebble.NoSync))
			must(b.Close())
			b = db.NewBatch()
		}
	}
	must(b.Set(keyCounters, appendCounters(nil, counters{seen: n, done: n}), nil))
	must(db.Apply(b, pebble.Sync))
	must(b.Close())
	must(db.Compact(t.Context(), []byte{0}, []byte{0xff}, true))
	must(db.Close())
}
