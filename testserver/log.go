package testserver

import (
	"cmp"
	"net/http"
	"slices"
	"sync"
	"time"
)

// DefaultMaxLog is how many requests a site's log keeps; later requests
// are counted by LogDropped instead.
const DefaultMaxLog = 100_000

// Request is one request a site served, for assertions on timing and
// politeness: gaps between requests, requests in flight at once, retries.
type Request struct {
	// Seq numbers requests in the order they arrived, from 1 (since New;
	// Reset does not restart it).
	Seq int64
	// Method, Host and UserAgent are the request's.
	Method, Host, UserAgent string
	// Path is the decoded path plus the raw query, keyed like Requests.
	Path string
	// Start is when the handler began, End when it returned (the time
	// package's clock, so fake time inside a testing/synctest bubble).
	Start, End time.Time
	// Status is the status the handler sent; 0 when it sent nothing, as a
	// page that never answers does.
	Status int
	// Bytes is the number of body bytes the handler wrote (compressed bytes
	// for a gzip response).
	Bytes int64
}

// requestLog is a bounded, concurrency-safe list of requests.
type requestLog struct {
	mu      sync.Mutex
	entries []Request
	max     int
	dropped int
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	if len(l.entries) < l.max {
		l.entries = append(l.entries, r)
	} else {
		l.dropped++
	}
	l.mu.Unlock()
}

func (l *requestLog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.dropped = 0
	l.mu.Unlock()
}

// Log returns the requests served since New or the last Reset, in the
// order they arrived (by Seq). A request is logged when its handler
// returns, so requests still in flight are missing. The log keeps
// DefaultMaxLog requests; LogDropped counts the ones it could not keep.
func (s *Site) Log() []Request {
	s.log.mu.Lock()
	out := slices.Clone(s.log.entries)
	s.log.mu.Unlock()
	slices.SortFunc(out, func(a, b Request) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// LogDropped returns how many requests since New or the last Reset were not
// kept in the log because it was full. Tests that rely on Log should check
// that it is 0.
func (s *Site) LogDropped() int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.dropped
}

// Gaps returns the times between the starts of consecutive requests of
// log, ordered by Start, among those for which keep returns true (nil keeps
// every request).
func Gaps(log []Request, keep func(Request) bool) []time.Duration {
	var kept []Request
	for _, r := range log {
		if keep == nil || keep(r) {
			kept = append(kept, r)
		}
	}
	slices.SortStableFunc(kept, func(a, b Request) int { return a.Start.Compare(b.Start) })
	var gaps []time.Duration
	for i := 1; i < len(kept); i++ {
		gaps = append(gaps, kept[i].Start.Sub(kept[i-1].Start))
	}
	return gaps
}

// MaxConcurrent returns the largest number of requests of log that were
// being served at one instant. A request that ends at the instant another
// starts does not overlap it.
func MaxConcurrent(log []Request) int {
	type event struct {
		at    time.Time
		delta int
	}
	events := make([]event, 0, 2*len(log))
	for _, r := range log {
		events = append(events, event{r.Start, 1}, event{r.End, -1})
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.delta, b.delta) // ends first
	})
	cur, most := 0, 0
	for _, e := range events {
		cur += e.delta
		most = max(most, cur)
	}
	return most
}

// logWriter is the ResponseWriter the handler writes through: it notes the
// status and body bytes for the log. Unwrap lets http.ResponseController
// reach the real writer's Flush.
type logWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *logWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
