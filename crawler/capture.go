package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"time"
)

// capture is one request and its response as they went over the wire,
// for the WARC output: the request as sent, the status line and header as
// received, and the body as received (Content-Encoding not undone,
// transfer chunking removed by net/http).
type capture struct {
	date      time.Time
	target    string
	ip        string
	request   []byte
	header    []byte
	payload   *spool
	truncated string // a WARC-Truncated reason, or ""
	err       error  // why the payload could not be spooled
}

// release removes the capture's spooled payload.
func (c *capture) release() error { return c.payload.release() }

// captureKey is the context key of a captureSlot.
type captureKey struct{}

// captureSlot takes the capture of a page request: fetch puts one in the
// request's context. Requests without one (robots.txt and its redirects)
// are handed to the record writer on their own.
type captureSlot struct{ c *capture }

// captureTransport captures every request it makes for the WARC output.
type captureTransport struct {
	next     http.RoundTripper
	spoolDir string         // where payloads larger than spoolMem go
	emit     func(*capture) // takes captures of requests without a slot
}

func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cp := &capture{date: time.Now().UTC(), target: req.URL.String(), payload: &spool{dir: t.spoolDir}}
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if a, ok := info.Conn.RemoteAddr().(*net.TCPAddr); ok {
			cp.ip = a.IP.String()
		}
	}}
	resp, err := t.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		return resp, err
	}
	var b bytes.Buffer
	if err := req.Write(&b); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("capture request: %w", err)
	}
	cp.request = b.Bytes()
	cp.header = responseHeader(resp)
	slot, _ := req.Context().Value(captureKey{}).(*captureSlot)
	resp.Body = &captureBody{ReadCloser: resp.Body, cp: cp, deliver: func(cp *capture) {
		if slot != nil {
			slot.c = cp
		} else {
			t.emit(cp)
		}
	}}
	return resp, nil
}

// CloseIdleConnections passes the call on, as http.Client expects.
func (t *captureTransport) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// responseHeader renders a response's status line and header fields as
// net/http parsed them: canonical names in sorted order, without
// Transfer-Encoding, whose chunking net/http removed from the body.
func responseHeader(resp *http.Response) []byte {
	proto, status := resp.Proto, resp.Status
	if proto == "" {
		proto = "HTTP/1.1"
	}
	if status == "" {
		status = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s\r\n", proto, status)
	if err := resp.Header.WriteSubset(&b, map[string]bool{"Transfer-Encoding": true}); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// captureBody tees a response body into its capture and delivers the
// capture when closed.
type captureBody struct {
	io.ReadCloser
	cp      *capture
	deliver func(*capture)
	eof     bool
	err     error
	closed  bool
}

func (b *captureBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.err == nil {
		if _, werr := b.cp.payload.Write(p[:n]); werr != nil {
			b.err = werr
		}
	}
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil && b.cp.truncated == "":
		b.cp.truncated = "disconnect"
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			b.cp.truncated = "time"
		}
	}
	return n, err
}

func (b *captureBody) Close() error {
	err := b.ReadCloser.Close()
	if b.closed {
		return err
	}
	b.closed = true
	if b.err != nil {
		// The spool failed (its disk is full): the WARC output cannot
		// hold this response, and the crawl ends when it comes to write
		// it (writeCaptures).
		b.cp.err = b.err
	}
	if !b.eof && b.cp.truncated == "" {
		b.cp.truncated = "length" // the crawler stopped reading: MaxBody, or not wanted
	}
	b.deliver(b.cp)
	return err
}

// spoolMem is how much of a payload a spool keeps in memory before it
// moves to a file.
const spoolMem = 256 << 10

// spool holds a captured payload: in memory up to spoolMem bytes, then in
// a temporary file in dir (the WARC output's directory). The file is
// unlinked as soon as it is made, so a process killed at any moment
// leaves none behind; where the system cannot remove an open file, it
// keeps its name until release.
type spool struct {
	dir  string
	buf  bytes.Buffer
	f    *os.File
	name string // of f while it is still linked
	n    int64
}

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && s.buf.Len()+len(p) > spoolMem {
		f, err := os.CreateTemp(s.dir, ".crawl-spool-*")
		if err != nil {
			return 0, err
		}
		s.f = f
		if os.Remove(f.Name()) != nil {
			s.name = f.Name()
		}
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			return 0, err
		}
		s.buf = bytes.Buffer{}
	}
	var n int
	var err error
	if s.f != nil {
		n, err = s.f.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.n += int64(n)
	return n, err
}

// reader returns the payload from its start, and its size.
func (s *spool) reader() (io.ReadSeeker, int64, error) {
	if s.f == nil {
		return bytes.NewReader(s.buf.Bytes()), s.n, nil
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return s.f, s.n, nil
}

// release closes the spool's file, if any, and removes it if it still
// has a name.
func (s *spool) release() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if s.name != "" {
		err = errors.Join(err, os.Remove(s.name))
	}
	s.f, s.name = nil, ""
	return err
}
