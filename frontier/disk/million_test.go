package disk

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

var (
	million    = flag.Bool("million", false, "run TestMillion: 1,000,000 URLs through a Disk (about a minute)")
	millionDir = flag.String("million-dir", "", "state directory of TestMillion (default: a temporary one)")
)

// TestMillion is the workload the engine was chosen on, run only with
// -million (see the package doc for the command): 10,000 seeds, one per
// host, are leased and completed with 100 children each (about 60-byte
// URLs, 80 on the page's host, 20 on others), one durable Complete per
// page, so 1,010,000 URLs are enqueued; then everything is drained by
// Next and CompleteBatch of 100 leases. It logs the rates, the disk use,
// the time to reopen with a million queued URLs and the peak RSS.
func TestMillion(t *testing.T) {
	if !*million {
		t.Skip("run with -million")
	}
	const (
		hosts    = 10_000
		children = 100
		batch    = 100
	)
	dir := *millionDir
	if dir == "" {
		dir = t.TempDir()
	}
	// One context for the whole run: ctxT's cleanups would pile up.
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p := frontier.Policy{MaxInflight: 2}
	d := open(t, dir, p, Options{})
	host := func(h int) string { return fmt.Sprintf("www.site%05d.example", h%hosts) }
	seeds := make([]frontier.Item, 0, batch)
	for h := range hosts {
		seeds = append(seeds, frontier.Item{URL: "https://" + host(h) + "/", Host: host(h)})
		if len(seeds) == batch {
			_, err := d.Add(ctx, seeds...)
			must(err)
			seeds = seeds[:0]
		}
	}

	start := time.Now()
	kids := make([]frontier.Item, children)
	for i := range hosts {
		l, err := d.Next(ctx)
		must(err)
		for j := range kids {
			kh := l.Item.Host
			if j%5 == 4 {
				kh = host(i*7919 + j)
			}
			kids[j] = frontier.Item{
				URL:    fmt.Sprintf("https://%s/section-%02d/page-%07d.html", kh, j%20, i*children+j),
				Host:   kh,
				Depth:  1,
				Parent: l.Item.URL,
			}
		}
		_, err = d.Complete(ctx, l, kids)
		must(err)
	}
	enqueue := time.Since(start)
	s := stats(t, d)
	t.Logf("enqueue: %d URLs in %d Completes of %d children in %v: %.0f URLs/s, %.0f commits/s",
		s.Queued, hosts, children, enqueue.Round(time.Millisecond), float64(s.Queued)/enqueue.Seconds(), hosts/enqueue.Seconds())
	closeDisk(t, d)
	t.Logf("disk after enqueue: %.1f MB", float64(du(t, dir))/1e6)

	start = time.Now()
	d = open(t, dir, p, Options{})
	defer closeDisk(t, d)
	t.Logf("reopen with %d queued: %v", s.Queued, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	drained, commits := 0, 0
	done := make([]Done, 0, batch)
	commit := func() {
		_, err := d.CompleteBatch(ctx, done, fmt.Appendf(nil, "%d", drained))
		must(err)
		drained += len(done)
		commits++
		done = done[:0]
	}
	for {
		// Next blocks while the leases held here fill their hosts' limits:
		// commit what is held when it does.
		nctx, cancel := ctx, context.CancelFunc(func() {})
		if len(done) > 0 {
			nctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
		}
		l, err := d.Next(nctx)
		cancel()
		switch {
		case err == nil:
			done = append(done, Done{Lease: l})
			if len(done) == batch {
				commit()
			}
			continue
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			commit()
			continue
		case !errors.Is(err, frontier.ErrDone):
			t.Fatalf("Next: %v", err)
		}
		break
	}
	drain := time.Since(start)
	t.Logf("drain: %d URLs in %d CompleteBatches in %v: %.0f URLs/s", drained, commits, drain.Round(time.Millisecond), float64(drained)/drain.Seconds())
	if !d.Finished() {
		t.Errorf("not finished after the drain: %+v", stats(t, d))
	}
	t.Logf("disk after drain: %.1f MB; peak RSS (VmHWM): %s", float64(du(t, dir))/1e6, vmHWM(t))
}

// du returns the bytes of the files under dir.
func du(t *testing.T, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatalf("du %s: %v", dir, err)
	}
	return n
}

// vmHWM returns the process's peak resident set size as Linux reports it.
func vmHWM(t *testing.T) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// BenchmarkComplete measures durable completions: one URL per op, all
// leased before the timer starts. "single" commits each Complete on its
// own; "batch100" commits 100 per CompleteBatch; "parallel8" runs 8
// goroutines of single Completes, which share fsyncs.
func BenchmarkComplete(b *testing.B) {
	for _, bc := range []struct {
		name    string
		batch   int
		workers int
	}{
		{"single", 1, 1},
		{"batch100", 100, 1},
		{"parallel8", 1, 8},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			d, err := Open(b.TempDir(), frontier.Policy{MaxInflight: 1 << 30}, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := d.Close(); err != nil {
					b.Error(err)
				}
			}()
			ls := leaseN(b, d, b.N)
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range bc.workers {
				wg.Go(func() {
					for i := w * bc.batch; i < len(ls); i += bc.workers * bc.batch {
						done := make([]Done, 0, bc.batch)
						for _, l := range ls[i:min(i+bc.batch, len(ls))] {
							done = append(done, Done{Lease: l})
						}
						if _, err := d.CompleteBatch(b.Context(), done, nil); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "urls/s")
			b.ReportMetric(float64((b.N+bc.batch-1)/bc.batch)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}

// leaseN adds n URLs over 100 hosts and leases them all.
func leaseN(b *testing.B, d *Disk, n int) []frontier.Lease {
	items := make([]frontier.Item, 0, 1000)
	for i := range n {
		h := fmt.Sprintf("h%03d.test", i%100)
		items = append(items, frontier.Item{URL: fmt.Sprintf("https://%s/p%d", h, i), Host: h})
		if len(items) == cap(items) || i == n-1 {
			if _, err := d.Add(b.Context(), items...); err != nil {
				b.Fatal(err)
			}
			items = items[:0]
		}
	}
	ls := make([]frontier.Lease, n)
	for i := range ls {
		l, err := d.Next(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		ls[i] = l
	}
	return ls
}
