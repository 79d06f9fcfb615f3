package crawler

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/crawl-dev/crawl/store"
)

// Observer is told what a crawl does as it happens, for progress displays,
// metrics and reports. The crawler knows nothing of those: it only calls
// these methods, from its worker goroutines, concurrently and on the hot
// path. An Observer must be safe for concurrent use, cheap (atomics rather
// than locks where it can) and must never block. Config.Observer nil
// observes nothing and costs nothing.
type Observer interface {
	// ObserveRequest is called once for every HTTP request the crawler
	// made, for pages and robots.txt alike, retries and robots.txt
	// redirects included, when its body has been closed or the request
	// failed. Requests abandoned at shutdown are not observed.
	ObserveRequest(RequestEvent)
	// ObserveRetry is called each time a URL is put back to be tried again
	// after a transient failure, with the wait imposed on its host.
	ObserveRetry(RetryEvent)
	// ObserveRecord is called once for every final record, from the
	// record writer's goroutine, when it has been written, with the
	// record's ErrorKind (r.ErrorKind as a value). r must not be modified
	// or kept.
	ObserveRecord(r *store.Record, kind ErrorKind)
}

// RequestEvent is one HTTP request made by the crawler.
type RequestEvent struct {
	Host     string        // host[:port] of the request URL
	Robots   bool          // a robots.txt request (or one of its redirects)
	Status   int           // HTTP status; 0 when no response arrived
	Kind     ErrorKind     // KindNone for a response below 400 read whole
	Duration time.Duration // from sending the request to closing its body
	Bytes    int64         // body bytes read as received (before decoding)
}

// RetryEvent is a URL put back after a transient failure.
type RetryEvent struct {
	Host   string        // the host made to wait
	Reason WaitReason    // why it waits
	Wait   time.Duration // how long its host is blocked, from now
	Status int           // the failed response's status; 0 if none
	Kind   ErrorKind     // the failure's kind
}

// WaitReason says why a host is made to wait before its next request.
type WaitReason uint8

const (
	// WaitBackoff is the exponential backoff after a transient failure.
	WaitBackoff WaitReason = iota
	// WaitRetryAfter is a server's Retry-After (capped by RetryAfterMax).
	WaitRetryAfter
	// WaitRobots is the backoff of an unavailable robots.txt.
	WaitRobots
	// NumWaitReasons is the number of WaitReason values.
	NumWaitReasons
)

func (r WaitReason) String() string {
	switch r {
	case WaitBackoff:
		return "backoff"
	case WaitRetryAfter:
		return "retry_after"
	case WaitRobots:
		return "robots_unavailable"
	}
	return "unknown"
}

// ErrorKind classifies why a request or a URL failed. Records carry it in
// their error_kind field as the String form.
type ErrorKind uint8

// Error kinds. KindNone (the zero value) means no error.
const (
	KindNone              ErrorKind = iota
	KindTimeout                     // the request or its body took longer than Timeout
	KindDNS                         // the host name did not resolve
	KindConnRefused                 // nothing listens at the address
	KindConnReset                   // the peer reset or closed the connection early
	KindTLS                         // handshake or certificate failure
	KindRobotsDisallowed            // robots.txt disallows the URL
	KindRobotsUnavailable           // robots.txt could not be fetched (5xx, 429, network)
	KindTooManyRedirects            // the redirect chain passed MaxRedirects
	KindRedirectLoop                // a redirect back to the URL or its redirecting URL
	KindHostBudget                  // MaxHostPages reached for the host
	KindHTTP4xx                     // a 4xx status
	KindHTTP5xx                     // a 5xx status
	KindOther                       // anything else (a parse failure, an unusable Location, ...)
	KindMissingField                // an HTML 2xx page without a field of Config.RequireFields
	KindBlocked                     // 403, 429 or 999 after retries: the site refuses the crawler, the URL may be fine
	KindPrivateAddress              // the host is on an address the address policy refuses (Config.AllowPrivate)
	KindSitemap                     // a sitemap that is malformed, cut at a limit, or nested too deep (its good entries are kept)
	// NumErrorKinds is the number of ErrorKind values, KindNone included.
	NumErrorKinds
)

// String returns the snake_case name of k ("" for KindNone), as written in
// a record's error_kind field.
func (k ErrorKind) String() string {
	switch k {
	case KindNone:
		return ""
	case KindTimeout:
		return "timeout"
	case KindDNS:
		return "dns"
	case KindConnRefused:
		return "connection_refused"
	case KindConnReset:
		return "connection_reset"
	case KindTLS:
		return "tls"
	case KindRobotsDisallowed:
		return "robots_disallowed"
	case KindRobotsUnavailable:
		return "robots_unavailable"
	case KindTooManyRedirects:
		return "too_many_redirects"
	case KindRedirectLoop:
		return "redirect_loop"
	case KindHostBudget:
		return "host_budget"
	case KindHTTP4xx:
		return "http_4xx"
	case KindHTTP5xx:
		return "http_5xx"
	case KindMissingField:
		return "missing_field"
	case KindBlocked:
		return "blocked"
	case KindPrivateAddress:
		return "private_address"
	case KindSitemap:
		return "sitemap"
	}
	return "other"
}

// ParseErrorKind returns the kind named s, as String writes it ("" is
// KindNone). ok is false for a name it does not know.
func ParseErrorKind(s string) (k ErrorKind, ok bool) {
	for k := range NumErrorKinds {
		if k.String() == s {
			return k, true
		}
	}
	return KindOther, false
}

// errTimeout marks the errors fetchError reports for timeouts.
var errTimeout = errors.New("timeout")

// classifyError returns the kind of a request error.
func classifyError(err error) ErrorKind {
	if err == nil {
		return KindNone
	}
	if isAddressError(err) {
		return KindPrivateAddress
	}
	if errors.Is(err, errRobotsUnavailable) {
		return KindRobotsUnavailable
	}
	if errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return KindTimeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return KindDNS
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindConnRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		isClosedByPeer(err):
		return KindConnReset
	case isTLSError(err):
		return KindTLS
	}
	return KindOther
}

// isClosedByPeer recognises net/http's errors for a connection the server
// closed before answering, which it does not export.
func isClosedByPeer(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "server closed idle connection") ||
		strings.Contains(msg, "transport connection broken")
}

func isTLSError(err error) bool {
	var (
		rh   tls.RecordHeaderError
		al   tls.AlertError
		cv   *tls.CertificateVerificationError
		ua   x509.UnknownAuthorityError
		hn   x509.HostnameError
		ci   x509.CertificateInvalidError
		ech  *tls.ECHRejectionError
		uAll x509.UnhandledCriticalExtension
	)
	return errors.As(err, &rh) || errors.As(err, &al) || errors.As(err, &cv) ||
		errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) ||
		errors.As(err, &ech) || errors.As(err, &uAll) ||
		strings.HasPrefix(err.Error(), "tls: ")
}

// statusKind returns the kind of a response status. 403 and 429 (and 999,
// which some sites answer crawlers with) are blocked, not http_4xx: they
// say the site refuses this client, not that the URL is broken, and link
// reports keep them apart to avoid false alarms.
func statusKind(status int) ErrorKind {
	switch {
	case status == http.StatusForbidden, status == http.StatusTooManyRequests, status == 999:
		return KindBlocked
	case status >= 500:
		return KindHTTP5xx
	case status >= 400:
		return KindHTTP4xx
	}
	return KindNone
}

// observeRecord tells the observer about a record written.
func (c *Crawler) observeRecord(rec *store.Record, kind ErrorKind) {
	if c.cfg.Observer != nil {
		c.cfg.Observer.ObserveRecord(rec, kind)
	}
}

// observeClients makes the page and robots.txt clients report every request
// to the observer, if there is one.
func (c *Crawler) observeClients() {
	obs := c.cfg.Observer
	if obs == nil {
		return
	}
	c.pages = &observedTransport{next: c.pages, obs: obs}
	c.robotsCl.Transport = &observedTransport{next: c.robotsCl.Transport, obs: obs, robots: true}
}

// observedTransport reports each request to an Observer once its body is
// closed.
type observedTransport struct {
	next   http.RoundTripper
	obs    Observer
	robots bool
}

func (t *observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			t.obs.ObserveRequest(RequestEvent{
				Host: req.URL.Host, Robots: t.robots, Kind: classifyError(err), Duration: time.Since(start),
			})
		}
		return resp, err
	}
	resp.Body = &observedBody{ReadCloser: resp.Body, t: t, host: req.URL.Host, status: resp.StatusCode, start: start}
	return resp, nil
}

// CloseIdleConnections passes the call on, as http.Client expects.
func (t *observedTransport) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// observedBody counts the bytes read from a response body and reports the
// request when it is closed. Like any response body it is used by one
// goroutine at a time.
type observedBody struct {
	io.ReadCloser
	t      *observedTransport
	host   string
	status int
	start  time.Time
	bytes  int64
	err    error // the first read error other than io.EOF
	closed bool
}

func (b *observedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.bytes += int64(n)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

func (b *observedBody) Close() error {
	err := b.ReadCloser.Close()
	if b.closed {
		return err
	}
	b.closed = true
	if b.err != nil && errors.Is(b.err, context.Canceled) {
		return err // abandoned at shutdown
	}
	k := statusKind(b.status)
	if b.err != nil {
		k = classifyError(b.err)
	}
	b.t.obs.ObserveRequest(RequestEvent{
		Host: b.host, Robots: b.t.robots, Status: b.status, Kind: k,
		Duration: time.Since(b.start), Bytes: b.bytes,
	})
	return err
}
