package report

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/store"
)

// StatusClass groups HTTP statuses: 2xx, 3xx, 4xx, 5xx, and none for no
// response (or a status outside 200-599).
type StatusClass uint8

const (
	Class2xx StatusClass = iota
	Class3xx
	Class4xx
	Class5xx
	ClassNone
	// NumStatusClasses is the number of StatusClass values.
	NumStatusClasses
)

// ClassOf returns the class of an HTTP status; 0 is ClassNone.
func ClassOf(status int) StatusClass {
	if status < 200 || status > 599 {
		return ClassNone
	}
	return StatusClass(status/100 - 2)
}

func (c StatusClass) String() string {
	switch c {
	case Class2xx:
		return "2xx"
	case Class3xx:
		return "3xx"
	case Class4xx:
		return "4xx"
	case Class5xx:
		return "5xx"
	}
	return "none"
}

// MaxHosts bounds the hosts with their own latency histogram and the hosts
// whose waits are tracked at once.
const MaxHosts = 4096

// Aggregator counts a crawl's requests, retries and records. It implements
// crawler.Observer; create it with New. Safe for concurrent use.
type Aggregator struct {
	now func() time.Time

	records      [NumStatusClasses]atomic.Int64
	recordKinds  [crawler.NumErrorKinds]atomic.Int64
	recordBytes  atomic.Int64
	requests     [NumStatusClasses]atomic.Int64 // pages
	robots       [NumStatusClasses]atomic.Int64 // robots.txt
	requestKinds [crawler.NumErrorKinds]atomic.Int64
	requestBytes atomic.Int64
	latency      histogram // page requests
	retries      [crawler.NumWaitReasons]atomic.Int64

	hosts     sync.Map // host -> *histogram, at most MaxHosts
	nhosts    atomic.Int64
	untracked atomic.Int64 // page requests to hosts past MaxHosts

	waits waits

	checks [3]atomic.Int64 // link check records by crawler.LinkVerdict

	changes    [len(changeLabels)]atomic.Int64 // records by change label
	generation atomic.Int64                    // the records' generation
	unmodified atomic.Int64                    // 304 records

	fields     []string       // --extract names, for coverage
	fieldHits  []atomic.Int64 // HTML 2xx records with fields[i]
	fieldPages atomic.Int64   // HTML 2xx records
}

var _ crawler.Observer = (*Aggregator)(nil)

// New returns an empty Aggregator that also counts, for each of fields
// (the names of the crawl's extraction rules), the HTML 2xx records where
// it matched.
func New(fields ...string) *Aggregator {
	return &Aggregator{now: time.Now, fields: fields, fieldHits: make([]atomic.Int64, len(fields))}
}

// ObserveRequest counts one HTTP request: its status class, error kind and
// bytes, and for pages its latency, overall and for its host.
func (a *Aggregator) ObserveRequest(e crawler.RequestEvent) {
	class := ClassOf(e.Status)
	if e.Robots {
		a.robots[class].Add(1)
	} else {
		a.requests[class].Add(1)
	}
	if e.Kind != crawler.KindNone {
		a.requestKinds[kindIndex(e.Kind)].Add(1)
	}
	if e.Bytes != 0 {
		a.requestBytes.Add(e.Bytes)
	}
	if e.Robots {
		return
	}
	b := bucketOf(e.Duration)
	a.latency.add(b, e.Duration)
	if h := a.host(e.Host); h != nil {
		h.add(b, e.Duration)
	} else {
		a.untracked.Add(1)
	}
}

// host returns host's histogram, or nil when MaxHosts hosts have one.
func (a *Aggregator) host(host string) *histogram {
	if v, ok := a.hosts.Load(host); ok {
		return v.(*histogram)
	}
	if a.nhosts.Load() >= MaxHosts {
		return nil
	}
	v, loaded := a.hosts.LoadOrStore(host, new(histogram))
	if !loaded {
		a.nhosts.Add(1)
	}
	return v.(*histogram)
}

// ObserveRetry counts a retry by reason and the time its host is blocked.
func (a *Aggregator) ObserveRetry(e crawler.RetryEvent) {
	r := e.Reason
	if r >= crawler.NumWaitReasons {
		r = crawler.WaitBackoff
	}
	a.retries[r].Add(1)
	a.waits.add(e.Host, r, max(e.Wait, 0), a.now())
}

// ObserveRecord counts a final record by status class and error kind.
func (a *Aggregator) ObserveRecord(r *store.Record, kind crawler.ErrorKind) {
	a.records[ClassOf(r.Status)].Add(1)
	if kind != crawler.KindNone {
		a.recordKinds[kindIndex(kind)].Add(1)
	}
	if r.Bytes != 0 {
		a.recordBytes.Add(r.Bytes)
	}
	if r.Check {
		a.checks[crawler.VerdictOf(kind)].Add(1)
	}
	for i, l := range changeLabels {
		if r.Change == l {
			a.changes[i].Add(1)
		}
	}
	a.generation.Store(int64(r.Generation))
	if r.Status == http.StatusNotModified {
		a.unmodified.Add(1)
	}
	if len(a.fields) > 0 && ClassOf(r.Status) == Class2xx && isHTML(r.ContentType) {
		a.fieldPages.Add(1)
		for i, name := range a.fields {
			if _, ok := r.Fields[name]; ok {
				a.fieldHits[i].Add(1)
			}
		}
	}
}

// isHTML reports whether a record's content_type is one the crawler parses.
func isHTML(mediaType string) bool {
	return mediaType == "text/html" || mediaType == "application/xhtml+xml"
}

func kindIndex(k crawler.ErrorKind) crawler.ErrorKind {
	if k >= crawler.NumErrorKinds {
		return crawler.KindOther
	}
	return k
}

// Snapshot is the aggregator's counters at one moment (each counter is
// exact; they are not read at one instant).
type Snapshot struct {
	Records        [NumStatusClasses]int64         // records by status class
	RecordErrors   [crawler.NumErrorKinds]int64    // records by error kind; [KindNone] unused
	RecordBytes    int64                           // body bytes of the records
	Requests       [NumStatusClasses]int64         // page requests by status class
	RobotsRequests [NumStatusClasses]int64         // robots.txt requests by status class
	RequestErrors  [crawler.NumErrorKinds]int64    // requests by error kind; [KindNone] unused
	RequestBytes   int64                           // body bytes of all requests
	Retries        [crawler.NumWaitReasons]int64   // retries by the reason of their wait
	BlockedSeconds [crawler.NumWaitReasons]float64 // seconds hosts were blocked, by reason
	HostsBlocked   int                             // hosts blocked by a retry's wait now
	Latency        Histogram                       // page request latency
	Checks         [3]int64                        // link check records by crawler.LinkVerdict
	FieldPages     int64                           // HTML 2xx records
	FieldHits      []int64                         // of them, those with each field of New
	Changes        [len(changeLabels)]int64        // records by changeLabels
	Generation     int64                           // the generation of the last record
	NotModified    int64                           // records with status 304
}

// changeLabels are the values of store.Record.Change, in report order.
var changeLabels = [...]string{crawler.ChangeNew, crawler.ChangeChanged, crawler.ChangeUnchanged, crawler.ChangeMoved, crawler.ChangeGone}

// Snapshot returns the counters so far.
func (a *Aggregator) Snapshot() Snapshot {
	var s Snapshot
	for i := range a.records {
		s.Records[i] = a.records[i].Load()
		s.Requests[i] = a.requests[i].Load()
		s.RobotsRequests[i] = a.robots[i].Load()
	}
	for i := range a.recordKinds {
		s.RecordErrors[i] = a.recordKinds[i].Load()
		s.RequestErrors[i] = a.requestKinds[i].Load()
	}
	for i := range a.retries {
		s.Retries[i] = a.retries[i].Load()
	}
	s.RecordBytes = a.recordBytes.Load()
	s.RequestBytes = a.requestBytes.Load()
	s.BlockedSeconds, s.HostsBlocked = a.waits.state(a.now())
	s.Latency = a.latency.snapshot()
	for i := range a.checks {
		s.Checks[i] = a.checks[i].Load()
	}
	for i := range a.changes {
		s.Changes[i] = a.changes[i].Load()
	}
	s.Generation = a.generation.Load()
	s.NotModified = a.unmodified.Load()
	s.FieldPages = a.fieldPages.Load()
	for i := range a.fieldHits {
		s.FieldHits = append(s.FieldHits, a.fieldHits[i].Load())
	}
	return s
}

// TotalRecords returns the number of records.
func (s *Snapshot) TotalRecords() int64 { return sum(s.Records[:]) }

// TotalRecordErrors returns the number of records with an error.
func (s *Snapshot) TotalRecordErrors() int64 { return sum(s.RecordErrors[:]) }

// TotalRetries returns the number of retries.
func (s *Snapshot) TotalRetries() int64 { return sum(s.Retries[:]) }

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// waits tracks, per host, until when it is blocked, so that overlapping
// waits (several URLs of one host failing at once) count once: a new wait
// adds only the part of it that extends the host's current block.
type waits struct {
	mu    sync.Mutex
	until map[string]time.Time
	total [crawler.NumWaitReasons]time.Duration
}

func (w *waits) add(host string, r crawler.WaitReason, wait time.Duration, now time.Time) {
	end := now.Add(wait)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.until == nil {
		w.until = make(map[string]time.Time)
	}
	u, ok := w.until[host]
	if !ok && len(w.until) >= MaxHosts {
		for h, t := range w.until {
			if !t.After(now) {
				delete(w.until, h)
			}
		}
	}
	if !end.After(u) {
		return
	}
	w.total[r] += end.Sub(maxTime(now, u))
	if ok || len(w.until) < MaxHosts {
		w.until[host] = end
	}
}

// state returns the seconds blocked so far by reason and the number of
// hosts blocked at now.
func (w *waits) state(now time.Time) (seconds [crawler.NumWaitReasons]float64, blocked int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, d := range w.total {
		seconds[i] = d.Seconds()
	}
	for _, t := range w.until {
		if t.After(now) {
			blocked++
		}
	}
	return seconds, blocked
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
