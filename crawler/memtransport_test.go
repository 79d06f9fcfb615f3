package crawler_test

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// memTransport serves requests with in-memory handlers, one per host, so
// that a whole crawl runs inside a testing/synctest bubble: no sockets,
// fake time. Bodies stream through a pipe, so a handler that drips or never
// ends behaves as over a network, and the request's context reaches the
// handler.
type memTransport map[string]http.Handler

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h, ok := m[req.URL.Host]
	if !ok {
		return nil, &netError{"connect: connection refused"}
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, pw: pw, ready: make(chan struct{})}
	go func() {
		defer func() {
			w.writeHeader(http.StatusOK) // a handler that wrote nothing
			pw.Close()
		}()
		h.ServeHTTP(w, req)
	}()
	select {
	case <-w.ready:
	case <-req.Context().Done():
		pr.Close()
		return nil, req.Context().Err()
	}
	return &http.Response{
		Status:     http.StatusText(w.code),
		StatusCode: w.code,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        w.sent,
		Body:          pr,
		ContentLength: -1,
		Request:       req,
	}, nil
}

type netError struct{ msg string }

func (e *netError) Error() string   { return e.msg }
func (e *netError) Timeout() bool   { return false }
func (e *netError) Temporary() bool { return false }

// pipeWriter is the handler's side of a memTransport response.
type pipeWriter struct {
	header http.Header // the handler's
	sent   http.Header // snapshot at WriteHeader, the client's
	pw     *io.PipeWriter
	once   sync.Once
	code   int
	ready  chan struct{}
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) { w.writeHeader(code) }

func (w *pipeWriter) writeHeader(code int) {
	w.once.Do(func() {
		w.code = code
		w.sent = w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeWriter) Write(p []byte) (int, error) {
	w.writeHeader(http.StatusOK)
	return w.pw.Write(p)
}

// Flush is a no-op: every Write reaches the reader at once.
func (w *pipeWriter) Flush() {}

// requestTimes records when each request of a handler started, by path.
type requestTimes struct {
	mu    sync.Mutex
	h     http.Handler
	times []time.Time
	paths []string
}

func (rt *requestTimes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	rt.times = append(rt.times, time.Now())
	rt.paths = append(rt.paths, r.URL.Path)
	rt.mu.Unlock()
	rt.h.ServeHTTP(w, r)
}

// gaps returns the time between consecutive requests.
func (rt *requestTimes) gaps() []time.Duration {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var g []time.Duration
	for i := 1; i < len(rt.times); i++ {
		g = append(g, rt.times[i].Sub(rt.times[i-1]))
	}
	return g
}
