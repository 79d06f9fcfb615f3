package warc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzWriteExchange: whatever the exchange, WriteExchange does not panic;
// it writes records gowarc's strict reader accepts, with the payload as
// given, or returns an error having written nothing and stays usable.
func FuzzWriteExchange(f *testing.F) {
	ex := testExchange("http://example.test/a?b=c", []byte("hello"))
	f.Add(ex.TargetURI, ex.Request, ex.ResponseHeader, []byte("hello"), "", "127.0.0.1", false)
	f.Add("https://example.test/", []byte("GET / HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 204 No Content\r\n\r\n"), []byte{}, "length", "::1", true)
	f.Add("http://x/\r\nWARC-Type: evil", ex.Request, []byte("HTTP/1.1 200 OK\r\nX: y\n\r\n"), []byte("\r\n\r\nWARC/1.1\r\n"), "time", "", false)
	f.Add("h\xfftps://example.test/", ex.Request, ex.ResponseHeader, []byte("x"), "", "", true)
	f.Add("http://a^b/", ex.Request, ex.ResponseHeader, []byte("x"), "", "", false)
	f.Add("urn:x", []byte("GET"), []byte("HTTP/1.1 200\r\na\n\r\n"), []byte{0}, "bogus", "1.2.3", true)
	f.Fuzz(func(t *testing.T, uri string, req, header, payload []byte, truncated, ip string, gz bool) {
		name := "f.warc"
		if gz {
			name += ".gz"
		}
		w, path := mustOpen(t, name, Options{Software: "crawl/fuzz"})
		ex := Exchange{
			TargetURI: uri, Date: testDate, IP: ip, Request: req, ResponseHeader: header,
			Payload: bytes.NewReader(payload), PayloadSize: int64(len(payload)), Truncated: truncated,
		}
		_, err := w.WriteExchange(ex)
		if err != nil && w.err != nil {
			t.Fatalf("invalid exchange made the writer fail: %v", w.err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		recs := readWARC(t, path)
		if err != nil {
			if len(recs) != 1 {
				t.Fatalf("WriteExchange failed (%v) but wrote records: %s", err, types(recs))
			}
			return
		}
		if len(recs) != 3 || recs[1].Type != "response" || recs[2].Type != "request" {
			t.Fatalf("records %s, want warcinfo,response,request", types(recs))
		}
		if !bytes.Equal(recs[1].Payload, payload) || !bytes.Equal(recs[2].Block, req) {
			t.Fatalf("payload or request block differs")
		}
		if recs[1].Header["WARC-Target-URI"] != uri {
			t.Fatalf("WARC-Target-URI = %q, want %q", recs[1].Header["WARC-Target-URI"], uri)
		}
	})
}

// FuzzResume: Resume reads the start of a file it is given; whatever the
// bytes, it returns a Writer or an error and does not panic.
func FuzzResume(f *testing.F) {
	for _, name := range []string{"s.warc", "s.warc.gz"} {
		path := filepath.Join(f.TempDir(), name)
		w, err := Open(path, Options{})
		if err != nil {
			f.Fatal(err)
		}
		if _, err := w.WriteExchange(testExchange("http://example.test/", []byte("x"))); err != nil {
			f.Fatal(err)
		}
		w.Close()
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, strings.HasSuffix(name, ".gz"))
		f.Add(b[:len(b)/2], strings.HasSuffix(name, ".gz"))
	}
	f.Add([]byte("WARC/1.1\r\nWARC-Type: warcinfo\r\nContent-Length: 99999999999\r\n\r\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, gz bool) {
		name := "r.warc"
		if gz {
			name += ".gz"
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := Resume(path, Options{}, Checkpoint{File: 1, Offset: int64(len(data))})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if _, err := w.WriteExchange(testExchange("http://example.test/", []byte("x"))); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBadExchange(t *testing.T) {
	good := func() Exchange { return testExchange("http://example.test/", []byte("body")) }
	tests := []struct {
		name string
		edit func(*Exchange)
		want string
	}{
		{"no uri", func(e *Exchange) { e.TargetURI = "" }, "no TargetURI"},
		{"uri with CRLF", func(e *Exchange) { e.TargetURI = "http://x/\r\nWARC-Type: x" }, "percent-encode"},
		{"uri with space", func(e *Exchange) { e.TargetURI = "http://x/a b" }, "percent-encode"},
		{"no date", func(e *Exchange) { e.Date = time.Time{} }, "bad Date"},
		{"bad ip", func(e *Exchange) { e.IP = "localhost" }, "bad IP"},
		{"bad truncated", func(e *Exchange) { e.Truncated = "yes" }, "bad Truncated"},
		{"size without payload", func(e *Exchange) { e.Payload = nil }, "no Payload"},
		{"size mismatch", func(e *Exchange) { e.PayloadSize++ }, "PayloadSize says"},
		{"header without blank line", func(e *Exchange) { e.ResponseHeader = []byte("HTTP/1.1 200 OK\r\n") }, "CRLF CRLF"},
		{"header with bare LF", func(e *Exchange) { e.ResponseHeader = []byte("HTTP/1.1 200 OK\nA: b\r\n\r\n") }, "bad header line"},
		{"header not HTTP", func(e *Exchange) { e.ResponseHeader = []byte("ICY 200 OK\r\n\r\n") }, "does not start"},
		{"request not HTTP", func(e *Exchange) { e.Request = []byte("GET") }, "Request: not a request line"},
		{"request line without version", func(e *Exchange) { e.Request = []byte("GET /\r\nHost: x\r\n\r\n") }, "Request: not a request line"},
	}
	w, path := mustOpen(t, "bad.warc", Options{})
	for _, tt := range tests {
		ex := good()
		tt.edit(&ex)
		if _, err := w.WriteExchange(ex); err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: WriteExchange = %v, want one line with %q", tt.name, err, tt.want)
		}
	}
	if _, err := w.WriteExchange(good()); err != nil {
		t.Fatalf("good exchange after bad ones: %v", err)
	}
	w.Close()
	if recs := readWARC(t, path); types(recs) != "warcinfo,response,request" {
		t.Errorf("records %s, want only the good exchange's", types(recs))
	}
}

// failingReader fails after its first read: a payload that breaks while
// it is written.
type failingReader struct {
	*bytes.Reader
	reads int
}

func (f *failingReader) Read(p []byte) (int, error) {
	f.reads++
	if f.reads > 2 {
		return 0, errors.New("disk gone")
	}
	return f.Reader.Read(p[:min(len(p), 4)])
}

func TestPayloadReadErrorWritesNothing(t *testing.T) {
	w, path := mustOpen(t, "p.warc.gz", Options{})
	ex := testExchange("http://example.test/", []byte("0123456789"))
	ex.Payload = &failingReader{Reader: bytes.NewReader([]byte("0123456789"))}
	if _, err := w.WriteExchange(ex); err == nil || !strings.Contains(err.Error(), "disk gone") {
		t.Fatalf("WriteExchange = %v, want the read error", err)
	}
	if _, err := w.WriteExchange(testExchange("http://example.test/ok", []byte("ok"))); err != nil {
		t.Fatalf("after a payload error: %v", err)
	}
	w.Close()
	if recs := readWARC(t, path); types(recs) != "warcinfo,response,request" {
		t.Errorf("records %s, want only the good exchange's", types(recs))
	}
}

func TestWriteErrorIsSticky(t *testing.T) {
	w, _ := mustOpen(t, "s.warc", Options{})
	w.file.Close() // the file goes away under the writer
	_, err1 := w.WriteExchange(testExchange("http://example.test/a", []byte("a")))
	_, err2 := w.WriteExchange(testExchange("http://example.test/b", []byte("b")))
	if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Errorf("WriteExchange after a write error = %v, then %v; want the same error twice", err1, err2)
	}
	if err := w.Sync(); err == nil {
		t.Error("Sync after a write error = nil")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ path, want string }{
		{filepath.Join(dir, "out.warc.bz2"), "name must end in .warc or .warc.gz"},
		{filepath.Join(dir, "no", "such", "dir.warc"), "no such file or directory"},
	} {
		w, err := Open(tt.path, Options{})
		if err == nil {
			w.Close()
			t.Errorf("Open(%s) = nil error", tt.path)
			continue
		}
		if want := "warc " + tt.path + ": "; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%s) = %q, want %q...%q", tt.path, err, want, tt.want)
		}
	}
}
