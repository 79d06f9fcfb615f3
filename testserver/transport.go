package testserver

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Transport is an http.RoundTripper that serves each request in memory with
// the handler of its URL's host ("host:port" as written in the URL), so a
// crawl runs without sockets, inside testing/synctest bubbles, on fake time.
//
// It behaves as a network would where crawlers notice: the body streams
// through a pipe as the handler writes it (drips drip, endless bodies never
// end, a large body is never held whole); the request's context reaches the
// handler; when that context ends, a body still being read fails with the
// context's error instead of ending cleanly; closing the body makes the
// handler's next Write fail. A host without a handler fails like a refused
// connection. Like net/http's server it sniffs a Content-Type when the
// handler sets none (a nil Content-Type sends none) and sends no body for
// HEAD.
//
// Like net/http's Transport, it asks for gzip when the request does not
// say which encodings it accepts, and then inflates a gzip body itself,
// removing Content-Encoding and Content-Length (Response.Uncompressed); a
// request that sets Accept-Encoding gets the body as sent.
//
// Each request runs its handler in a goroutine that ends when the handler
// returns.
type Transport map[string]http.Handler

// refusedError is the error of a request to a host without a handler.
type refusedError struct{ host string }

func (e *refusedError) Error() string   { return "dial " + e.host + ": connection refused" }
func (e *refusedError) Timeout() bool   { return false }
func (e *refusedError) Temporary() bool { return false }

// RoundTrip serves req with the handler of req.URL.Host.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	h, ok := t[req.URL.Host]
	if !ok {
		return nil, &refusedError{host: req.URL.Host}
	}
	ctx := req.Context()
	sreq := req.Clone(ctx)
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "192.0.2.1:1234"
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	inflate := req.Header.Get("Accept-Encoding") == "" && req.Method != http.MethodHead && req.Header.Get("Range") == ""
	if inflate {
		sreq.Header.Set("Accept-Encoding", "gzip")
	}
	pr, pw := io.Pipe()
	w := &memWriter{header: http.Header{}, pw: pw, ready: make(chan struct{}), head: req.Method == http.MethodHead}
	// A body still being read when the context ends fails with its error,
	// and the handler's next Write fails.
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	go func() {
		defer func() {
			w.writeHeader(http.StatusOK) // a handler that wrote nothing
			if err := ctx.Err(); err != nil {
				pw.CloseWithError(err)
			} else {
				pw.Close()
			}
		}()
		h.ServeHTTP(w, sreq)
	}()
	select {
	case <-w.ready:
	case <-ctx.Done():
		stop()
		pw.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
	resp := &http.Response{
		Status:        strconv.Itoa(w.code) + " " + http.StatusText(w.code),
		StatusCode:    w.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          &memBody{pr: pr, stop: stop},
		ContentLength: -1,
		Request:       req,
	}
	if inflate && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.Body = &gunzipBody{body: resp.Body}
		resp.Uncompressed = true
	}
	return resp, nil
}

// gunzipBody inflates a gzip body, reading its header at the first Read.
type gunzipBody struct {
	body io.ReadCloser
	zr   *gzip.Reader
	err  error
}

func (b *gunzipBody) Read(p []byte) (int, error) {
	if b.zr == nil && b.err == nil {
		b.zr, b.err = gzip.NewReader(b.body)
	}
	if b.err != nil {
		return 0, b.err
	}
	return b.zr.Read(p)
}

func (b *gunzipBody) Close() error { return b.body.Close() }

// memBody is a response body: closing it ends the handler's writes and
// the context watch.
type memBody struct {
	pr   *io.PipeReader
	stop func() bool
}

func (b *memBody) Read(p []byte) (int, error) { return b.pr.Read(p) }

func (b *memBody) Close() error {
	b.stop()
	return b.pr.Close()
}

// memWriter is the handler's side of a Transport response.
type memWriter struct {
	header http.Header // the handler's
	sent   http.Header // a copy taken when the status was sent: the client's
	pw     *io.PipeWriter
	head   bool
	once   sync.Once
	code   int
	ready  chan struct{}
}

func (w *memWriter) Header() http.Header { return w.header }

func (w *memWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		return // informational: not the response
	}
	w.writeHeader(code)
}

func (w *memWriter) writeHeader(code int) {
	w.once.Do(func() {
		w.code = code
		w.sent = w.header.Clone()
		close(w.ready)
	})
}

func (w *memWriter) Write(p []byte) (int, error) {
	if _, ok := w.header["Content-Type"]; !ok && len(p) > 0 {
		w.header.Set("Content-Type", http.DetectContentType(p))
	}
	w.writeHeader(http.StatusOK)
	if w.head {
		return len(p), nil
	}
	return w.pw.Write(p)
}

// Flush does nothing: every Write reaches the reader at once.
func (w *memWriter) Flush() {}
