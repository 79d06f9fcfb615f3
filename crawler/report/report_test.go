package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/crawler/report"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// crawlReport crawls cfg.Seeds with an Aggregator and returns its report
// and the records written.
func crawlReport(t *testing.T, cfg crawler.Config) (*report.Report, []*store.Record) {
	t.Helper()
	cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 4*time.Millisecond
	agg := report.New()
	cfg.Observer = agg
	var buf bytes.Buffer
	w := store.NewWriter(&buf)
	fr := frontier.NewMemory(cfg.Policy())
	defer fr.Close()
	c, err := crawler.New(cfg, fr, w, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	rep := agg.Report(start, time.Now())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var records []*store.Record
	if err := store.Read(&buf, func(r *store.Record) error { records = append(records, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Records != rep.Records || st.Errors != rep.RecordsWithError || st.Retries != rep.Retries || st.Bytes != rep.Bytes {
		t.Errorf("report %d records, %d errors, %d retries, %d bytes; crawler stats %+v",
			rep.Records, rep.RecordsWithError, rep.Retries, rep.Bytes, st)
	}
	return rep, records
}

func class(status int) string { return report.ClassOf(status).String() }

// zeroKinds returns a map with every error kind at 0.
func zeroKinds() map[string]int64 {
	m := map[string]int64{}
	for k := crawler.KindNone + 1; k < crawler.NumErrorKinds; k++ {
		m[k.String()] = 0
	}
	return m
}

func zeroClasses() map[string]int64 {
	return map[string]int64{"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, "none": 0}
}

// TestReportOfKnownCrawl checks every count of the report against what the
// test site says a crawl of it records and requests.
func TestReportOfKnownCrawl(t *testing.T) {
	const depth, retries = 10, 1
	const latency = 2 * time.Millisecond
	site := testserver.New(testserver.Config{Pages: 300, Links: 6, Seed: 7, Latency: latency, Features: testserver.AllFeatures})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	cfg := crawler.DefaultConfig()
	cfg.Seeds, cfg.MaxDepth = []string{srv.URL + "/"}, depth
	cfg.Concurrency, cfg.PerHost, cfg.Retries = 8, 8, retries
	rep, records := crawlReport(t, cfg)
	exp := site.Expect("/", depth)

	records2 := zeroClasses()
	kinds := zeroKinds()
	var withError, n5xx int64
	for _, o := range exp.Records {
		records2[class(o.Status)]++
		if k := o.ErrorKind(); k != "" {
			kinds[k]++
			withError++
		}
		if o.Retried() {
			n5xx++
		}
	}
	requests := zeroClasses()
	requestKinds := zeroKinds()
	var total int64
	for path, n := range site.Requests() {
		status := 200 // robots.txt
		if o, ok := exp.Records[path]; ok {
			status = o.Status
		}
		requests[class(status)] += int64(n)
		total += int64(n)
		switch {
		case status == 403 || status == 429:
			requestKinds["blocked"] += int64(n)
		case status >= 500:
			requestKinds["http_5xx"] += int64(n)
		case status >= 400:
			requestKinds["http_4xx"] += int64(n)
		}
	}
	var bytesWritten int64
	for _, r := range records {
		bytesWritten += r.Bytes
	}

	eq := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	eq("records", rep.Records, len(exp.Records))
	eq("records_by_status_class", rep.RecordsByStatusClass, records2)
	eq("errors_by_kind", rep.ErrorsByKind, kinds)
	eq("records_with_error", rep.RecordsWithError, withError)
	eq("error_rate", rep.ErrorRate, float64(int64(float64(withError)/float64(len(exp.Records))*1e6+0.5))/1e6)
	eq("bytes", rep.Bytes, bytesWritten)
	eq("retries", rep.Retries, n5xx*retries)
	eq("host_waits.retries_by_reason", rep.HostWaits.RetriesByReason,
		map[string]int64{"backoff": n5xx * retries, "retry_after": 0, "robots_unavailable": 0})
	eq("requests.total", rep.Requests.Total, total)
	eq("requests.robots", rep.Requests.Robots, 1)
	eq("requests.by_status_class", rep.Requests.ByStatusClass, requests)
	eq("requests.errors_by_kind", rep.Requests.ErrorsByKind, requestKinds)
	eq("fetch_latency.requests", rep.FetchLatency.Requests, total-1)
	if rep.Requests.Bytes < rep.Bytes {
		t.Errorf("requests.bytes %d < bytes %d", rep.Requests.Bytes, rep.Bytes)
	}
	if kinds["redirect_loop"] == 0 || kinds["too_many_redirects"] == 0 || kinds["robots_disallowed"] == 0 || kinds["http_4xx"] == 0 || n5xx == 0 {
		t.Errorf("the site no longer exercises every error: %v", kinds)
	}

	l := rep.FetchLatency
	if l.P50Seconds < 0.9*latency.Seconds() || l.P50Seconds > l.P95Seconds || l.P95Seconds > l.P99Seconds || l.MeanSeconds <= 0 {
		t.Errorf("fetch_latency %+v, want %v <= p50 <= p95 <= p99 (most requests are HTML pages that take %v)", l, latency, latency)
	}
	if len(rep.SlowestHosts) != 1 || rep.SlowestHosts[0].Host != strings.TrimPrefix(srv.URL, "http://") ||
		rep.SlowestHosts[0].Requests != total-1 {
		t.Errorf("slowest_hosts %+v, want the one host with %d page requests", rep.SlowestHosts, total-1)
	}
	if rep.HostWaits.BlockedSecondsByReason["backoff"] <= 0 {
		t.Errorf("blocked seconds %v, want backoff > 0", rep.HostWaits.BlockedSecondsByReason)
	}
	if rep.PagesPerSecond <= 0 || rep.DurationSeconds <= 0 || rep.Version != report.Version {
		t.Errorf("pages/s %v, duration %v, version %d", rep.PagesPerSecond, rep.DurationSeconds, rep.Version)
	}
}

// TestSlowestHosts crawls a slow and a fast site and checks their order.
func TestSlowestHosts(t *testing.T) {
	slow := httptest.NewServer(testserver.New(testserver.Config{Pages: 20, Links: 3, Seed: 1, Latency: 20 * time.Millisecond}).Handler())
	defer slow.Close()
	fast := httptest.NewServer(testserver.New(testserver.Config{Pages: 20, Links: 3, Seed: 2}).Handler())
	defer fast.Close()
	cfg := crawler.DefaultConfig()
	cfg.Seeds, cfg.MaxDepth = []string{fast.URL + "/", slow.URL + "/"}, 1
	cfg.Concurrency, cfg.PerHost = 8, 4
	rep, _ := crawlReport(t, cfg)
	hosts := rep.SlowestHosts
	if len(hosts) != 2 || hosts[0].Host != strings.TrimPrefix(slow.URL, "http://") || hosts[1].Host != strings.TrimPrefix(fast.URL, "http://") {
		t.Fatalf("slowest_hosts %+v, want the slow server then the fast one", hosts)
	}
	if hosts[0].P50Seconds < 0.018 || hosts[1].P50Seconds >= 0.018 {
		t.Errorf("medians %v and %v, want >= 18ms and < 18ms", hosts[0].P50Seconds, hosts[1].P50Seconds)
	}
}

// sampleReport is a report with every field set, for the golden files.
func sampleReport() *report.Report {
	start := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	kinds := zeroKinds()
	kinds["http_4xx"], kinds["http_5xx"], kinds["robots_disallowed"], kinds["timeout"], kinds["dns"] = 80, 20, 15, 3, 1
	reqKinds := zeroKinds()
	reqKinds["http_4xx"], reqKinds["http_5xx"], reqKinds["timeout"], reqKinds["dns"] = 80, 60, 9, 3
	return &report.Report{
		Version: report.Version, StartedAt: start, FinishedAt: start.Add(12400 * time.Millisecond),
		DurationSeconds: 12.4, Outcome: report.OutcomeCompleted, ExitCode: 4,
		Records: 5112, Bytes: 50_537_000, PagesPerSecond: 412.26,
		RecordsByStatusClass: map[string]int64{"2xx": 4870, "3xx": 120, "4xx": 80, "5xx": 20, "none": 22},
		RecordsWithError:     119, ErrorRate: 0.023279, ErrorsByKind: kinds,
		FailOnErrorRate: 0.01, ErrorRateExceeded: true,
		Retries: 52,
		Requests: report.Requests{
			Total: 5190, Robots: 2, Bytes: 51_000_000,
			ByStatusClass: map[string]int64{"2xx": 4940, "3xx": 120, "4xx": 80, "5xx": 60, "none": 12},
			ErrorsByKind:  reqKinds,
		},
		FetchLatency: report.Latency{Requests: 5188, MeanSeconds: 0.0071, P50Seconds: 0.0061, P95Seconds: 0.0123, P99Seconds: 0.2511},
		SlowestHosts: []report.HostLatency{
			{Host: "slow.example.com", Latency: report.Latency{Requests: 120, MeanSeconds: 1.9, P50Seconds: 1.52, P95Seconds: 4.1, P99Seconds: 9.7}},
			{Host: "www.a-rather-long-host-name-for-a-summary.example.org", Latency: report.Latency{Requests: 5068, MeanSeconds: 0.0065, P50Seconds: 0.006, P95Seconds: 0.011, P99Seconds: 0.02}},
		},
		HostWaits: report.HostWaits{
			RetriesByReason:        map[string]int64{"backoff": 40, "retry_after": 10, "robots_unavailable": 2},
			BlockedSecondsByReason: map[string]float64{"backoff": 31.5, "retry_after": 120, "robots_unavailable": 3},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// TestGolden pins the summary's layout and the JSON schema: a change of a
// field name shows up here.
func TestGolden(t *testing.T) {
	var text, js bytes.Buffer
	r := sampleReport()
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden", text.Bytes())
	golden(t, "report.golden.json", js.Bytes())
	for i, line := range strings.Split(text.String(), "\n") {
		if n := len([]rune(line)); n > 78 {
			t.Errorf("summary line %d is %d columns wide: %q", i+1, n, line)
		}
	}
	var back report.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || fmt.Sprint(back) != fmt.Sprint(*r) {
		t.Errorf("JSON round trip: %v\n%+v\nwant\n%+v", err, back, *r)
	}
}

// TestSummaryOfEmptyCrawl checks the summary of a crawl that recorded
// nothing (interrupted at once).
func TestSummaryOfEmptyCrawl(t *testing.T) {
	now := time.Now()
	r := report.New().Report(now, now)
	r.Outcome = report.OutcomeInterrupted
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "crawl interrupted in 0s: 0 records, 0.0 pages/s, 0 B, 0 retries\n" +
		"  status      2xx 0   3xx 0   4xx 0   5xx 0   none 0\n" +
		"  errors      none\n" +
		"  requests    0 (0 robots.txt), 0 B\n" +
		"  host waits  none\n"
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	if r.SlowestHosts == nil || r.ExceedsErrorRate(0.5) {
		t.Errorf("slowest_hosts %v (want [] not null), exceeds %v", r.SlowestHosts, r.ExceedsErrorRate(0.5))
	}
}

func TestExceedsErrorRate(t *testing.T) {
	tests := []struct {
		records, errors int64
		limit           float64
		want            bool
	}{
		{100, 10, 0, false},
		{100, 10, 0.1, false},
		{100, 11, 0.1, true},
		{100, 100, 1, false},
		{0, 0, 0.5, false},
		{3, 1, 0.3, true},
	}
	for _, tt := range tests {
		r := &report.Report{Records: tt.records, RecordsWithError: tt.errors}
		if got := r.ExceedsErrorRate(tt.limit); got != tt.want {
			t.Errorf("%d of %d records failed, limit %v: exceeds = %v, want %v", tt.errors, tt.records, tt.limit, got, tt.want)
		}
	}
}
