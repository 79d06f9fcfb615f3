package warc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	whatwg "github.com/nlnwa/whatwg-url/url"
)

// Exchange is one HTTP request and its response as captured.
type Exchange struct {
	// TargetURI is the URI requested: absolute, a URL the WHATWG parser
	// takes, no control characters or spaces.
	TargetURI string
	// Date is when the request was sent; it must be set (years 1-9999).
	Date time.Time
	// IP is the remote IP address, "" if unknown.
	IP string
	// Request is the request as sent: request line, header lines, the
	// blank line, and the body if any.
	Request []byte
	// ResponseHeader is the status line and header lines as received,
	// ending with the blank line (CRLF CRLF).
	ResponseHeader []byte
	// Payload is the response body as received: Content-Encoding not
	// undone, transfer chunking removed. It is read from its current
	// position twice (to hash, then to write; a third time when the
	// exchange moves to a new file) and must give the same bytes each
	// time. It may be nil when PayloadSize is 0.
	Payload io.ReadSeeker
	// PayloadSize is the number of bytes of Payload.
	PayloadSize int64
	// Truncated is "" or the WARC-Truncated reason: "length", "time",
	// "disconnect" or "unspecified".
	Truncated string
	// Revisit, when set, makes the response a revisit record of an
	// earlier capture, its payload left out (see Revisit); nil writes a
	// response record.
	Revisit *Revisit
}

// Position locates a record: File is the base name of its file, as
// written, and Offset the byte offset of the record's start (of its gzip
// member for .warc.gz), where a reader can seek to read it.
type Position struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
}

// ErrInvalidExchange is returned by WriteExchange, wrapped, for an
// exchange that would not make a valid WARC record; nothing was written and
// the Writer is still usable.
var ErrInvalidExchange = errors.New("invalid exchange")

// WriteExchange writes a response record (a revisit record when
// ex.Revisit is set) and then a request record for ex, linked by
// WARC-Concurrent-To, and returns the position of the response.
// When MaxSize is set and the exchange makes the file exceed it, the
// exchange is cut off again and written at the start of a new file (after
// its warcinfo): rotation happens between exchanges, never inside one.
//
// An exchange that cannot be written as valid WARC (see Exchange) is an
// error that writes nothing, as is an error reading Payload. An error of
// writing the file is sticky: every later call returns it. When
// WriteExchange returns, its records have been handed to the operating
// system (not fsynced: see Sync) and Checkpoint is after them.
func (w *Writer) WriteExchange(ex Exchange) (Position, error) {
	if err := w.usable(); err != nil {
		return Position{}, err
	}
	if err := checkExchange(&ex); err != nil {
		return Position{}, fmt.Errorf("warc exchange %q: %w: %w", ex.TargetURI, ErrInvalidExchange, err)
	}
	resp, err := newResponse(&ex, w.scratch)
	if err != nil {
		return Position{}, fmt.Errorf("warc exchange %s: %w: %w", ex.TargetURI, ErrInvalidExchange, err)
	}
	req, err := newRequest(&ex, resp.id)
	if err != nil {
		return Position{}, fmt.Errorf("warc exchange %s: %w: request record: %w", ex.TargetURI, ErrInvalidExchange, err)
	}

	start := w.out.n
	pos, err := w.writeExchange(resp, req)
	if err == nil && w.opts.MaxSize > 0 && w.out.n > w.opts.MaxSize && start > w.infoEnd {
		// It does not fit: move it to a file of its own making.
		if err = w.cutBack(start); err == nil {
			if err = w.rotate(); err == nil {
				pos, err = w.writeExchange(resp, req)
			}
		}
	}
	if err != nil {
		var pe *payloadError
		if errors.As(err, &pe) && w.cutBack(w.done.Offset) == nil {
			return Position{}, fmt.Errorf("warc exchange %s: %w", ex.TargetURI, err)
		}
		return Position{}, w.fail(err)
	}
	w.done = Checkpoint{File: w.num, Offset: w.out.n}
	return pos, nil
}

// writeExchange writes the two records into the current file and flushes.
func (w *Writer) writeExchange(resp, req *response) (Position, error) {
	off, err := w.member(func(out io.Writer) error { return resp.write(out, w.infoID, w.scratch) })
	if err != nil {
		return Position{}, err
	}
	if _, err := w.member(func(out io.Writer) error { return req.write(out, w.infoID, w.scratch) }); err != nil {
		return Position{}, err
	}
	if err := w.bw.Flush(); err != nil {
		return Position{}, err
	}
	return Position{File: w.name, Offset: off}, nil
}

// checkExchange rejects what would not make valid WARC, or would not read
// back as written. gowarc's builder checks the request record again.
func checkExchange(ex *Exchange) error {
	if ex.TargetURI == "" {
		return errors.New("no TargetURI")
	}
	if err := checkURI(ex.TargetURI); err != nil {
		return fmt.Errorf("TargetURI %w", err)
	}
	if y := ex.Date.Year(); ex.Date.IsZero() || y < 1 || y > 9999 {
		return fmt.Errorf("bad Date %v", ex.Date)
	}
	if ex.IP != "" {
		if _, err := netip.ParseAddr(ex.IP); err != nil {
			return fmt.Errorf("bad IP: %w", err)
		}
	}
	switch ex.Truncated {
	case "", "length", "time", "disconnect", "unspecified":
	default:
		return fmt.Errorf("bad Truncated %q: want length, time, disconnect or unspecified", ex.Truncated)
	}
	if ex.PayloadSize < 0 || (ex.PayloadSize > 0 && ex.Payload == nil) {
		return fmt.Errorf("PayloadSize %d with no Payload", ex.PayloadSize)
	}
	if err := checkHeader(ex.ResponseHeader, "HTTP/"); err != nil {
		return fmt.Errorf("ResponseHeader: %w", err)
	}
	if ex.Revisit != nil {
		if err := checkRevisit(ex); err != nil {
			return err
		}
	}
	if err := checkHeader(ex.Request, ""); err != nil || bytes.Count(ex.Request[:bytes.Index(ex.Request, []byte("\r\n"))], []byte(" ")) != 2 {
		return fmt.Errorf("Request: not a request line and header ending in CRLF CRLF")
	}
	return nil
}

// checkURI checks a URI to be written in a WARC header field. Its
// errors read after the field's name.
func checkURI(uri string) error {
	if uri == "" {
		return errors.New("is empty")
	}
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' {
			return fmt.Errorf("has byte %#x: percent-encode it", c)
		}
	}
	// gowarc checks WARC-Target-URI with this parser when it reads a
	// record strictly, and a reader would not take the record back.
	if _, err := whatwg.Parse(uri); err != nil {
		return fmt.Errorf("is not a URL: %w", err)
	}
	return nil
}

// checkHeader checks that an HTTP header block starts with prefix and ends
// with its first empty line, CRLF CRLF, the way WARC readers find the end
// of an HTTP header (gowarc ends it at the first line shorter than 3 bytes
// with its LF): otherwise a reader would split header and payload
// elsewhere and find the payload digest wrong.
func checkHeader(h []byte, prefix string) error {
	if !bytes.HasPrefix(h, []byte(prefix)) {
		return fmt.Errorf("does not start with %q", prefix)
	}
	if !bytes.HasSuffix(h, []byte("\r\n\r\n")) {
		return errors.New("does not end with CRLF CRLF")
	}
	lines := bytes.SplitAfter(h[:len(h)-2], []byte("\n"))
	for _, line := range lines[:len(lines)-1] {
		if len(line) < 3 || !bytes.HasSuffix(line, []byte("\r\n")) || bytes.IndexByte(line[:len(line)-2], '\r') >= 0 || bytes.IndexByte(line, 0) >= 0 {
			return fmt.Errorf("bad header line %q", line)
		}
	}
	return nil
}
