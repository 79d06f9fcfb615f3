package warc

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"
)

// roundTripExchanges are the exchanges the round trip writes: a gzip
// Content-Encoding, a 404, a 301, a payload larger than gowarc's in-memory
// buffer from a file, an empty body, a truncated one with no IP.
func roundTripExchanges(t *testing.T) []Exchange {
	t.Helper()
	page := []byte(strings.Repeat("<p>hello, archive</p>\n", 500))
	gz := testExchange("http://example.test/gz", gzipped(t, page))
	gz.ResponseHeader = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n")

	notFound := testExchange("http://example.test/missing", []byte("not found\n"))
	notFound.ResponseHeader = []byte("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n")

	moved := testExchange("http://example.test/old?q=1", []byte("moved"))
	moved.ResponseHeader = []byte("HTTP/1.1 301 Moved Permanently\r\nLocation: http://example.test/new\r\nContent-Length: 5\r\n\r\n")
	moved.IP = "::1"

	f, err := os.CreateTemp(t.TempDir(), "payload")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	big := make([]byte, 3<<20+17)
	for i := range big {
		big[i] = byte(i*7 + i>>11)
	}
	if _, err := f.Write(big); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	large := testExchange("https://example.test/big.bin", nil)
	large.ResponseHeader = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
	large.Payload, large.PayloadSize = f, int64(len(big))

	empty := testExchange("http://example.test/empty", nil)
	empty.Payload = nil
	empty.ResponseHeader = []byte("HTTP/1.1 204 No Content\r\n\r\n")

	cut := testExchange("http://example.test/slow", []byte("partial bo"))
	cut.IP, cut.Truncated = "", "time"

	return []Exchange{gz, notFound, moved, large, empty, cut}
}

// payloadBytes reads what an exchange's Payload holds, then rewinds it.
func payloadBytes(t *testing.T, ex Exchange) []byte {
	t.Helper()
	if ex.Payload == nil {
		return nil
	}
	b, err := io.ReadAll(ex.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Payload.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return b
}

var uuidURN = regexp.MustCompile(`^<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>$`)

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"out.warc", "out.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			exs := roundTripExchanges(t)
			opts := Options{Software: "crawl/0.1", Command: []string{"crawl", "--warc", name, "--seed", "http://example.test/ x"}}
			w, path := mustOpen(t, name, opts)
			var positions []Position
			var payloads [][]byte
			for _, ex := range exs {
				payloads = append(payloads, payloadBytes(t, ex))
			}
			for _, ex := range exs {
				pos, err := w.WriteExchange(ex)
				if err != nil {
					t.Fatalf("WriteExchange(%s): %v", ex.TargetURI, err)
				}
				positions = append(positions, pos)
			}
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if cp := w.Checkpoint(); cp != (Checkpoint{File: 1, Offset: fi.Size()}) {
				t.Errorf("Checkpoint() = %+v, want file 1 offset %d", cp, fi.Size())
			}

			recs := readWARC(t, path)
			if len(recs) != 1+2*len(exs) {
				t.Fatalf("read %d records (%s), want %d", len(recs), types(recs), 1+2*len(exs))
			}
			info := recs[0]
			checkWarcinfo(t, info, filepath.Base(path), opts)
			for i, ex := range exs {
				resp, req := recs[1+2*i], recs[2+2*i]
				checkRecords(t, ex, payloads[i], resp, req, info.Header[gowarc.WarcRecordID])
				if want := (Position{File: filepath.Base(path), Offset: resp.Offset}); positions[i] != want {
					t.Errorf("%s: position %+v, want %+v", ex.TargetURI, positions[i], want)
				}
			}
		})
	}
}

func checkWarcinfo(t *testing.T, info readRecord, file string, opts Options) {
	t.Helper()
	if info.Type != "warcinfo" {
		t.Fatalf("first record is %s, want warcinfo", info.Type)
	}
	if got := info.Header[gowarc.WarcFilename]; got != file {
		t.Errorf("warcinfo WARC-Filename = %q, want %q", got, file)
	}
	if got := info.Header[gowarc.ContentType]; got != "application/warc-fields" {
		t.Errorf("warcinfo Content-Type = %q", got)
	}
	if !uuidURN.MatchString(info.Header[gowarc.WarcRecordID]) {
		t.Errorf("warcinfo WARC-Record-ID = %q", info.Header[gowarc.WarcRecordID])
	}
	for _, want := range []string{
		"software: " + opts.Software + "\r\n",
		"format: WARC File Format 1.1\r\n",
		"command: " + commandLine(opts.Command) + "\r\n",
	} {
		if !bytes.Contains(info.Block, []byte(want)) {
			t.Errorf("warcinfo block lacks %q:\n%s", want, info.Block)
		}
	}
	if got, want := info.Header[gowarc.WarcBlockDigest], sha1Base32(info.Block); got != want {
		t.Errorf("warcinfo WARC-Block-Digest = %q, want %q", got, want)
	}
}

func checkRecords(t *testing.T, ex Exchange, payload []byte, resp, req readRecord, infoID string) {
	t.Helper()
	block := append(append([]byte{}, ex.ResponseHeader...), payload...)
	want := map[string]string{
		gowarc.WarcType:          "response",
		gowarc.WarcDate:          ex.Date.UTC().Format(time.RFC3339Nano),
		gowarc.WarcTargetURI:     ex.TargetURI,
		gowarc.WarcWarcinfoID:    infoID,
		gowarc.ContentType:       "application/http;msgtype=response",
		gowarc.WarcBlockDigest:   sha1Base32(block),
		gowarc.WarcPayloadDigest: sha1Base32(payload),
	}
	if ex.IP != "" {
		want[gowarc.WarcIPAddress] = ex.IP
	}
	if ex.Truncated != "" {
		want[gowarc.WarcTruncated] = ex.Truncated
	}
	checkFields(t, ex.TargetURI+" response", resp, want, []string{gowarc.WarcIPAddress, gowarc.WarcTruncated, gowarc.WarcConcurrentTo})
	if !bytes.Equal(resp.Block, block) {
		t.Errorf("%s response block differs (%d bytes, want %d)", ex.TargetURI, len(resp.Block), len(block))
	}
	if !bytes.Equal(resp.Payload, payload) {
		t.Errorf("%s response payload differs (%d bytes, want %d)", ex.TargetURI, len(resp.Payload), len(payload))
	}

	want = map[string]string{
		gowarc.WarcType:         "request",
		gowarc.WarcDate:         ex.Date.UTC().Format(time.RFC3339Nano),
		gowarc.WarcTargetURI:    ex.TargetURI,
		gowarc.WarcWarcinfoID:   infoID,
		gowarc.WarcConcurrentTo: resp.Header[gowarc.WarcRecordID],
		gowarc.ContentType:      "application/http;msgtype=request",
		gowarc.WarcBlockDigest:  sha1Base32(ex.Request),
	}
	if ex.IP != "" {
		want[gowarc.WarcIPAddress] = ex.IP
	}
	checkFields(t, ex.TargetURI+" request", req, want, []string{gowarc.WarcIPAddress, gowarc.WarcTruncated})
	if !bytes.Equal(req.Block, ex.Request) {
		t.Errorf("%s request block = %q, want %q", ex.TargetURI, req.Block, ex.Request)
	}
	if resp.Header[gowarc.WarcRecordID] == req.Header[gowarc.WarcRecordID] {
		t.Errorf("%s: response and request share WARC-Record-ID", ex.TargetURI)
	}
}

// checkFields compares the fields of r with want; the fields named in
// absent must not be there unless want has them.
func checkFields(t *testing.T, what string, r readRecord, want map[string]string, absent []string) {
	t.Helper()
	if !uuidURN.MatchString(r.Header[gowarc.WarcRecordID]) {
		t.Errorf("%s: WARC-Record-ID = %q, want <urn:uuid:...>", what, r.Header[gowarc.WarcRecordID])
	}
	for name, v := range want {
		if got := r.Header[name]; got != v {
			t.Errorf("%s: %s = %q, want %q", what, name, got, v)
		}
	}
	for _, name := range absent {
		if _, ok := want[name]; !ok && r.Header[name] != "" {
			t.Errorf("%s: has %s %q, want none", what, name, r.Header[name])
		}
	}
}

func TestPositionSeek(t *testing.T) {
	for _, name := range []string{"seek.warc", "seek.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			w, path := mustOpen(t, name, Options{})
			var positions []Position
			for _, uri := range []string{"http://example.test/a", "http://example.test/b", "http://example.test/c"} {
				pos, err := w.WriteExchange(testExchange(uri, []byte("body of "+uri)))
				if err != nil {
					t.Fatal(err)
				}
				positions = append(positions, pos)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for i, pos := range positions {
				uri := []string{"http://example.test/a", "http://example.test/b", "http://example.test/c"}[i]
				f, err := os.Open(filepath.Join(filepath.Dir(path), pos.File))
				if err != nil {
					t.Fatal(err)
				}
				rd, err := gowarc.NewWarcFileReaderFromStream(f, pos.Offset, gowarc.WithStrictValidation())
				if err != nil {
					t.Fatal(err)
				}
				rec, err := rd.Next()
				if err != nil {
					t.Fatalf("record at %+v: %v", pos, err)
				}
				if rec.WarcRecord.Type() != gowarc.Response || rec.WarcRecord.WarcHeader().Get(gowarc.WarcTargetURI) != uri {
					t.Errorf("record at %+v: %s %s, want response %s", pos, rec.WarcRecord.Type(), rec.WarcRecord.WarcHeader().Get(gowarc.WarcTargetURI), uri)
				}
				rec.Close()
				rd.Close()
				if strings.HasSuffix(name, ".gz") {
					checkOneMember(t, path, pos.Offset, uri)
				}
			}
		})
	}
}

// checkOneMember reads the gzip member at offset alone: it must be the
// whole response record for uri and nothing else.
func checkOneMember(t *testing.T, path string, offset int64, uri string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("gzip member at %d: %v", offset, err)
	}
	zr.Multistream(false)
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip member at %d: %v", offset, err)
	}
	if !bytes.HasPrefix(b, []byte("WARC/1.1\r\nWARC-Type: response\r\n")) || !bytes.Contains(b, []byte("WARC-Target-URI: "+uri+"\r\n")) || !bytes.HasSuffix(b, []byte("\r\n\r\n")) || bytes.Count(b, []byte("WARC/1.1\r\n")) != 1 {
		t.Errorf("gzip member at %d is not one response record for %s:\n%.300q", offset, uri, b)
	}
}
