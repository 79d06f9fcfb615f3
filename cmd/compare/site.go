package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/crawl-dev/crawl/testserver"
)

// target is the site the tools crawl, served on 127.0.0.1 at a random port,
// with every request counted. close stops it.
type target struct {
	url    string
	srv    *http.Server
	errc   chan error
	counts *requestCounter
	conns  *connTracker
	gen    *testserver.Site // nil for --site dir
	expect *expectation     // nil for --site dir
	files  int              // --site dir: regular files under the root
}

// expectation is what a complete crawl of the generated site requests.
type expectation struct {
	paths         map[string]int // paths a complete crawl requests, and their depth
	count         int            // len(paths)
	levels        []int          // expected paths per depth
	delayedLevels []int          // of those, paths that wait for --latency
}

// startSite serves o's site on a random loopback port until close.
func startSite(ctx context.Context, o options) (*target, error) {
	t := &target{conns: newConnTracker(), errc: make(chan error, 1)}
	var h http.Handler
	if o.site == "generated" {
		t.gen = testserver.New(o.cfg)
		t.expect = newExpectation(t.gen, o.depth)
		h = t.gen.Handler()
	} else {
		n, err := countFiles(o.root)
		if err != nil {
			return nil, err
		}
		t.files = n
		h = withLatency(http.FileServer(http.Dir(o.root)), o.cfg.Latency)
	}
	t.counts = newRequestCounter(h)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	t.url = "http://" + ln.Addr().String() + "/"
	t.srv = &http.Server{
		Handler:           t.counts,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState:         t.conns.track,
	}
	go func() { t.errc <- t.srv.Serve(ln) }()
	return t, nil
}

// close stops the server and closes every connection.
func (t *target) close() error {
	if err := t.srv.Close(); err != nil {
		return fmt.Errorf("close server: %w", err)
	}
	if err := <-t.errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// reset forgets the requests counted so far.
func (t *target) reset() {
	t.counts.reset()
	if t.gen != nil {
		t.gen.Reset() // keeps the site's own request log bounded
	}
}

// idleWait bounds how long settle waits for a finished tool's connections
// to close.
const idleWait = 10 * time.Second

// settle waits until no connection is open, so that every request of a
// tool that has exited is counted before the counts are read. It reports
// false if connections were still open after idleWait.
func (t *target) settle(ctx context.Context) bool {
	return t.conns.waitIdle(ctx, idleWait)
}

// vars are the placeholder values of a run whose directory is dir.
func (t *target) vars(o options, dir string) vars {
	return vars{url: t.url, depth: o.depth, concurrency: o.concurrency, dir: dir}
}

// describe names the site and its parameters in one line.
func (t *target) describe(o options) string {
	if t.gen != nil {
		return fmt.Sprintf("generated, %d pages, %d links, features %s, seed %d, latency %s",
			t.gen.Pages(), o.cfg.Links, o.cfg.Features, o.cfg.Seed, o.cfg.Latency)
	}
	return fmt.Sprintf("dir %s (%d files), latency %s", o.root, t.files, o.cfg.Latency)
}

// siteCounts is what the site saw of one run.
type siteCounts struct {
	Distinct   int            `json:"distinct"`   // distinct paths requested, robots.txt aside
	Requests   int            `json:"requests"`   // requests, robots.txt aside
	Duplicates int            `json:"duplicates"` // Requests - Distinct
	Robots     int            `json:"robots"`     // robots.txt requests
	Methods    map[string]int `json:"methods"`    // requests by method, robots.txt included
	// ExpectedRequested and Unexpected compare the distinct paths with the
	// generated site's expectation: expected paths requested, and requested
	// paths not expected. nil for --site dir.
	ExpectedRequested *int `json:"expected_requested,omitempty"`
	Unexpected        *int `json:"unexpected,omitempty"`
	// MissingSample and UnexpectedSample list up to sampleSize of the
	// expected paths not requested (with their depth, "/p/9 (depth 3)") and
	// of the requested paths not expected, sorted.
	MissingSample    []string `json:"missing_sample,omitempty"`
	UnexpectedSample []string `json:"unexpected_sample,omitempty"`
}

// sampleSize bounds the paths listed in a siteCounts sample.
const sampleSize = 20

// measure reads the counts of the requests since the last reset.
func (t *target) measure() siteCounts {
	paths, methods := t.counts.snapshot()
	c := siteCounts{Methods: methods, Robots: paths["/robots.txt"]}
	delete(paths, "/robots.txt")
	var expected int
	var unexpected []string
	for p, n := range paths {
		c.Distinct++
		c.Requests += n
		if t.expect == nil {
			continue
		}
		if _, ok := t.expect.paths[p]; ok {
			expected++
		} else {
			unexpected = append(unexpected, p)
		}
	}
	c.Duplicates = c.Requests - c.Distinct
	if t.expect == nil {
		return c
	}
	n := len(unexpected)
	c.ExpectedRequested, c.Unexpected = &expected, &n
	slices.Sort(unexpected)
	c.UnexpectedSample = unexpected[:min(len(unexpected), sampleSize)]
	if expected < t.expect.count {
		var missing []string
		for p := range t.expect.paths {
			if _, ok := paths[p]; !ok {
				missing = append(missing, p)
			}
		}
		slices.Sort(missing)
		for _, p := range missing[:min(len(missing), sampleSize)] {
			c.MissingSample = append(c.MissingSample, fmt.Sprintf("%s (depth %d)", p, t.expect.paths[p]))
		}
	}
	return c
}

// newExpectation lists the paths a crawl of site from "/" to depth must
// request: every record but those robots.txt keeps from being requested.
func newExpectation(site *testserver.Site, depth int) *expectation {
	e := &expectation{paths: map[string]int{}}
	for p, o := range site.Expect("/", depth).Records {
		if o.Robots {
			continue
		}
		e.paths[p] = o.Depth
		for len(e.levels) <= o.Depth {
			e.levels = append(e.levels, 0)
			e.delayedLevels = append(e.delayedLevels, 0)
		}
		e.levels[o.Depth]++
		if site.Delay(p) > 0 {
			e.delayedLevels[o.Depth]++
		}
	}
	e.count = len(e.paths)
	return e
}

// maxFiles bounds the walk that counts a --site dir's files.
const maxFiles = 1_000_000

// countFiles counts the regular files under root, up to maxFiles.
func countFiles(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		if n >= maxFiles {
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", root, err)
	}
	return n, nil
}

// withLatency delays every response of h by d, or until the request's
// context is done.
func withLatency(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-tm.C:
			h.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

// maxPaths bounds the distinct paths a requestCounter keeps; further ones
// are counted under overflowPath.
const (
	maxPaths     = 1 << 20
	overflowPath = "(other paths)"
)

// requestCounter counts the requests per path (decoded path plus raw query,
// as testserver keys them) and per method before handing them to next.
type requestCounter struct {
	next    http.Handler
	mu      sync.Mutex
	paths   map[string]int
	methods map[string]int
}

func newRequestCounter(next http.Handler) *requestCounter {
	return &requestCounter{next: next, paths: map[string]int{}, methods: map[string]int{}}
}

func (c *requestCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	method := r.Method
	if len(method) > 16 {
		method = "(other)"
	}
	c.mu.Lock()
	if _, ok := c.paths[key]; !ok && len(c.paths) >= maxPaths {
		key = overflowPath
	}
	c.paths[key]++
	if _, ok := c.methods[method]; ok || len(c.methods) < 16 {
		c.methods[method]++
	}
	c.mu.Unlock()
	c.next.ServeHTTP(w, r)
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	clear(c.paths)
	clear(c.methods)
	c.mu.Unlock()
}

// snapshot returns copies of the counts per path and per method.
func (c *requestCounter) snapshot() (paths, methods map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	paths = make(map[string]int, len(c.paths))
	for p, n := range c.paths {
		paths[p] = n
	}
	methods = make(map[string]int, len(c.methods))
	for m, n := range c.methods {
		methods[m] = n
	}
	return paths, methods
}

// connTracker counts the server's open connections. A tool's connections
// close when it exits, after the server has read every request sent on
// them, so no open connection means every request of a finished tool is
// counted (a connection still in the listen backlog is the exception: only
// a tool killed mid-connect leaves one).
type connTracker struct {
	mu      sync.Mutex
	open    int
	waiters []chan struct{}
}

func newConnTracker() *connTracker { return &connTracker{} }

// track is the server's ConnState hook.
func (t *connTracker) track(_ net.Conn, s http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s {
	case http.StateNew:
		t.open++
	case http.StateClosed, http.StateHijacked:
		t.open--
	}
	if t.open == 0 {
		for _, w := range t.waiters {
			close(w)
		}
		t.waiters = nil
	}
}

// waitIdle waits until no connection is open, for at most limit or until
// ctx is done; it reports whether none is.
func (t *connTracker) waitIdle(ctx context.Context, limit time.Duration) bool {
	t.mu.Lock()
	if t.open == 0 {
		t.mu.Unlock()
		return true
	}
	w := make(chan struct{})
	t.waiters = append(t.waiters, w)
	t.mu.Unlock()
	tm := time.NewTimer(limit)
	defer tm.Stop()
	select {
	case <-w:
		return true
	case <-tm.C:
	case <-ctx.Done():
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if i := slices.Index(t.waiters, w); i >= 0 {
		t.waiters = slices.Delete(t.waiters, i, i+1)
	}
	return t.open == 0
}
