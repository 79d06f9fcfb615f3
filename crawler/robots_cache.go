package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const (
	// robotsTTL is how long a fetched robots.txt is used (RFC 9309 2.4).
	robotsTTL = 24 * time.Hour
	// robotsMaxBytes is how much of a robots.txt is parsed (RFC 9309 2.5
	// asks for at least 500 KiB).
	robotsMaxBytes = 512 << 10
	// robotsMaxRedirects is how many redirects a robots.txt fetch follows
	// (RFC 9309 2.3.1.2: at least five).
	robotsMaxRedirects = 5
)

// errRobotsUnavailable marks a robots.txt that could not be fetched (5xx,
// 429, network failure). RFC 9309: the host is treated as disallowed for
// now and robots.txt is tried again later.
var errRobotsUnavailable = errors.New("robots.txt unavailable")

// robotsEntry is one origin's robots.txt state.
type robotsEntry struct {
	ready   chan struct{} // closed when the fetch in progress ends
	rules   *robotsRules  // nil while fetching or when unavailable
	err     error         // why robots.txt is unavailable
	expires time.Time     // when to fetch again
	fails   int           // consecutive failures, for backoff
}

// robotsCache fetches robots.txt once per origin (scheme://host:port) and
// keeps it for robotsTTL. A failed fetch is not cached past its backoff.
// Safe for concurrent use.
type robotsCache struct {
	agent   string // product token matched against User-agent lines
	mu      sync.Mutex
	origins map[string]*robotsEntry
}

func newRobotsCache(userAgent string) *robotsCache {
	return &robotsCache{agent: robotsAgent(userAgent), origins: make(map[string]*robotsEntry)}
}

// robotsResult is what lookup tells the worker.
type robotsResult struct {
	rules   *robotsRules // set when robots.txt is known
	fetched bool         // this call fetched robots.txt (it used the host's slot)
	err     error        // robots.txt is unavailable until retryAt
	retryAt time.Time
	fails   int // consecutive failed fetches of robots.txt, with err
}

// lookup returns the origin's rules, fetching robots.txt with fetch when
// they are unknown or expired. A caller that finds a fetch in progress
// waits for it.
//
// fetch returns the rules and whether it made a request (it may find them
// in a store shared by the crawl's processes instead). errRobotsPending
// from fetch (another process is fetching robots.txt) is no failure: the
// caller waits robotsPendingWait and looks again.
func (rc *robotsCache) lookup(ctx context.Context, origin string, fetch func(context.Context) (*robotsRules, bool, error), backoff func(int) time.Duration) robotsResult {
	for {
		rc.mu.Lock()
		e := rc.origins[origin]
		now := time.Now()
		switch {
		case e != nil && e.rules == nil && e.err == nil:
			// Another worker is fetching it.
			ready := e.ready
			rc.mu.Unlock()
			select {
			case <-ready:
				continue
			case <-ctx.Done():
				return robotsResult{err: ctx.Err(), retryAt: now}
			}
		case e != nil && now.Before(e.expires):
			rc.mu.Unlock()
			if e.err != nil {
				return robotsResult{err: e.err, retryAt: e.expires, fails: e.fails}
			}
			return robotsResult{rules: e.rules}
		}
		fails := 0
		if e != nil {
			fails = e.fails
		}
		e = &robotsEntry{ready: make(chan struct{}), fails: fails}
		rc.origins[origin] = e
		rc.mu.Unlock()

		rules, requested, err := fetch(ctx)

		rc.mu.Lock()
		now = time.Now()
		switch {
		case errors.Is(err, errRobotsPending):
			e.err = err
			e.expires = now.Add(robotsPendingWait)
		case err != nil:
			e.fails++
			e.err = err
			e.expires = now.Add(backoff(e.fails))
		default:
			e.fails = 0
			e.rules = rules
			e.expires = now.Add(robotsTTL)
		}
		close(e.ready)
		rc.mu.Unlock()
		if err != nil {
			return robotsResult{err: err, retryAt: e.expires, fetched: requested, fails: e.fails}
		}
		return robotsResult{rules: rules, fetched: requested}
	}
}

// errRobotsPending says another process of the crawl is fetching the
// origin's robots.txt (a shared frontier's RobotsStore).
var errRobotsPending = errors.New("robots.txt is being fetched by another worker")

// robotsPendingWait is how long a URL waits for another process's
// robots.txt fetch before it looks again.
const robotsPendingWait = 250 * time.Millisecond

// fetchRobots requests origin/robots.txt with client and interprets the
// answer as RFC 9309 says: 2xx returns the file, 4xx (and more than five
// redirects) returns nil, meaning allow all; 5xx, 429 and network failures
// make robots.txt unavailable for now.
func fetchRobots(ctx context.Context, client *http.Client, origin, userAgent string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin+"/robots.txt", nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errRobotsUnavailable, err)
	}
	req.Header.Set("User-Agent", userAgent)
	setAcceptEncoding(req.Header)
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, errTooManyRobotsRedirects) {
			// RFC 9309 2.3.1.2: more than five redirects may be
			// treated as unavailable (4xx), which allows everything.
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %w", errRobotsUnavailable, fetchError(err, timeout))
	}
	defer resp.Body.Close()
	decoded, err := decode(resp.Body, resp.Header.Get("Content-Encoding"))
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(decoded, robotsMaxBytes))
		var one [1]byte
		if n, _ := io.ReadFull(decoded, one[:]); n > 0 && err == nil {
			// Cut at the limit: the last line is cut too, and a cut
			// rule ("Allow: /public/page" read as "Allow: /") must not
			// apply. Parse up to the last line end.
			body = body[:bytes.LastIndexAny(body, "\r\n")+1]
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: read: %w", errRobotsUnavailable, fetchError(err, timeout))
	}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		if body == nil {
			body = []byte{}
		}
		return body, nil
	case code == http.StatusTooManyRequests || code >= 500:
		return nil, fmt.Errorf("%w: http status %d", errRobotsUnavailable, code)
	default:
		// 4xx, 1xx, or a 3xx the client did not follow: no usable file.
		return nil, nil
	}
}

var errTooManyRobotsRedirects = errors.New("too many robots.txt redirects")
