package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/crawler/report"
	"github.com/crawl-dev/crawl/frontier"
)

// metricsShutdownTimeout bounds how long the metrics server waits for
// scrapes in progress when the crawl ends.
const metricsShutdownTimeout = 2 * time.Second

// fetchBuckets returns the crawl_fetch_duration_seconds buckets: a subset
// of report.LatencyBounds, so that their counts are exact.
func fetchBuckets() []time.Duration {
	return []time.Duration{
		time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
		10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
		100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2500 * time.Millisecond, 5 * time.Second,
		10 * time.Second, 25 * time.Second, 50 * time.Second, 100 * time.Second,
	}
}

// metricsServer serves /metrics for the length of a crawl.
type metricsServer struct {
	srv  *http.Server
	addr net.Addr
	wg   sync.WaitGroup
}

// startMetrics listens on addr and serves the crawl's metrics, the Go
// runtime's and the process's from a registry of their own. A listen
// failure is returned (the caller makes it a usage error); serving errors
// are logged.
func startMetrics(addr string, agg *report.Aggregator, fr frontier.Frontier, start time.Time, log *zap.Logger) (*metricsServer, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newCrawlCollector(agg, fr, start),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	m := &metricsServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		addr: ln.Addr(),
	}
	m.wg.Go(func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server stopped", zap.Error(err))
		}
	})
	log.Info("serving metrics", zap.String("url", "http://"+m.addr.String()+"/metrics"))
	return m, nil
}

// shutdown stops the server, letting scrapes in progress finish for a
// short while, and returns once it has stopped.
func (m *metricsServer) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, m.srv.Close())
	}
	m.wg.Wait()
	if err != nil {
		return fmt.Errorf("metrics server shutdown: %w", err)
	}
	return nil
}

// crawlCollector exposes the aggregator's counters and the frontier's
// gauges as crawl_* metrics, read at each scrape.
type crawlCollector struct {
	agg   *report.Aggregator
	fr    frontier.Frontier
	start time.Time

	requests, requestErrors, requestBytes    *prometheus.Desc
	records, recordErrors, recordBytes       *prometheus.Desc
	fetchDuration, retries, blocked          *prometheus.Desc
	queue, inflight, parked, seen, startTime *prometheus.Desc
	frontierUp                               *prometheus.Desc
	hostsBlocked                             *prometheus.Desc
}

func newCrawlCollector(agg *report.Aggregator, fr frontier.Frontier, start time.Time) *crawlCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("crawl_"+name, help, labels, nil)
	}
	return &crawlCollector{
		agg: agg, fr: fr, start: start,
		requests:      d("requests_total", "HTTP requests made, retries included, by resource (page or robots) and status class (2xx, 3xx, 4xx, 5xx, none = no response).", "resource", "status_class"),
		requestErrors: d("request_errors_total", "HTTP requests that failed (network errors, 4xx, 5xx), by error kind.", "error_kind"),
		requestBytes:  d("request_bytes_total", "Body bytes read by all requests, after decompression."),
		records:       d("records_total", "Records written (one per URL, after retries), by status class.", "status_class"),
		recordErrors:  d("record_errors_total", "Records with an error, by error kind.", "error_kind"),
		recordBytes:   d("record_bytes_total", "Body bytes of the records written."),
		fetchDuration: d("fetch_duration_seconds", "Time of page requests, from sending the request to reading the whole body."),
		retries:       d("retries_total", "URLs put back after a transient failure, by the reason of their host's wait (backoff, retry_after, robots_unavailable).", "reason"),
		blocked:       d("host_blocked_seconds_total", "Seconds hosts were blocked by retries, summed over hosts (overlapping waits of a host count once), by reason.", "reason"),
		hostsBlocked:  d("hosts_blocked", "Hosts waiting out a retry's backoff, Retry-After or robots.txt backoff now (at most 4096 tracked)."),
		queue:         d("queue_size", "URLs queued in the frontier, waiting to be fetched."),
		inflight:      d("in_flight", "URLs leased by workers: being fetched, parsed or written."),
		parked:        d("fetched_ahead", "URLs fetched ahead of the breadth-first level, waiting for their depth to be final before they are written."),
		seen:          d("seen_urls", "Distinct URLs the frontier has seen."),
		startTime:     d("start_time_seconds", "Unix time the crawl started."),
		frontierUp:    d("frontier_up", "1 when the frontier's counters (crawl_queue_size, crawl_in_flight, crawl_fetched_ahead, crawl_seen_urls) could be read for this scrape, 0 when not (e.g. the crawl is closing)."),
	}
}

// Describe implements prometheus.Collector.
func (c *crawlCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.requests, c.requestErrors, c.requestBytes, c.records, c.recordErrors, c.recordBytes,
		c.fetchDuration, c.retries, c.blocked, c.queue, c.inflight, c.parked, c.seen, c.startTime, c.frontierUp, c.hostsBlocked,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Every label value is present
// from the first scrape on, zero or not, so that rate() works at once.
func (c *crawlCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.agg.Snapshot()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	for i := range report.NumStatusClasses {
		class := i.String()
		counter(c.requests, float64(s.Requests[i]), "page", class)
		counter(c.requests, float64(s.RobotsRequests[i]), "robots", class)
		counter(c.records, float64(s.Records[i]), class)
	}
	for k := crawler.KindNone + 1; k < crawler.NumErrorKinds; k++ {
		counter(c.requestErrors, float64(s.RequestErrors[k]), k.String())
		counter(c.recordErrors, float64(s.RecordErrors[k]), k.String())
	}
	for r := range crawler.NumWaitReasons {
		counter(c.retries, float64(s.Retries[r]), r.String())
		counter(c.blocked, s.BlockedSeconds[r], r.String())
	}
	gauge(c.hostsBlocked, float64(s.HostsBlocked))
	counter(c.requestBytes, float64(s.RequestBytes))
	counter(c.recordBytes, float64(s.RecordBytes))

	bounds := fetchBuckets()
	cum := s.Latency.Cumulative(bounds)
	buckets := make(map[float64]uint64, len(bounds))
	for i, b := range bounds {
		buckets[b.Seconds()] = cum[i]
	}
	ch <- prometheus.MustNewConstHistogram(c.fetchDuration, uint64(s.Latency.Count()), s.Latency.Sum.Seconds(), buckets)

	gauge(c.startTime, float64(c.start.UnixNano())/1e9)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := c.fr.Stats(ctx)
	if err != nil {
		gauge(c.frontierUp, 0)
		return
	}
	gauge(c.frontierUp, 1)
	gauge(c.queue, float64(st.Queued))
	gauge(c.inflight, float64(st.Inflight))
	gauge(c.parked, float64(st.Parked))
	gauge(c.seen, float64(st.Seen))
}
