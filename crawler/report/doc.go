// Package report aggregates a crawl's events into running counters, latency
// quantiles and per-host statistics, and renders them as the end-of-crawl
// summary (text, for people) and report (JSON, for cron and CI).
//
// An Aggregator implements crawler.Observer: set it as Config.Observer. Its
// Observe methods are called by the crawl's workers on the hot path; they
// use atomic counters only, except for the first request to a host and for
// retries, which are rare. Snapshot and Report may be called at any time,
// concurrently with the crawl (a progress display polls Snapshot, a metrics
// endpoint reads it on each scrape); their counters are each exact, though
// not taken at one instant.
//
// Memory is bounded: fetch latencies go into fixed histograms of
// NumLatencyBuckets buckets (about ±15 % resolution) for the whole crawl and
// for each of the first MaxHosts hosts requested; later hosts count in the
// totals only. Host waits are tracked per host while the host is blocked,
// for at most MaxHosts hosts at once.
//
// The package starts no goroutines, does no I/O of its own (WriteText and
// WriteJSON write to the writer given) and does not log.
package report
