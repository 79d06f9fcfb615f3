package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// newTransport returns an HTTP transport tuned for crawling: keep-alive
// connections for every fetch a host may have in flight, HTTP/2 where the
// server offers it, bounded dials, TLS handshakes and response headers.
// The crawler asks for compression and decodes bodies itself (decode.go).
func newTransport(cfg Config) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           cfg.Concurrency * 2,
		MaxIdleConnsPerHost:    cfg.PerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
}

// newRobotsClient returns the client for robots.txt, which follows a few
// redirects (RFC 9309). Pages are fetched with the RoundTripper itself: the
// crawl never follows their redirects inside a request (it queues the
// targets), and http.Client would fail on a Location it cannot parse before
// the crawler could record the redirect.
func newRobotsClient(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > robotsMaxRedirects {
				return errTooManyRobotsRedirects
			}
			return nil
		},
	}
}

// fetch requests u and reads its body within timeout. HTML bodies are kept
// (up to maxBody bytes); others are counted and discarded. The body belongs
// to the Result the response goes into, which releases it. truncated says
// the body was cut at maxBody. When the body fails after the headers
// arrived, fetch returns the response (without a body) and the error.
func fetch(ctx context.Context, rt http.RoundTripper, u, userAgent string, timeout time.Duration, maxBody int64) (res *Response, truncated bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	setAcceptEncoding(req.Header)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, false, fetchError(err, timeout)
	}
	defer resp.Body.Close()

	res = &Response{Status: resp.StatusCode, Header: resp.Header, MediaType: mediaType(resp.Header.Get("Content-Type"))}
	body, err := decode(resp.Body, resp.Header.Get("Content-Encoding"))
	if err != nil {
		return res, false, fmt.Errorf("read body: %w", err)
	}
	limited := io.LimitReader(body, maxBody+1)
	if isHTML(res.MediaType) && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		res.body = bufPool.Get().(*bytes.Buffer)
		res.Bytes, err = res.body.ReadFrom(limited)
	} else {
		res.Bytes, err = io.Copy(io.Discard, limited)
	}
	if res.Bytes > maxBody {
		res.Bytes = maxBody
		truncated = true
		if res.body != nil {
			res.body.Truncate(int(maxBody))
		}
	}
	if err != nil {
		// The headers arrived: the caller keeps the status.
		putBuf(res.body)
		res.body = nil
		return res, truncated, fmt.Errorf("read body: %w", fetchError(err, timeout))
	}
	if res.MediaType == "" && res.body != nil {
		// No Content-Type: sniff it as browsers do.
		res.MediaType = mediaType(http.DetectContentType(res.body.Bytes()))
		if !isHTML(res.MediaType) {
			putBuf(res.body)
			res.body = nil
		}
	}
	return res, truncated, nil
}

// fetchError turns a client error into the short message a record carries.
func fetchError(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return fmt.Errorf("%w after %s", errTimeout, timeout)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// mediaType returns the lower-case media type of a Content-Type header.
func mediaType(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

// isHTML reports whether a media type is parsed for links. An empty type is
// kept as a candidate until the body has been sniffed.
func isHTML(mediaType string) bool {
	return mediaType == "text/html" || mediaType == "application/xhtml+xml" || mediaType == ""
}

// transientStatus reports whether a status is worth retrying.
func transientStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// isRedirect reports whether a status carries a Location to follow.
func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// backoff returns the wait before retry number n (1-based): base doubled
// n-1 times, capped at limit, with jitter drawn from its upper half.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + rand.N(half+1)
}

// retryAfter parses a Retry-After header (delay-seconds or HTTP-date)
// relative to now, capped at limit. ok is false when it is absent or
// unreadable.
func retryAfter(h http.Header, now time.Time, limit time.Duration) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(limit/time.Second) {
			return limit, true
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), limit), true
}
