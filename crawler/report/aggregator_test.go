package report

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/store"
)

func TestClassOf(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{0, "none"}, {100, "none"}, {199, "none"}, {200, "2xx"}, {204, "2xx"}, {301, "3xx"},
		{404, "4xx"}, {429, "4xx"}, {500, "5xx"}, {599, "5xx"}, {600, "none"}, {999, "none"}, {-1, "none"},
	}
	for _, tt := range tests {
		if got := ClassOf(tt.status).String(); got != tt.want {
			t.Errorf("ClassOf(%d) = %s, want %s", tt.status, got, tt.want)
		}
	}
}

// TestAggregatorCounts feeds known events from several goroutines and
// checks every counter.
func TestAggregatorCounts(t *testing.T) {
	a := New()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				a.ObserveRequest(crawler.RequestEvent{Host: "a:1", Status: 200, Duration: 2 * time.Millisecond, Bytes: 10})
				a.ObserveRequest(crawler.RequestEvent{Host: "b:1", Status: 503, Kind: crawler.KindHTTP5xx, Duration: 40 * time.Millisecond, Bytes: 1})
				a.ObserveRequest(crawler.RequestEvent{Host: "b:1", Kind: crawler.KindTimeout, Duration: time.Second})
				a.ObserveRequest(crawler.RequestEvent{Host: "a:1", Robots: true, Status: 404, Kind: crawler.KindHTTP4xx, Bytes: 5})
				a.ObserveRecord(&store.Record{Status: 200, Bytes: 10}, crawler.KindNone)
				a.ObserveRecord(&store.Record{Status: 0, Error: "x"}, crawler.KindRobotsDisallowed)
				a.ObserveRecord(&store.Record{Status: 503, Error: "x"}, crawler.KindHTTP5xx)
				a.ObserveRecord(&store.Record{Status: 301}, crawler.KindNone)
			}
		})
	}
	wg.Wait()
	s := a.Snapshot()
	checks := []struct {
		name      string
		got, want int64
	}{
		{"records", s.TotalRecords(), 1600},
		{"records 2xx", s.Records[Class2xx], 400},
		{"records 3xx", s.Records[Class3xx], 400},
		{"records 5xx", s.Records[Class5xx], 400},
		{"records none", s.Records[ClassNone], 400},
		{"record errors", s.TotalRecordErrors(), 800},
		{"robots_disallowed", s.RecordErrors[crawler.KindRobotsDisallowed], 400},
		{"record bytes", s.RecordBytes, 4000},
		{"page requests 2xx", s.Requests[Class2xx], 400},
		{"page requests 5xx", s.Requests[Class5xx], 400},
		{"page requests none", s.Requests[ClassNone], 400},
		{"robots requests 4xx", s.RobotsRequests[Class4xx], 400},
		{"request timeouts", s.RequestErrors[crawler.KindTimeout], 400},
		{"request 4xx", s.RequestErrors[crawler.KindHTTP4xx], 400},
		{"request bytes", s.RequestBytes, 6400},
		{"latency count", s.Latency.Count(), 1200},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	hosts := a.slowestHosts(5)
	if len(hosts) != 2 || hosts[0].Host != "b:1" || hosts[1].Host != "a:1" {
		t.Fatalf("slowest hosts %+v, want b:1 then a:1", hosts)
	}
	if hosts[0].Requests != 800 || hosts[0].P50Seconds < 0.035 || hosts[0].P95Seconds < 0.9 {
		t.Errorf("b:1 %+v, want 800 requests, p50 ~40ms, p95 ~1s", hosts[0])
	}
}

// TestHostBound checks that hosts past MaxHosts count in the totals but get
// no histogram of their own.
func TestHostBound(t *testing.T) {
	a := New()
	for i := range MaxHosts + 10 {
		a.ObserveRequest(crawler.RequestEvent{Host: fmt.Sprint("h", i), Status: 200, Duration: time.Millisecond})
	}
	if n := a.nhosts.Load(); n != MaxHosts {
		t.Errorf("%d hosts tracked, want %d", n, MaxHosts)
	}
	if n := a.untracked.Load(); n != 10 {
		t.Errorf("%d requests untracked, want 10", n)
	}
	if s := a.Snapshot(); s.Latency.Count() != MaxHosts+10 {
		t.Errorf("latency count %d, want %d", s.Latency.Count(), MaxHosts+10)
	}
}

// TestWaits checks that overlapping waits of one host count once and that
// waits of different hosts add up.
func TestWaits(t *testing.T) {
	a := New()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	retry := func(host string, r crawler.WaitReason, wait time.Duration) {
		a.ObserveRetry(crawler.RetryEvent{Host: host, Reason: r, Wait: wait})
	}
	retry("a", crawler.WaitBackoff, 2*time.Second) // a blocked 0-2s
	retry("a", crawler.WaitBackoff, time.Second)   // inside: nothing added
	now = now.Add(time.Second)
	retry("a", crawler.WaitBackoff, 2*time.Second)  // 1-3s: adds 1s
	retry("b", crawler.WaitRetryAfter, time.Minute) // b: 60s
	retry("a", crawler.WaitRobots, -time.Second)    // negative: 0
	now = now.Add(10 * time.Second)                 // a's block has ended
	retry("a", crawler.WaitRetryAfter, time.Second) // adds 1s
	s := a.Snapshot()
	want := [crawler.NumWaitReasons]float64{3, 61, 0}
	for i := range want {
		if math.Abs(s.BlockedSeconds[i]-want[i]) > 1e-9 {
			t.Errorf("%v: %v seconds blocked, want %v", crawler.WaitReason(i), s.BlockedSeconds[i], want[i])
		}
	}
	if got := s.Retries; got != [crawler.NumWaitReasons]int64{3, 2, 1} {
		t.Errorf("retries by reason %v, want [3 2 1]", got)
	}
	if s.HostsBlocked != 2 {
		t.Errorf("%d hosts blocked, want 2 (a for 1s more, b for 50s more)", s.HostsBlocked)
	}
	now = now.Add(time.Minute)
	if s := a.Snapshot(); s.HostsBlocked != 0 {
		t.Errorf("%d hosts blocked a minute later, want 0", s.HostsBlocked)
	}
}

// TestWaitsBound checks that the per-host wait table stays bounded and
// forgets hosts whose block has ended.
func TestWaitsBound(t *testing.T) {
	var w waits
	now := time.Unix(0, 0)
	for i := range 2 * MaxHosts {
		w.add(fmt.Sprint(i), crawler.WaitBackoff, time.Second, now)
	}
	if len(w.until) > MaxHosts {
		t.Fatalf("%d hosts tracked, want at most %d", len(w.until), MaxHosts)
	}
	now = now.Add(time.Minute)
	w.add("late", crawler.WaitBackoff, time.Second, now)
	if len(w.until) != 1 {
		t.Errorf("%d hosts tracked after every block ended, want 1", len(w.until))
	}
	if got, _ := w.state(now); got[crawler.WaitBackoff] != float64(2*MaxHosts+1) {
		t.Errorf("%v seconds blocked, want %d", got, 2*MaxHosts+1)
	}
}

// TestFieldCoverage counts each extraction field on HTML 2xx records only.
func TestFieldCoverage(t *testing.T) {
	a := New("title", "price", "never")
	a.ObserveRecord(&store.Record{Status: 200, ContentType: "text/html", Fields: map[string]any{"title": "a", "price": "1"}}, crawler.KindNone)
	a.ObserveRecord(&store.Record{Status: 200, ContentType: "application/xhtml+xml", Fields: map[string]any{"title": "b"}}, crawler.KindMissingField)
	a.ObserveRecord(&store.Record{Status: 200, ContentType: "text/html"}, crawler.KindMissingField)
	a.ObserveRecord(&store.Record{Status: 200, ContentType: "text/html", Fields: map[string]any{"title": "c", "price": "2"}}, crawler.KindNone)
	// Not HTML 2xx: not counted, whatever they carry.
	a.ObserveRecord(&store.Record{Status: 404, ContentType: "text/html", Fields: map[string]any{"title": "x"}}, crawler.KindHTTP4xx)
	a.ObserveRecord(&store.Record{Status: 200, ContentType: "application/pdf"}, crawler.KindNone)

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := a.Report(start, start.Add(time.Second))
	want := []FieldCoverage{
		{Name: "title", Pages: 4, Matched: 3, Coverage: 0.75},
		{Name: "price", Pages: 4, Matched: 2, Coverage: 0.5},
		{Name: "never", Pages: 4, Matched: 0, Coverage: 0},
	}
	if !reflect.DeepEqual(r.Fields, want) {
		t.Errorf("Fields = %+v, want %+v", r.Fields, want)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "fields      title 75.0% (3/4), price 50.0% (2/4), never 0.0% (0/4)\n") {
		t.Errorf("summary has no fields line:\n%s", b.String())
	}
	if r := New().Report(start, start); r.Fields != nil {
		t.Errorf("Fields = %+v without fields, want none", r.Fields)
	}
}
