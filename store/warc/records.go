package warc

import (
	"bytes"
	"crypto/sha1"
	"encoding/base32"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nlnwa/gowarc/v3"
)

// The Content-Type values of the records written.
const (
	typeWarcFields   = "application/warc-fields"
	typeHTTPRequest  = "application/http;msgtype=request"
	typeHTTPResponse = "application/http;msgtype=response"
)

// recordOptions are gowarc's options for the records we build with its
// builder: WARC/1.1, strict validation of what we build, sha1 digests in
// base32 added by the builder.
var recordOptions = []gowarc.WarcRecordOption{
	gowarc.WithVersion(gowarc.V1_1),
	gowarc.WithStrictValidation(),
	gowarc.WithDefaultDigestAlgorithm("sha1"),
	gowarc.WithDefaultDigestEncoding(gowarc.Base32),
	gowarc.WithAddMissingDigest(true),
}

// member runs fn on the output: inside a gzip member of its own for
// .warc.gz, straight into the buffer for .warc. It returns the offset of
// the record's start in the file.
func (w *Writer) member(fn func(io.Writer) error) (int64, error) {
	start := w.out.n + int64(w.bw.Buffered())
	if w.gz == nil {
		return start, fn(w.bw)
	}
	w.gz.Reset(w.bw)
	if err := fn(w.gz); err != nil {
		return start, err
	}
	return start, w.gz.Close()
}

// marshal writes a record built by gowarc's builder and closes it.
func (w *Writer) marshal(rec gowarc.WarcRecord) (int64, error) {
	return w.member(func(out io.Writer) error {
		_, _, err := gowarc.NewMarshaler().Marshal(out, rec, 0)
		return err
	})
}

// build finishes a record of gowarc's builder, turning its validation
// findings into an error: what we write must pass a strict reader.
func build(rb gowarc.WarcRecordBuilder) (gowarc.WarcRecord, error) {
	rec, findings, err := rb.Build()
	if err == nil && len(findings) > 0 {
		err = errors.Join(findings...)
		_ = rec.Close()
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// writeWarcinfo writes the warcinfo record that starts every file and
// returns its WARC-Record-ID.
func (w *Writer) writeWarcinfo() (string, error) {
	rb := gowarc.NewRecordBuilder(gowarc.Warcinfo, recordOptions...)
	rb.AddWarcHeaderTime(gowarc.WarcDate, time.Now())
	rb.AddWarcHeader(gowarc.WarcFilename, w.name)
	rb.AddWarcHeader(gowarc.ContentType, typeWarcFields)
	var b strings.Builder
	field := func(name, value string) {
		if value != "" {
			b.WriteString(name + ": " + fieldValue(value) + "\r\n")
		}
	}
	field("software", w.opts.Software)
	field("format", "WARC File Format 1.1")
	field("conformsTo", "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/")
	field("hostname", w.hostname)
	field("command", commandLine(w.opts.Command))
	if _, err := rb.WriteString(b.String()); err != nil {
		return "", errors.Join(err, rb.Close())
	}
	rec, err := build(rb)
	if err != nil {
		return "", fmt.Errorf("warcinfo: %w", err)
	}
	defer rec.Close()
	if _, err := w.marshal(rec); err != nil {
		return "", err
	}
	return rec.RecordId(), nil
}

// fieldValue makes s fit on one warc-fields line: control characters
// become spaces.
func fieldValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// commandLine joins args with spaces, quoting (Go syntax) those that would
// not read back as one word.
func commandLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'\\") || strconv.Quote(a) != `"`+a+`"` {
			a = strconv.Quote(a)
		}
		quoted[i] = a
	}
	return strings.Join(quoted, " ")
}

// sha1Digest formats a sha1 hash as WARC digests are written here:
// "sha1:" and the base32 of the sum.
func sha1Digest(h hash.Hash) string {
	return "sha1:" + base32.StdEncoding.EncodeToString(h.Sum(nil))
}

// newRecordID returns a fresh "urn:uuid:..." (version 4).
func newRecordID() (string, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return "", err
	}
	return id.URN(), nil
}

// response is a response (or request) record ready to be written: its
// WARC header (without WARC-Warcinfo-ID, which depends on the file) and
// its block, the HTTP header and then the payload, read from payloadStart
// (a request has no payload).
type response struct {
	id           string
	fields       gowarc.WarcFields
	header       []byte
	payload      io.ReadSeeker
	payloadStart int64
	payloadSize  int64
}

// newResponse hashes the block (header and payload) in one pass over the
// payload and builds the record's WARC header: a response record, or a
// revisit record whose block is the header alone (see Revisit).
func newResponse(ex *Exchange, scratch []byte) (*response, error) {
	id, err := newRecordID()
	if err != nil {
		return nil, err
	}
	rv := ex.Revisit
	r := &response{id: id, header: ex.ResponseHeader, payload: ex.Payload, payloadSize: ex.PayloadSize}
	block, payload := sha1.New(), sha1.New()
	block.Write(ex.ResponseHeader)
	hashed := io.MultiWriter(block, payload)
	if rv != nil {
		// The block is the header alone: the payload is hashed for its
		// digest (identical-payload-digest) or not read at all.
		r.payload, r.payloadSize, hashed = nil, 0, payload
	}
	if ex.Payload != nil && (rv == nil || rv.Profile == ProfileIdenticalPayloadDigest) {
		if r.payloadStart, err = ex.Payload.Seek(0, io.SeekCurrent); err != nil {
			return nil, &payloadError{err}
		}
		n, err := io.CopyBuffer(hashed, onlyReader{ex.Payload}, scratch)
		if err != nil {
			return nil, &payloadError{err}
		}
		if n != ex.PayloadSize {
			return nil, fmt.Errorf("payload has %d bytes, PayloadSize says %d", n, ex.PayloadSize)
		}
	}
	f := &r.fields
	if rv == nil {
		f.Add(gowarc.WarcType, gowarc.Response.String())
	} else {
		f.Add(gowarc.WarcType, gowarc.Revisit.String())
	}
	f.AddId(gowarc.WarcRecordID, id)
	f.AddTimeNano(gowarc.WarcDate, ex.Date)
	f.Add(gowarc.WarcTargetURI, ex.TargetURI)
	if ex.IP != "" {
		f.Add(gowarc.WarcIPAddress, ex.IP)
	}
	if rv != nil {
		f.Add(gowarc.WarcProfile, rv.Profile)
		f.Add(gowarc.WarcRefersToTargetURI, rv.RefersToTargetURI)
		f.AddTimeNano(gowarc.WarcRefersToDate, rv.RefersToDate)
	}
	f.Add(gowarc.WarcBlockDigest, sha1Digest(block))
	if rv == nil || rv.Profile == ProfileIdenticalPayloadDigest {
		f.Add(gowarc.WarcPayloadDigest, sha1Digest(payload))
	}
	if ex.Truncated != "" {
		f.Add(gowarc.WarcTruncated, ex.Truncated)
	}
	f.Add(gowarc.ContentType, typeHTTPResponse)
	f.AddInt64(gowarc.ContentLength, int64(len(ex.ResponseHeader))+r.payloadSize)
	return r, nil
}

// write writes the record: the version line, the WARC header fields (by
// gowarc.WarcFields), a blank line, the block streamed from the payload,
// and the two CRLFs that end a record. Request and response records are
// not marshalled by gowarc, whose builder would first copy the block into
// a buffer of its own (memory, then a temporary file) and whose marshaler
// allocates 32 KiB per record: that cost more than the crawl itself.
func (r *response) write(out io.Writer, warcinfoID string, scratch []byte) error {
	var head bytes.Buffer
	head.WriteString(gowarc.V1_1.String() + "\r\n")
	if _, err := r.fields.Write(&head); err != nil {
		return err
	}
	head.WriteString(gowarc.WarcWarcinfoID + ": <" + warcinfoID + ">\r\n\r\n")
	head.Write(r.header)
	if _, err := out.Write(head.Bytes()); err != nil {
		return err
	}
	if r.payloadSize > 0 {
		if _, err := r.payload.Seek(r.payloadStart, io.SeekStart); err != nil {
			return &payloadError{err}
		}
		n, err := io.CopyBuffer(onlyWriter{out}, &payloadReader{io.LimitReader(r.payload, r.payloadSize)}, scratch)
		if err != nil {
			return err
		}
		if n != r.payloadSize { // shorter now than when it was hashed
			return &payloadError{io.ErrUnexpectedEOF}
		}
	}
	_, err := io.WriteString(out, "\r\n\r\n")
	return err
}

// newRequest builds the request record: its block is the request as sent,
// whose header checkExchange has checked.
func newRequest(ex *Exchange, concurrentTo string) (*response, error) {
	id, err := newRecordID()
	if err != nil {
		return nil, err
	}
	r := &response{id: id, header: ex.Request}
	block := sha1.Sum(ex.Request)
	f := &r.fields
	f.Add(gowarc.WarcType, gowarc.Request.String())
	f.AddId(gowarc.WarcRecordID, id)
	f.AddTimeNano(gowarc.WarcDate, ex.Date)
	f.Add(gowarc.WarcTargetURI, ex.TargetURI)
	if ex.IP != "" {
		f.Add(gowarc.WarcIPAddress, ex.IP)
	}
	f.AddId(gowarc.WarcConcurrentTo, concurrentTo)
	f.Add(gowarc.WarcBlockDigest, "sha1:"+base32.StdEncoding.EncodeToString(block[:]))
	f.Add(gowarc.ContentType, typeHTTPRequest)
	f.AddInt64(gowarc.ContentLength, int64(len(ex.Request)))
	return r, nil
}

// payloadError marks an error of reading the exchange's Payload, as
// opposed to writing the file: it is not sticky.
type payloadError struct{ err error }

func (e *payloadError) Error() string { return "read payload: " + e.err.Error() }
func (e *payloadError) Unwrap() error { return e.err }

// payloadReader wraps the payload's read errors as payloadErrors.
type payloadReader struct{ r io.Reader }

func (p *payloadReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF {
		err = &payloadError{err}
	}
	return n, err
}

// onlyReader and onlyWriter hide WriterTo and ReaderFrom, so io.CopyBuffer
// uses the bounded scratch buffer rather than whatever a type brings.
type onlyReader struct{ io.Reader }
type onlyWriter struct{ io.Writer }
