package crawler_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// eventLog is an Observer that keeps every event.
type eventLog struct {
	mu       sync.Mutex
	requests []crawler.RequestEvent
	retries  []crawler.RetryEvent
	records  map[string]crawler.ErrorKind // by URL
	dups     int
}

func (l *eventLog) ObserveRequest(e crawler.RequestEvent) {
	l.mu.Lock()
	l.requests = append(l.requests, e)
	l.mu.Unlock()
}

func (l *eventLog) ObserveRetry(e crawler.RetryEvent) {
	l.mu.Lock()
	l.retries = append(l.retries, e)
	l.mu.Unlock()
}

func (l *eventLog) ObserveRecord(r *store.Record, k crawler.ErrorKind) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.records == nil {
		l.records = map[string]crawler.ErrorKind{}
	}
	if _, ok := l.records[r.URL]; ok {
		l.dups++
	}
	l.records[r.URL] = k
}

// observedCrawl runs a crawl with an eventLog observer and log, returning
// the records by URL and the crawl's stats.
func observedCrawl(t *testing.T, cfg crawler.Config, log *zap.Logger) (map[string]*store.Record, *eventLog, crawler.Stats) {
	t.Helper()
	events := &eventLog{}
	cfg.Observer = events
	var buf bytes.Buffer
	w := store.NewWriter(&buf)
	fr := frontier.NewMemory(cfg.Policy())
	defer fr.Close()
	c, err := crawler.New(cfg, fr, w, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	records := map[string]*store.Record{}
	if err := store.Read(&buf, func(r *store.Record) error { records[r.URL] = r; return nil }); err != nil {
		t.Fatalf("reading the output: %v", err)
	}
	return records, events, c.Stats()
}

// TestObserverSeesEverything crawls a site with every feature deep enough
// to meet each of its errors, and checks the events against the site's
// request log and expectation: one request event per request served, with
// the status served; one record event per record, with the record's error
// kind; one retry event per retry.
func TestObserverSeesEverything(t *testing.T) {
	const depth, retries = 10, 1
	site := testserver.New(testserver.Config{Pages: 300, Links: 6, Seed: 7, Features: testserver.AllFeatures})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	cfg := testConfig()
	cfg.Seeds, cfg.MaxDepth = []string{srv.URL + "/"}, depth
	cfg.Concurrency, cfg.PerHost, cfg.Retries = 8, 8, retries
	records, events, stats := observedCrawl(t, cfg, zap.NewNop())
	exp := site.Expect("/", depth)

	if len(records) != len(exp.Records) {
		t.Errorf("%d records, want %d", len(records), len(exp.Records))
	}
	kinds := map[string]int{}
	var recordBytes int64
	for u, r := range records {
		path := strings.TrimPrefix(u, srv.URL)
		o, ok := exp.Records[path]
		if !ok {
			continue
		}
		if want := o.ErrorKind(); r.ErrorKind != want {
			t.Errorf("%s: error_kind %q (error %q), want %q", path, r.ErrorKind, r.Error, want)
		}
		if got := events.records[u]; got.String() != r.ErrorKind {
			t.Errorf("%s: observer got kind %q, record says %q", path, got, r.ErrorKind)
		}
		kinds[r.ErrorKind]++
		recordBytes += r.Bytes
	}
	for _, k := range []string{"robots_disallowed", "http_4xx", "http_5xx", "too_many_redirects", "redirect_loop"} {
		if kinds[k] == 0 {
			t.Errorf("no record of kind %s: the test site no longer exercises it (kinds %v)", k, kinds)
		}
	}
	if len(events.records) != len(records) || events.dups != 0 {
		t.Errorf("observer saw %d records (%d twice), want %d", len(events.records), events.dups, len(records))
	}

	// Requests: what the server served, status by status.
	wantStatus := map[int]int{}
	for path, n := range site.Requests() {
		status := 200 // robots.txt
		if o, ok := exp.Records[path]; ok {
			status = o.Status
		}
		wantStatus[status] += n
	}
	gotStatus := map[int]int{}
	robots := 0
	var requestBytes int64
	for _, e := range events.requests {
		gotStatus[e.Status]++
		if e.Robots {
			robots++
		}
		if e.Host != strings.TrimPrefix(srv.URL, "http://") {
			t.Errorf("request event for host %q", e.Host)
		}
		want := crawler.KindNone
		switch {
		case e.Status == 403 || e.Status == 429:
			want = crawler.KindBlocked
		case e.Status >= 500:
			want = crawler.KindHTTP5xx
		case e.Status >= 400:
			want = crawler.KindHTTP4xx
		}
		if e.Kind != want {
			t.Errorf("request with status %d: kind %v, want %v", e.Status, e.Kind, want)
		}
		if e.Duration <= 0 {
			t.Errorf("request event with duration %v", e.Duration)
		}
		requestBytes += e.Bytes
	}
	if fmt.Sprint(gotStatus) != fmt.Sprint(wantStatus) {
		t.Errorf("request events by status %v, server served %v", gotStatus, wantStatus)
	}
	if robots != 1 {
		t.Errorf("%d robots.txt request events, want 1", robots)
	}
	if requestBytes < recordBytes || recordBytes == 0 {
		t.Errorf("request events read %d bytes, records %d: want requests >= records > 0", requestBytes, recordBytes)
	}

	// Retries: each 5xx URL is retried once, with a backoff.
	if int64(len(events.retries)) != stats.Retries || stats.Retries != int64(kinds["http_5xx"]*retries) {
		t.Errorf("%d retry events, stats say %d retries, want %d", len(events.retries), stats.Retries, kinds["http_5xx"]*retries)
	}
	for _, e := range events.retries {
		if e.Reason != crawler.WaitBackoff || e.Kind != crawler.KindHTTP5xx || e.Status != 500 || e.Wait <= 0 {
			t.Errorf("retry event %+v, want a backoff after a 500", e)
		}
	}
}

// TestErrorKindsOfFailures checks the error kind of network failures,
// end to end: the record's error_kind and the request event's kind.
func TestErrorKindsOfFailures(t *testing.T) {
	closedAddr := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
		return addr
	}
	// hangUp accepts connections and closes them before any response.
	hangUp := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		return ln.Addr().String()
	}
	stall := func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "http://")
	}
	tests := []struct {
		name    string
		seed    func(t *testing.T) string
		robots  bool
		want    string
		request crawler.ErrorKind
	}{
		{"refused", func(t *testing.T) string { return "http://" + closedAddr(t) + "/" }, false, "connection_refused", crawler.KindConnRefused},
		{"robots refused", func(t *testing.T) string { return "http://" + closedAddr(t) + "/" }, true, "robots_unavailable", crawler.KindConnRefused},
		{"hang up", func(t *testing.T) string { return "http://" + hangUp(t) + "/" }, false, "connection_reset", crawler.KindConnReset},
		{"timeout", func(t *testing.T) string { return "http://" + stall(t) + "/" }, false, "timeout", crawler.KindTimeout},
		{"tls", func(t *testing.T) string {
			srv := httptest.NewUnstartedServer(http.NotFoundHandler())
			srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // the handshake failure is the point
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return srv.URL + "/"
		}, false, "tls", crawler.KindTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := tt.seed(t)
			// Only the stall needs a short timeout; the other failures
			// come fast, and a short limit could beat a slow TLS
			// handshake on a loaded machine.
			timeout := 30 * time.Second
			if tt.want == "timeout" {
				timeout = 200 * time.Millisecond
			}
			cfg := testConfig()
			cfg.Seeds, cfg.Retries, cfg.IgnoreRobots, cfg.Timeout = []string{seed}, 0, !tt.robots, timeout
			records, events, _ := observedCrawl(t, cfg, zap.NewNop())
			r := records[seed]
			if r == nil || r.ErrorKind != tt.want {
				t.Fatalf("record %+v, want error_kind %q", r, tt.want)
			}
			if len(events.requests) != 1 || events.requests[0].Kind != tt.request || events.requests[0].Robots != tt.robots {
				t.Errorf("request events %+v, want one of kind %v (robots.txt %v)", events.requests, tt.request, tt.robots)
			}
		})
	}
}

// TestHostBudgetKind checks the error kind of URLs past MaxHostPages.
func TestHostBudgetKind(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 40, Links: 5, Seed: 3})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	cfg := testConfig()
	cfg.Seeds, cfg.MaxDepth, cfg.MaxHostPages = []string{srv.URL + "/"}, 3, 5
	cfg.Concurrency, cfg.IgnoreRobots = 1, true
	records, events, _ := observedCrawl(t, cfg, zap.NewNop())
	n := 0
	for _, r := range records {
		if r.ErrorKind == "host_budget" {
			n++
		}
	}
	if want := len(records) - 5; n != want || n == 0 {
		t.Errorf("%d host_budget records of %d, want %d", n, len(records), want)
	}
	if pages := len(events.requests); pages != 5 {
		t.Errorf("%d page requests, want 5", pages)
	}
}

// warnings returns the warning messages logged, with their hosts.
func warnings(logs *observer.ObservedLogs) []string {
	var out []string
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		out = append(out, e.Message+" host="+fmt.Sprint(e.ContextMap()["host"]))
	}
	return out
}

// TestBackoffWarnings checks that a host that fails repeatedly or sends
// Retry-After is warned about once per backoff episode, not once per URL,
// and that a success ends the episode.
func TestBackoffWarnings(t *testing.T) {
	// "/" links to failing pages, then one good page, then more failing
	// pages; with one fetch at a time they are fetched in that order.
	links := []string{"/f1", "/f2", "/f3", "/f4", "/ok", "/f5", "/f6", "/f7", "/f8"}
	for _, tt := range []struct {
		name   string
		fail   func(w http.ResponseWriter)
		msg    string
		reason crawler.WaitReason
	}{
		{"failures", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			"host failing repeatedly; backing off, not logged again until it recovers", crawler.WaitBackoff},
		{"retry-after", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		}, "host asked to slow down (Retry-After); backing off, not logged again until it recovers", crawler.WaitRetryAfter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/":
					w.Header().Set("Content-Type", "text/html")
					for _, l := range links {
						fmt.Fprintf(w, "<a href=%q>x</a>\n", l)
					}
				case "/ok", "/robots.txt":
					w.Header().Set("Content-Type", "text/plain")
				default:
					tt.fail(w)
				}
			}))
			defer srv.Close()
			core, logs := observer.New(zapcore.WarnLevel)
			cfg := testConfig()
			cfg.Seeds, cfg.MaxDepth = []string{srv.URL + "/"}, 1
			cfg.Concurrency, cfg.PerHost, cfg.Retries = 1, 1, 1
			_, events, _ := observedCrawl(t, cfg, zap.New(core))
			host := strings.TrimPrefix(srv.URL, "http://")
			want := []string{tt.msg + " host=" + host, tt.msg + " host=" + host}
			if got := warnings(logs); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("warnings:\n%q\nwant (one per episode, two episodes):\n%q", got, want)
			}
			if len(events.retries) != 8 {
				t.Errorf("%d retry events, want 8", len(events.retries))
			}
			for _, e := range events.retries {
				if e.Reason != tt.reason || e.Host != host {
					t.Errorf("retry event %+v, want reason %v for %s", e, tt.reason, host)
				}
			}
		})
	}
}

// TestTruncationWarning checks that bodies cut at MaxBody are warned about
// once per host.
func TestTruncationWarning(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 30, Links: 4, Seed: 2})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	core, logs := observer.New(zapcore.WarnLevel)
	cfg := testConfig()
	cfg.Seeds, cfg.MaxDepth, cfg.MaxBody = []string{srv.URL + "/"}, 2, 500
	records, _, _ := observedCrawl(t, cfg, zap.New(core))
	truncated := 0
	for _, r := range records {
		if r.Truncated {
			truncated++
		}
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := []string{"body truncated at the size limit (--max-body); further truncations on this host are logged at debug level host=" + host}
	if got := warnings(logs); truncated < 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%d truncated records; warnings %q, want %q", truncated, got, want)
	}
}
