package crawler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
		DialContext:            newGuardedDialer(cfg, dialer.DialContext).DialContext,
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

// fetch requests the result's URL and reads its body within Timeout into
// res: its Response, Truncated, and, when the body is saved, Saved and
// SHA256. HTML bodies of 2xx responses are kept (up to MaxBody bytes) in
// the Response, which belongs to res; a body saved by --save that is not
// HTML streams into its file, never whole in memory; a 2xx body that the
// --accept/--reject rules do not keep is not read at all; other bodies are
// counted and discarded. err is the URL's failure: when the body fails
// after the headers arrived, res keeps the response without a body. fatal
// is a failure to save, which ends the crawl. With a WARC output, the
// request's capture lands in slot when the body is closed. A link check
// is requested by its mode's method and keeps no body (check.go); a 2xx
// sitemap is read as it arrives (sitemap.go).
func (c *Crawler) fetch(ctx context.Context, res *Result, slot *captureSlot) (err, fatal error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if slot != nil {
		ctx = context.WithValue(ctx, captureKey{}, slot)
	}
	it := &res.lease.Item
	req, err := http.NewRequestWithContext(ctx, method(it), it.URL, nil)
	if err != nil {
		return fmt.Errorf("request: %w", err), nil
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	setAcceptEncoding(req.Header)
	if c.asksConditionally(it) {
		res.conditional = setConditional(req.Header, res.prior)
	}
	resp, err := c.pages.RoundTrip(req)
	if err != nil {
		return fetchError(err, c.cfg.Timeout), nil
	}
	defer resp.Body.Close()

	r := &Response{Status: resp.StatusCode, Header: resp.Header, MediaType: mediaType(resp.Header.Get("Content-Type"))}
	res.Response = r
	if isCheck(it) {
		body, err := decode(resp.Body, resp.Header.Get("Content-Encoding"))
		if err == nil {
			r.Bytes = readCheckBody(body)
		}
		return nil, nil
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && (it.Mode == modeSitemap || c.seedSitemap(it, r.MediaType, res.URL)) {
		body, err := decode(resp.Body, resp.Header.Get("Content-Encoding"))
		if err != nil {
			return fmt.Errorf("read body: %w", err), nil
		}
		return c.readSitemap(res, body), nil
	}
	if ok && !isHTML(r.MediaType) && c.keep.any() && !c.keep.keeps(r.MediaType, res.URL.Path) {
		return nil, nil // not wanted: the body is not read
	}
	body, err := decode(resp.Body, resp.Header.Get("Content-Encoding"))
	if err != nil {
		return fmt.Errorf("read body: %w", err), nil
	}
	limited := io.LimitReader(body, c.cfg.MaxBody)
	var file *saving
	switch {
	case ok && isHTML(r.MediaType):
		r.body = bufPool.Get().(*bytes.Buffer)
		r.Bytes, err = r.body.ReadFrom(limited)
		if err == nil {
			res.Fingerprint = fingerprintOf(r.body.Bytes())
		}
	case ok && c.save != nil:
		if file, fatal = c.startSave(res.URL, r.MediaType); fatal != nil {
			return nil, fatal
		}
		defer c.abortSave(file)
		r.Bytes, err = io.Copy(file, limited)
		if file.err != nil {
			return nil, file.err
		}
	case ok:
		h := sha256.New()
		if r.Bytes, err = io.Copy(h, limited); err == nil {
			res.Fingerprint = hex.EncodeToString(h.Sum(nil))
		}
	default:
		r.Bytes, err = io.Copy(io.Discard, limited)
	}
	if err == nil && r.Bytes == c.cfg.MaxBody {
		var one [1]byte
		n, _ := io.ReadFull(body, one[:]) // only whether there is more matters
		res.Truncated = n > 0
	}
	if err != nil {
		// The headers arrived: the result keeps the status.
		putBuf(r.body)
		r.body = nil
		return fmt.Errorf("read body: %w", fetchError(err, c.cfg.Timeout)), nil
	}
	if r.MediaType == "" && r.body != nil {
		// No Content-Type: sniff it as browsers do.
		r.MediaType = mediaType(http.DetectContentType(r.body.Bytes()))
		if !isHTML(r.MediaType) && c.keep.any() && !c.keep.keeps(r.MediaType, res.URL.Path) {
			putBuf(r.body)
			r.body = nil
			return nil, nil
		}
	}
	if r.body != nil && c.save != nil && c.keep.keeps(r.MediaType, res.URL.Path) {
		if file, fatal = c.startSave(res.URL, r.MediaType); fatal != nil {
			return nil, fatal
		}
		defer c.abortSave(file)
		if _, err := file.Write(r.body.Bytes()); err != nil {
			return nil, err
		}
	}
	if r.body != nil && !isHTML(r.MediaType) {
		putBuf(r.body)
		r.body = nil
	}
	if file != nil {
		if res.Saved, res.SHA256, fatal = file.commit(); fatal != nil {
			return nil, fatal
		}
		if res.Fingerprint == "" {
			res.Fingerprint = res.SHA256 // the bytes saved are the decoded body
		}
	}
	return nil, nil
}

// fingerprintOf is the hex SHA-256 of a decoded body.
func fingerprintOf(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
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
