package warc

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base32"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"
)

// readRecord is a record as gowarc's strict reader gave it back.
type readRecord struct {
	Type    string
	Header  map[string]string // first value of each field
	Offset  int64
	Block   []byte
	Payload []byte // for application/http records
}

// readWARC reads every record of the file at path with gowarc's strict
// reader (digests verified) and fails the test on any finding.
func readWARC(t testing.TB, path string) []readRecord {
	t.Helper()
	rd, err := gowarc.NewWarcFileReader(path, 0, gowarc.WithStrictValidation())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer rd.Close()
	var recs []readRecord
	for r, err := range rd.Records() {
		if err != nil {
			t.Fatalf("%s: record %d: %v", path, len(recs), err)
		}
		if len(r.Validation) > 0 {
			t.Fatalf("%s: record %d: findings %v", path, len(recs), r.Validation)
		}
		recs = append(recs, toReadRecord(t, r))
		r.Close()
	}
	return recs
}

func toReadRecord(t testing.TB, r gowarc.Record) readRecord {
	t.Helper()
	wr := r.WarcRecord
	rr := readRecord{Type: wr.Type().String(), Header: map[string]string{}, Offset: r.Offset}
	for _, name := range []string{
		gowarc.WarcType, gowarc.WarcRecordID, gowarc.WarcDate, gowarc.WarcTargetURI,
		gowarc.WarcIPAddress, gowarc.WarcConcurrentTo, gowarc.WarcWarcinfoID, gowarc.WarcBlockDigest,
		gowarc.WarcPayloadDigest, gowarc.WarcTruncated, gowarc.ContentType, gowarc.ContentLength,
		gowarc.WarcFilename, gowarc.WarcProfile, gowarc.WarcRefersToTargetURI, gowarc.WarcRefersToDate,
	} {
		if wr.WarcHeader().Has(name) {
			rr.Header[name] = wr.WarcHeader().Get(name)
		}
	}
	raw, err := wr.Block().RawBytes()
	if err != nil {
		t.Fatalf("block: %v", err)
	}
	if rr.Block, err = io.ReadAll(raw); err != nil {
		t.Fatalf("block: %v", err)
	}
	if pb, ok := wr.Block().(gowarc.PayloadBlock); ok {
		p, err := pb.PayloadBytes()
		if err != nil {
			t.Fatalf("payload: %v", err)
		}
		if rr.Payload, err = io.ReadAll(p); err != nil {
			t.Fatalf("payload: %v", err)
		}
	}
	return rr
}

// sha1Base32 is the test's own digest: "sha1:" and base32 of the sum.
func sha1Base32(b []byte) string {
	sum := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

var testDate = time.Date(2026, 12, 24, 10, 11, 12, 345678000, time.UTC)

// testExchange is an exchange for uri with a 200 response of body.
func testExchange(uri string, body []byte) Exchange {
	return Exchange{
		TargetURI:      uri,
		Date:           testDate,
		IP:             "127.0.0.1",
		Request:        []byte("GET " + uri + " HTTP/1.1\r\nHost: example.test\r\nUser-Agent: crawl-test\r\n\r\n"),
		ResponseHeader: []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n", len(body))),
		Payload:        bytes.NewReader(body),
		PayloadSize:    int64(len(body)),
	}
}

// gzipped compresses b, as a server sending Content-Encoding: gzip would.
func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// listFiles returns the base names of the files in dir, sorted.
func listFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// mustOpen opens an output in a temporary directory, closed at cleanup.
func mustOpen(t testing.TB, name string, opts Options) (*Writer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	w, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { w.Close() })
	return w, path
}

// types lists the WARC-Type of each record.
func types(recs []readRecord) string {
	var s []string
	for _, r := range recs {
		s = append(s, r.Type)
	}
	return strings.Join(s, ",")
}
