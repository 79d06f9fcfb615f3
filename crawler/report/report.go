package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/crawl-dev/crawl/crawler"
)

// Version is the report schema's version, the report's "version" field.
// Fields may be added without changing it; a rename or a change of meaning
// increments it.
const Version = 1

// Outcomes of a crawl, the report's "outcome" field.
const (
	OutcomeCompleted   = "completed"   // the crawl ran out of work or reached --max-pages
	OutcomeInterrupted = "interrupted" // SIGINT or SIGTERM
	OutcomeFailed      = "failed"      // the crawl could not go on
)

// SlowestHosts is the number of hosts listed in Report.SlowestHosts.
const SlowestHosts = 5

// minHostRequests is the number of page requests a host needs to be ranked
// among the slowest, unless no host has that many.
const minHostRequests = 5

// Report is a crawl's summary as the --report JSON file holds it. Field
// names are stable snake_case; maps keyed by status class or error kind hold
// every key, zero or not.
type Report struct {
	Version         int       `json:"version"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
	DurationSeconds float64   `json:"duration_seconds"`
	// Outcome is completed, interrupted or failed; ExitCode is the
	// process's exit status. The caller sets both.
	Outcome  string `json:"outcome"`
	ExitCode int    `json:"exit_code"`

	// Records is the number of records written (one per URL); Bytes their
	// body bytes; PagesPerSecond is Records / DurationSeconds.
	Records        int64   `json:"records"`
	Bytes          int64   `json:"bytes"`
	PagesPerSecond float64 `json:"pages_per_second"`
	// RecordsByStatusClass counts records by the class of their status:
	// 2xx, 3xx, 4xx, 5xx and none (no response).
	RecordsByStatusClass map[string]int64 `json:"records_by_status_class"`
	// RecordsWithError is the number of records with an error, ErrorRate
	// its share of Records, ErrorsByKind its split by error_kind.
	RecordsWithError int64            `json:"records_with_error"`
	ErrorRate        float64          `json:"error_rate"`
	ErrorsByKind     map[string]int64 `json:"errors_by_kind"`
	// FailOnErrorRate is --fail-on-error-rate (0 = off) and
	// ErrorRateExceeded whether ErrorRate went above it. The caller sets
	// both.
	FailOnErrorRate   float64 `json:"fail_on_error_rate"`
	ErrorRateExceeded bool    `json:"error_rate_exceeded"`

	// Retries is the number of URLs put back after a transient failure.
	Retries int64 `json:"retries"`
	// Requests are the HTTP requests made, retries and robots.txt included.
	Requests Requests `json:"requests"`
	// FetchLatency is the time of page requests, body included.
	FetchLatency Latency `json:"fetch_latency"`
	// SlowestHosts are the hosts with the highest median page request time
	// (among those with at least 5 requests, if any has), slowest first.
	SlowestHosts []HostLatency `json:"slowest_hosts"`
	// HostWaits are the retries and the time hosts were blocked, by reason:
	// backoff, retry_after, robots_unavailable.
	HostWaits HostWaits `json:"host_waits"`
	// Fields is each --extract field's coverage, in the order of the
	// rules; absent without --extract.
	Fields []FieldCoverage `json:"fields,omitempty"`
	// LinkChecks counts the records of link checks (--check-links);
	// absent when there were none.
	LinkChecks *LinkChecks `json:"link_checks,omitempty"`
	// Generation is the crawl's generation (1 without a previous crawl)
	// and Changes counts its records by change label (new, changed,
	// unchanged, moved, gone; every label present); both absent for a
	// first crawl, whose records are all new.
	Generation int64            `json:"generation,omitempty"`
	Changes    map[string]int64 `json:"changes,omitempty"`
	// NotModified counts the records with status 304: pages the server
	// said had not changed since the previous generation (they count as
	// 3xx in RecordsByStatusClass).
	NotModified int64 `json:"not_modified,omitempty"`
}

// LinkChecks counts link check records: all of them, and those whose
// outcome is broken or blocked (crawler.VerdictOf). A check that
// redirects counts as fine here; its target is a check of its own.
type LinkChecks struct {
	Checked int64 `json:"checked"`
	Broken  int64 `json:"broken"`
	Blocked int64 `json:"blocked"`
}

// FieldCoverage is how often an extraction rule matched: on Matched of
// the Pages HTML pages with a 2xx status, a share of Coverage (0 when
// there were none).
type FieldCoverage struct {
	Name     string  `json:"name"`
	Pages    int64   `json:"pages"`
	Matched  int64   `json:"matched"`
	Coverage float64 `json:"coverage"`
}

// Requests counts HTTP requests.
type Requests struct {
	Total  int64 `json:"total"`  // every request
	Robots int64 `json:"robots"` // robots.txt requests, included in Total
	Bytes  int64 `json:"bytes"`  // body bytes read, after decompression
	// ByStatusClass counts requests by status class (none: no response).
	ByStatusClass map[string]int64 `json:"by_status_class"`
	// ErrorsByKind counts failed requests (network errors, 4xx, 5xx).
	ErrorsByKind map[string]int64 `json:"errors_by_kind"`
}

// Latency is a latency distribution in seconds. Quantiles are estimated
// from buckets at most a third wide (within about 15 %).
type Latency struct {
	Requests    int64   `json:"requests"`
	MeanSeconds float64 `json:"mean_seconds"`
	P50Seconds  float64 `json:"p50_seconds"`
	P95Seconds  float64 `json:"p95_seconds"`
	P99Seconds  float64 `json:"p99_seconds"`
}

// HostLatency is one host's page request latency.
type HostLatency struct {
	Host string `json:"host"`
	Latency
}

// HostWaits are the retries of a crawl and the time they blocked hosts.
type HostWaits struct {
	// RetriesByReason counts retries by the reason of their host's wait.
	RetriesByReason map[string]int64 `json:"retries_by_reason"`
	// BlockedSecondsByReason is the time hosts were blocked, summed over
	// hosts; overlapping waits of one host count once.
	BlockedSecondsByReason map[string]float64 `json:"blocked_seconds_by_reason"`
}

// Report returns the crawl's report for a crawl that ran from start to end.
// The caller fills in Outcome, ExitCode and the error-rate fields.
func (a *Aggregator) Report(start, end time.Time) *Report {
	s := a.Snapshot()
	r := &Report{
		Version:         Version,
		StartedAt:       start.UTC(),
		FinishedAt:      end.UTC(),
		DurationSeconds: round(end.Sub(start).Seconds(), 3),
		Outcome:         OutcomeCompleted,

		Records:              s.TotalRecords(),
		Bytes:                s.RecordBytes,
		RecordsByStatusClass: classMap(s.Records),
		RecordsWithError:     s.TotalRecordErrors(),
		ErrorsByKind:         kindMap(s.RecordErrors),
		Retries:              s.TotalRetries(),
		FetchLatency:         latencyOf(&s.Latency),
		SlowestHosts:         a.slowestHosts(SlowestHosts),
		HostWaits: HostWaits{
			RetriesByReason:        make(map[string]int64),
			BlockedSecondsByReason: make(map[string]float64),
		},
	}
	if d := end.Sub(start).Seconds(); d > 0 {
		r.PagesPerSecond = round(float64(r.Records)/d, 2)
	}
	if r.Records > 0 {
		r.ErrorRate = round(float64(r.RecordsWithError)/float64(r.Records), 6)
	}
	robots := sum(s.RobotsRequests[:])
	byClass := s.Requests
	for i, n := range s.RobotsRequests {
		byClass[i] += n
	}
	r.Requests = Requests{
		Total:         sum(byClass[:]),
		Robots:        robots,
		Bytes:         s.RequestBytes,
		ByStatusClass: classMap(byClass),
		ErrorsByKind:  kindMap(s.RequestErrors),
	}
	for i := range crawler.NumWaitReasons {
		r.HostWaits.RetriesByReason[i.String()] = s.Retries[i]
		r.HostWaits.BlockedSecondsByReason[i.String()] = round(s.BlockedSeconds[i], 3)
	}
	if n := sum(s.Checks[:]); n > 0 {
		r.LinkChecks = &LinkChecks{Checked: n, Broken: s.Checks[crawler.LinkBroken], Blocked: s.Checks[crawler.LinkBlocked]}
	}
	if s.Generation > 1 {
		r.Generation = s.Generation
		r.NotModified = s.NotModified
		r.Changes = make(map[string]int64, len(changeLabels))
		for i, l := range changeLabels {
			r.Changes[l] = s.Changes[i]
		}
	}
	for i, name := range a.fields {
		fc := FieldCoverage{Name: name, Pages: s.FieldPages, Matched: s.FieldHits[i]}
		if fc.Pages > 0 {
			fc.Coverage = round(float64(fc.Matched)/float64(fc.Pages), 4)
		}
		r.Fields = append(r.Fields, fc)
	}
	return r
}

// ExceedsErrorRate reports whether the share of records with an error is
// above limit; a limit of 0 (off) or a crawl without records never is.
func (r *Report) ExceedsErrorRate(limit float64) bool {
	return limit > 0 && r.Records > 0 && float64(r.RecordsWithError)/float64(r.Records) > limit
}

// WriteJSON writes the report as indented JSON followed by a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// slowestHosts returns up to n hosts by decreasing median latency.
func (a *Aggregator) slowestHosts(n int) []HostLatency {
	var hosts []HostLatency
	var most int64
	a.hosts.Range(func(k, v any) bool {
		h := v.(*histogram).snapshot()
		l := latencyOf(&h)
		most = max(most, l.Requests)
		hosts = append(hosts, HostLatency{Host: k.(string), Latency: l})
		return true
	})
	floor := int64(minHostRequests)
	if most < floor {
		floor = 0 // no host is busy enough: rank them all
	}
	hosts = slices.DeleteFunc(hosts, func(h HostLatency) bool { return h.Requests < floor })
	slices.SortFunc(hosts, func(x, y HostLatency) int {
		return cmp.Or(cmp.Compare(y.P50Seconds, x.P50Seconds), cmp.Compare(y.P95Seconds, x.P95Seconds),
			cmp.Compare(x.Host, y.Host))
	})
	if len(hosts) > n {
		hosts = hosts[:n]
	}
	if hosts == nil {
		hosts = []HostLatency{}
	}
	return hosts
}

func latencyOf(h *Histogram) Latency {
	l := Latency{Requests: h.Count()}
	if l.Requests == 0 {
		return l
	}
	l.MeanSeconds = round(h.Sum.Seconds()/float64(l.Requests), 6)
	l.P50Seconds = round(h.Quantile(0.50).Seconds(), 6)
	l.P95Seconds = round(h.Quantile(0.95).Seconds(), 6)
	l.P99Seconds = round(h.Quantile(0.99).Seconds(), 6)
	return l
}

func classMap(counts [NumStatusClasses]int64) map[string]int64 {
	m := make(map[string]int64, NumStatusClasses)
	for i, n := range counts {
		m[StatusClass(i).String()] = n
	}
	return m
}

func kindMap(counts [crawler.NumErrorKinds]int64) map[string]int64 {
	m := make(map[string]int64, crawler.NumErrorKinds-1)
	for k := crawler.KindNone + 1; k < crawler.NumErrorKinds; k++ {
		m[k.String()] = counts[k]
	}
	return m
}

// round rounds x to digits decimals, so that the JSON stays readable.
func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
