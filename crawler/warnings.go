package crawler

import (
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Warnings for operators are per host, never per URL: a host that backs off
// is reported once per backoff episode, a host whose bodies are cut once.

const (
	// backoffWarnFailures is how many retries in one backoff episode of a
	// host make it worth a warning; a Retry-After is worth one at once.
	backoffWarnFailures = 3
	// maxWarnedHosts bounds the hosts remembered for warnings; past it,
	// new hosts are not warned about (their events stay at debug level).
	maxWarnedHosts = 10000
)

// observeState is the crawler's bookkeeping for the observer and for
// operator warnings. Its zero value is ready to use.
type observeState struct {
	backoffs  episodes // hosts in a backoff episode
	truncated hostSet  // hosts warned about a truncated body
}

// noteRetry reports a URL put back with its host blocked for wait: to the
// observer, and as a warning when the host's backoff episode becomes worth
// one: at its first Retry-After or its backoffWarnFailures-th retry. An
// episode starts with a host's first retry and ends when a request to the
// host gets an answer that is not transient (endBackoff).
func (c *Crawler) noteRetry(host string, reason WaitReason, wait time.Duration, status int, err error) {
	if c.cfg.Observer != nil {
		kind := statusKind(status)
		if err != nil {
			kind = classifyError(err)
		}
		c.cfg.Observer.ObserveRetry(RetryEvent{Host: host, Reason: reason, Wait: wait, Status: status, Kind: kind})
	}
	if reason == WaitRobots {
		return // robots.txt failures have their own warning
	}
	failures, warn := c.obs.backoffs.retry(host, reason == WaitRetryAfter)
	if !warn {
		return
	}
	fields := []zap.Field{zap.String("host", host), zap.Duration("wait", wait),
		zap.Int("retries_in_episode", failures), zap.Int("status", status)}
	if err != nil {
		fields = append(fields, zap.Error(err))
	}
	if reason == WaitRetryAfter {
		c.log.Warn("host asked to slow down (Retry-After); backing off, not logged again until it recovers", fields...)
		return
	}
	c.log.Warn("host failing repeatedly; backing off, not logged again until it recovers", fields...)
}

// endBackoff ends host's backoff episode, if it has one: a request to it
// got an answer that is not worth a retry.
func (c *Crawler) endBackoff(host string) {
	c.obs.backoffs.end(host)
}

// warnTruncated warns, once per host, that a body was cut at MaxBody.
func (c *Crawler) warnTruncated(host, url string) {
	if c.obs.truncated.add(host) {
		c.log.Warn("body truncated at the size limit (--max-body); further truncations on this host are logged at debug level",
			zap.String("host", host), zap.String("url", url), zap.Int64("max_body", c.cfg.MaxBody))
	}
}

// episodes tracks the hosts in a backoff episode: their retries so far and
// whether they were warned about. Safe for concurrent use; its zero value
// is empty. end costs one atomic load while no host backs off, as in a
// healthy crawl. At most maxWarnedHosts hosts are tracked.
type episodes struct {
	n     atomic.Int64
	mu    sync.Mutex
	hosts map[string]*episode
}

type episode struct {
	retries int
	warned  bool
}

// retry counts a retry of host and reports whether to warn about it now.
func (e *episodes) retry(host string, retryAfter bool) (retries int, warn bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ep := e.hosts[host]
	if ep == nil {
		if len(e.hosts) >= maxWarnedHosts {
			return 0, false
		}
		if e.hosts == nil {
			e.hosts = make(map[string]*episode)
		}
		ep = &episode{}
		e.hosts[host] = ep
		e.n.Store(int64(len(e.hosts)))
	}
	ep.retries++
	if ep.warned || (!retryAfter && ep.retries < backoffWarnFailures) {
		return ep.retries, false
	}
	ep.warned = true
	return ep.retries, true
}

// end ends host's episode.
func (e *episodes) end(host string) {
	if e.n.Load() == 0 {
		return
	}
	e.mu.Lock()
	delete(e.hosts, host)
	e.n.Store(int64(len(e.hosts)))
	e.mu.Unlock()
}

// hostSet is a bounded set of hosts, safe for concurrent use. Its zero
// value is empty.
type hostSet struct {
	mu    sync.Mutex
	hosts map[string]struct{}
}

// add adds host and reports whether it was new. When the set holds
// maxWarnedHosts hosts, nothing is added.
func (s *hostSet) add(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hosts[host]; ok || len(s.hosts) >= maxWarnedHosts {
		return false
	}
	if s.hosts == nil {
		s.hosts = make(map[string]struct{})
	}
	s.hosts[host] = struct{}{}
	return true
}
