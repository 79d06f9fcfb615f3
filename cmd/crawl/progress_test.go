package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/testserver"
)

// TestProgressRender drives the renderer with explicit times and checks the
// bytes it writes: the line redrawn in place, the rate over the recent
// samples, log lines written above it, and the line erased at the end.
func TestProgressRender(t *testing.T) {
	var buf bytes.Buffer
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(&buf, start, func() int { return 200 })
	take := func() string { s := buf.String(); buf.Reset(); return s }

	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"first", func() error {
			return p.update(start, progressSample{})
		}, "\r0 done  0 queued  0 in flight  0 errors  0.0 pages/s  0 B  0:00\x1b[K"},
		{"one second", func() error {
			return p.update(start.Add(time.Second), progressSample{done: 1500, errors: 12, bytes: 3 << 20, queued: 2400, inflight: 8})
		}, "\r1,500 done  2,400 queued  8 in flight  12 errors  1500.0 pages/s  3.0 MiB  0:01\x1b[K"},
		{"rate over the window", func() error {
			return p.update(start.Add(2*time.Second), progressSample{done: 2000, errors: 12, bytes: 4 << 20, queued: 100, inflight: 3})
		}, "\r2,000 done  100 queued  3 in flight  12 errors  1000.0 pages/s  4.0 MiB  0:02\x1b[K"},
		{"fetched ahead", func() error {
			return p.update(start.Add(2*time.Second), progressSample{done: 2000, errors: 12, bytes: 4 << 20, queued: 100, inflight: 3, parked: 1200})
		}, "\r2,000 done  100 queued  3 in flight  12 errors  1000.0 pages/s  4.0 MiB  0:02  1,200 fetched ahead\x1b[K"},
		{"hosts backing off", func() error {
			return p.update(start.Add(2*time.Second), progressSample{done: 2000, errors: 12, bytes: 4 << 20, queued: 100, inflight: 3, blocked: 2})
		}, "\r2,000 done  100 queued  3 in flight  12 errors  1000.0 pages/s  4.0 MiB  0:02  2 hosts backing off\x1b[K"},
		{"log line", func() error {
			_, err := p.Write([]byte("12:00:00.000\tWARN\thost failing\n"))
			return err
		}, "\r\x1b[K12:00:00.000\tWARN\thost failing\n2,000 done  100 queued  3 in flight  12 errors  1000.0 pages/s  4.0 MiB  0:02  2 hosts backing off"},
		{"stop", p.stop, "\r\x1b[K"},
		{"update after stop", func() error {
			return p.update(start.Add(3*time.Second), progressSample{done: 3000})
		}, ""},
		{"log after stop", func() error {
			_, err := p.Write([]byte("plain\n"))
			return err
		}, "plain\n"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := take(); got != s.want {
			t.Errorf("%s: wrote %q, want %q", s.name, got, s.want)
		}
	}
}

// TestProgressWidth checks that the line never wraps: a wrapped line could
// not be redrawn in place.
func TestProgressWidth(t *testing.T) {
	var buf bytes.Buffer
	start := time.Now()
	p := newProgress(&buf, start, func() int { return 30 })
	if err := p.update(start.Add(time.Hour+time.Minute), progressSample{done: 123456789}); err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSuffix(strings.TrimPrefix(buf.String(), "\r"), "\x1b[K")
	if want := "123,456,789 done  0 queued  0"; line != want {
		t.Errorf("line %q, want %q (29 columns)", line, want)
	}
}

func TestClock(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"}, {1499 * time.Millisecond, "0:01"}, {59 * time.Second, "0:59"}, {61 * time.Second, "1:01"},
		{time.Hour, "1:00:00"}, {25*time.Hour + 61*time.Second, "25:01:01"},
	}
	for _, tt := range tests {
		if got := clock(tt.d); got != tt.want {
			t.Errorf("clock(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestProgressLoop runs the loop on fake time: a draw at once, then one
// per tick, nothing after it stops.
func TestProgressLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out lockedBuffer
		p := newProgress(&out, time.Now(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		var samples int
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.run(ctx, tick.C, func() progressSample { samples++; return progressSample{done: int64(samples)} })
		}()
		time.Sleep(time.Second) // fake time: four ticks
		synctest.Wait()
		cancel()
		<-done
		if samples != 5 {
			t.Errorf("%d samples in 1s, want 5 (one at once, one per %v)", samples, progressInterval)
		}
		if n := strings.Count(out.String(), "\r"); n != 5 {
			t.Errorf("%d draws, want 5: %q", n, out.String())
		}
		if !strings.Contains(out.String(), "\r5 done") {
			t.Errorf("last draw missing: %q", out.String())
		}
	})
}

// TestProgressThroughRun checks when run shows the progress line: never on a
// stderr that is not a terminal unless asked, and then with the line erased
// before the summary.
func TestProgressThroughRun(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 40, Links: 4, Seed: 3})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	tests := []struct {
		name     string
		args     []string
		progress bool
		summary  bool
	}{
		{"auto, not a terminal", nil, false, true},
		{"never", []string{"--progress", "never"}, false, true},
		{"always", []string{"--progress", "always"}, true, true},
		{"quiet", []string{"--quiet"}, false, false},
		{"quiet but always", []string{"--quiet", "--progress", "always"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--seed", srv.URL + "/", "--depth", "2", "--out", t.TempDir() + "/out.jsonl"}, tt.args...)
			code, _, stderr := runCLI(t, context.Background(), "", args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			hasProgress := strings.Contains(stderr, "\r") || strings.Contains(stderr, "\x1b[K")
			if hasProgress != tt.progress {
				t.Errorf("progress sequences on stderr: %v, want %v\n%q", hasProgress, tt.progress, stderr)
			}
			if tt.progress {
				last := strings.LastIndex(stderr, "\r\x1b[K")
				if !strings.Contains(stderr, " done  ") || last < 0 || strings.ContainsAny(stderr[last+4:], "\r\x1b") {
					t.Errorf("want progress lines, then the line erased and plain text after it:\n%q", stderr)
				}
				if fin := strings.Index(stderr, "crawl finished"); fin < last {
					t.Errorf("the final log line comes before the progress line is erased:\n%q", stderr)
				}
			}
			if got := strings.Contains(stderr, "\ncrawl completed in "); got != tt.summary {
				t.Errorf("summary on stderr: %v, want %v\n%s", got, tt.summary, stderr)
			}
		})
	}
}
