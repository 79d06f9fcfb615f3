package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/crawler/report"
	"github.com/crawl-dev/crawl/testserver"
)

// scrape fetches and parses the text exposition at url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return mfs
}

// value returns the value of the series of family name whose labels
// include want (name=value pairs), summed over matching series; a histogram
// gives its sample count.
func value(mfs map[string]*dto.MetricFamily, name string, want ...string) float64 {
	mf := mfs[name]
	if mf == nil {
		return -1
	}
	var sum float64
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// logWatcher is a stderr that finds the metrics URL in JSON log lines.
type logWatcher struct {
	w   *io.PipeWriter
	url chan string
	all lockedBuffer
}

func newLogWatcher() *logWatcher {
	pr, pw := io.Pipe()
	l := &logWatcher{w: pw, url: make(chan string, 1)}
	go func() {
		r := bufio.NewReader(pr)
		for {
			line, err := r.ReadBytes('\n')
			var e struct{ Msg, URL string }
			if json.Unmarshal(line, &e) == nil && e.Msg == "serving metrics" {
				l.url <- e.URL
			}
			if err != nil {
				return
			}
		}
	}()
	return l
}

func (l *logWatcher) Write(p []byte) (int, error) {
	if _, err := l.all.Write(p); err != nil {
		return 0, err
	}
	return l.w.Write(p)
}

// TestMetricsDuringCrawl scrapes /metrics twice during a crawl that the
// test server holds still at two points, and checks that the crawl_ metrics
// moved in between, that the Go and process metrics are there, and that the
// server is gone when the crawl ends.
func TestMetricsDuringCrawl(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 400, Links: 6, Seed: 4, Features: testserver.AllFeatures})
	// The server stops at its 40th and 150th requests until the test
	// has scraped.
	gates := map[int64]chan chan struct{}{40: make(chan chan struct{}), 150: make(chan chan struct{})}
	var served atomic.Int64
	h := site.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g, ok := gates[served.Add(1)]; ok {
			release := make(chan struct{})
			g <- release
			<-release
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	stderr := newLogWatcher()
	result := make(chan int, 1)
	go func() {
		err := run(context.Background(), []string{
			"--seed", srv.URL + "/", "--depth", "4", "--concurrency", "4", "--per-host", "4",
			"--backoff-base", "1ms", "--backoff-max", "2ms", "--retries", "1",
			"--metrics", "127.0.0.1:0", "--log-format", "json", "--out", filepath.Join(t.TempDir(), "out.jsonl"),
		}, strings.NewReader(""), io.Discard, stderr)
		result <- exitCode(err, stderr)
	}()
	var url string
	select {
	case url = <-stderr.url:
	case code := <-result:
		t.Fatalf("crawl ended (exit %d) before serving metrics: %s", code, stderr.all.String())
	}

	var scrapes []map[string]*dto.MetricFamily
	var servedAt []int64 // requests the server had taken right after each scrape
	for _, n := range []int64{40, 150} {
		release := <-gates[n]
		scrapes = append(scrapes, scrape(t, url))
		servedAt = append(servedAt, served.Load())
		close(release)
	}
	if code := <-result; code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.all.String())
	}

	first, second := scrapes[0], scrapes[1]
	moved := []struct {
		name   string
		labels []string
	}{
		{"crawl_requests_total", []string{"resource", "page", "status_class", "2xx"}},
		{"crawl_records_total", nil},
		{"crawl_record_bytes_total", nil},
		{"crawl_request_bytes_total", nil},
		{"crawl_fetch_duration_seconds", nil},
		{"crawl_seen_urls", nil},
	}
	for _, m := range moved {
		a, b := value(first, m.name, m.labels...), value(second, m.name, m.labels...)
		if a <= 0 || b <= a {
			t.Errorf("%s%v: %v then %v, want > 0 and growing", m.name, m.labels, a, b)
		}
	}
	// The other workers go on while the server holds one request: at the
	// second gate the crawler has finished at least 100 requests, and
	// never more than the server has taken.
	if got := value(second, "crawl_requests_total"); got < 100 || got > float64(servedAt[1]) {
		t.Errorf("crawl_requests_total %v at the second gate, want 100..%d", got, servedAt[1])
	}
	if got := value(second, "crawl_requests_total", "resource", "robots", "status_class", "2xx"); got != 1 {
		t.Errorf("robots.txt requests %v, want 1", got)
	}
	if got := value(second, "crawl_in_flight"); got < 1 || got > 4 {
		t.Errorf("crawl_in_flight %v while the server holds a request, want 1..4", got)
	}
	if got := value(second, "crawl_frontier_up"); got != 1 {
		t.Errorf("crawl_frontier_up %v, want 1", got)
	}
	for _, name := range []string{
		"crawl_queue_size", "crawl_request_errors_total", "crawl_record_errors_total", "crawl_retries_total",
		"crawl_host_blocked_seconds_total", "crawl_start_time_seconds", "crawl_hosts_blocked",
		"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds",
	} {
		if second[name] == nil {
			t.Errorf("no %s in the scrape", name)
		}
	}
	// Every error kind is exposed from the start, zero or not.
	if n, want := len(first["crawl_record_errors_total"].GetMetric()), int(crawler.NumErrorKinds)-1; n != want {
		t.Errorf("crawl_record_errors_total has %d series, want %d (one per error kind)", n, want)
	}
	if _, err := http.Get(url); err == nil {
		t.Errorf("the metrics server still answers after the crawl")
	}
}

// TestMetricsBindFailure checks that an address in use is a usage error
// and nothing is crawled.
func TestMetricsBindFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	code, stdout, stderr := runCLI(t, context.Background(), "", "--seed", srv.URL+"/", "--metrics", ln.Addr().String())
	if code != exitUsage || !strings.Contains(stderr, "--metrics "+ln.Addr().String()) {
		t.Errorf("exit %d, stderr %q; want %d and the address", code, stderr, exitUsage)
	}
	if stdout != "" || hits.Load() != 0 {
		t.Errorf("stdout %q, %d requests: want nothing crawled", stdout, hits.Load())
	}
}

// TestFetchBucketsAreBounds checks that the Prometheus buckets are latency
// bucket bounds, so that their counts are exact.
func TestFetchBucketsAreBounds(t *testing.T) {
	bounds := map[time.Duration]bool{}
	for _, b := range report.LatencyBounds() {
		bounds[b] = true
	}
	for _, b := range fetchBuckets() {
		if !bounds[b] {
			t.Errorf("bucket %v is not a report.LatencyBounds bound", b)
		}
	}
}
