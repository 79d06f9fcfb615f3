package store

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   *Record
	}{
		{name: "zero", in: &Record{}},
		{name: "typical", in: sampleRecord(20)},
		{name: "failure", in: &Record{URL: "https://a.example/x", Status: 503, Attempts: 4, Error: "http 503: service unavailable", DurationMS: 4012.75}},
		{name: "truncated", in: &Record{URL: "https://a.example/big", Status: 200, Bytes: 10 << 20, Truncated: true}},
		{name: "html and quotes", in: &Record{Title: `<script>alert("x & y")</script>`, Links: []string{`https://a.example/?a=<>&b="`}}},
		{name: "control chars", in: &Record{Title: "a\x00b\x01c\x1fd\te\nf\rg\x7fh", Parent: "\u2028\u2029"}},
		{name: "invalid utf-8", in: &Record{Title: "caf\xe9 \xff\xfe\xfd end", URL: "\xed\xa0\x80", Links: []string{"\xc3", "ok"}}},
		{name: "unicode", in: &Record{Title: "日本語 — emoji 🕷 ￿ \ufffd"}},
		{name: "extremes", in: &Record{Status: -1, Depth: 1<<62 - 1, Bytes: -1 << 63, Attempts: 1 << 40, DurationMS: 1e300}},
		{name: "tiny duration", in: &Record{DurationMS: 5e-324}},
		{name: "local time", in: &Record{FetchedAt: time.Date(2025, 6, 1, 23, 59, 59, 999999999, time.FixedZone("X", -9*3600-30*60))}},
		{name: "year 9999", in: &Record{FetchedAt: time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC)}},
		{name: "empty links", in: &Record{Links: []string{}}},
		{name: "empty link", in: &Record{Links: []string{"", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := encodeLines(t, tt.in)
			if n := bytes.Count(data, []byte("\n")); n != 1 {
				t.Errorf("output has %d newlines, want 1: %q", n, data)
			}
			got, err := readAll(data)
			if err != nil || len(got) != 1 {
				t.Fatalf("Read(%q) = %d records, %v; want 1, nil", data, len(got), err)
			}
			if d := diffRecord(got[0], wantRecord(tt.in)); d != "" {
				t.Errorf("round trip of %q:\n%s", data, d)
			}
		})
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int      // 0: maxLine
		urls  []string // the URLs fn sees, in order
		is    error    // errors.Is(err, is) must hold, if set
		msg   string   // the error's message, "" for no error
	}{
		{name: "empty", in: ""},
		{name: "one", in: `{"url":"a"}` + "\n", urls: []string{"a"}},
		{name: "two", in: `{"url":"a"}` + "\n" + `{"url":"b"}` + "\n", urls: []string{"a", "b"}},
		{name: "crlf", in: "{\"url\":\"a\"}\r\n{\"url\":\"b\"}\r\n", urls: []string{"a", "b"}},
		{name: "blank lines", in: "\n  \n{\"url\":\"a\"}\n\t\r\n{\"url\":\"b\"}\n\n", urls: []string{"a", "b"}},
		{name: "unknown fields", in: `{"url":"a","new_field":{"x":[1,2]}}` + "\n", urls: []string{"a"}},
		{name: "links null", in: `{"url":"a","links":null}` + "\n", urls: []string{"a"}},
		{name: "torn", in: `{"url":"a"}` + "\n" + `{"url":"b"`, urls: []string{"a"}, is: ErrTornLine, msg: "line 2: torn last line: no trailing newline"},
		{name: "torn but valid", in: `{"url":"a"}` + "\n" + `{"url":"b"}`, urls: []string{"a"}, is: ErrTornLine, msg: "line 2: torn last line: no trailing newline"},
		{name: "torn first", in: `{"u`, is: ErrTornLine, msg: "line 1: torn last line: no trailing newline"},
		{name: "invalid json", in: `{"url":"a"}` + "\n" + `{"url":}` + "\n" + `{"url":"c"}` + "\n", urls: []string{"a"}, msg: "line 2: invalid character '}' looking for beginning of value"},
		{name: "two objects on a line", in: `{"url":"a"} {"url":"b"}` + "\n", msg: "line 1: invalid character '{' after top-level value"},
		{name: "null", in: "null\n", msg: "line 1: not a JSON object"},
		{name: "array", in: "[]\n", msg: "line 1: not a JSON object"},
		{name: "wrong type", in: `{"url":1}` + "\n", msg: "line 1: json: cannot unmarshal number into Go struct field Record.url of type string"},
		{name: "bad time", in: `{"fetched_at":"yesterday"}` + "\n", msg: `line 1: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{name: "at the limit", in: `{"url":"abcdefg"}` + "\n", limit: 17, urls: []string{"abcdefg"}},
		{name: "over the limit", in: `{"url":"abcdefg"}` + "\n", limit: 16, msg: "line 1: longer than 16 bytes"},
		{name: "torn over the limit", in: `{"url":"a"}` + "\n" + `{"url":"abcdefghi`, limit: 16, urls: []string{"a"}, msg: "line 2: longer than 16 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.limit
			if limit == 0 {
				limit = maxLine
			}
			var urls []string
			err := read(strings.NewReader(tt.in), func(r *Record) error {
				urls = append(urls, r.URL)
				return nil
			}, limit)
			if strings.Join(urls, " ") != strings.Join(tt.urls, " ") {
				t.Errorf("Read(%q) saw URLs %q, want %q", tt.in, urls, tt.urls)
			}
			var msg string
			if err != nil {
				msg = err.Error()
			}
			if msg != tt.msg {
				t.Errorf("Read(%q) error = %q, want %q", tt.in, msg, tt.msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Read(%q) error = %v, want errors.Is %v", tt.in, err, tt.is)
			}
		})
	}
}

func TestReadStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Read(bytes.NewReader(encodeLines(t, sampleRecord(0), sampleRecord(0), sampleRecord(0))), func(*Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Errorf("Read = %v after %d calls, want %v after 2", err, n, stop)
	}
}

// TestReadLongLines covers lines longer than the read buffer, where the
// reader collects a line from several buffer fills.
func TestReadLongLines(t *testing.T) {
	const limit = 3*bufSize + 10
	line := func(n int) string { // a record line of exactly n bytes
		const head, tail = `{"url":"`, `"}`
		return head + strings.Repeat("u", n-len(head)-len(tail)) + tail
	}
	tests := []struct {
		name string
		in   string
		n    int // records read
		msg  string
	}{
		{name: "at the limit", in: line(limit) + "\n" + line(100) + "\n", n: 2},
		{name: "buffer size", in: line(bufSize) + "\n" + line(bufSize-1) + "\n" + line(bufSize+1) + "\n", n: 3},
		{name: "one over", in: line(100) + "\n" + line(limit+1) + "\n", n: 1, msg: "line 2: longer than 196618 bytes"},
		{name: "far over", in: line(10*limit) + "\n", msg: "line 1: longer than 196618 bytes"},
		{name: "torn long", in: line(100) + "\n" + line(2*bufSize), n: 1, msg: "line 2: torn last line: no trailing newline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			err := read(strings.NewReader(tt.in), func(r *Record) error {
				n++
				return nil
			}, limit)
			var msg string
			if err != nil {
				msg = err.Error()
			}
			if n != tt.n || msg != tt.msg {
				t.Errorf("read = %d records, error %q; want %d, %q", n, msg, tt.n, tt.msg)
			}
		})
	}
}

// endless is an endless line of 'x'.
type endless struct {
	chunk []byte // all 'x'
	n     int64  // bytes read so far
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.chunk)
	e.n += int64(n)
	return n, nil
}

// TestReadMaxLine checks the real limit: Read gives up on an endless line
// soon after maxLine bytes, rather than read (and hold) it all.
func TestReadMaxLine(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MiB")
	}
	src := &endless{chunk: bytes.Repeat([]byte{'x'}, bufSize)}
	err := Read(io.MultiReader(strings.NewReader(`{"url":"a"}`+"\n"), src), func(*Record) error { return nil })
	if want := "line 2: longer than 67108864 bytes"; err == nil || err.Error() != want {
		t.Errorf("Read(endless line) = %v, want %q", err, want)
	}
	if src.n > maxLine+2*bufSize {
		t.Errorf("Read consumed %d bytes of an endless line, want at most %d", src.n, maxLine+2*bufSize)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(encodeLines(t, sampleRecord(1))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		records int
		is      error  // nil: success
		msg     string // the error must contain it
	}{
		{name: "empty gzip", path: write("empty.jsonl.gz", nil)},
		{name: "empty plain", path: write("empty.jsonl", nil)},
		{name: "missing", path: filepath.Join(dir, "missing.jsonl"), is: fs.ErrNotExist, msg: "missing.jsonl"},
		{name: "not gzip", path: write("plain.jsonl.gz", []byte("{\"url\":\"plain\"}\n")), is: gzip.ErrHeader, msg: "read " + dir},
		{name: "cut gzip", path: write("cut.jsonl.gz", gz.Bytes()[:gz.Len()-4]), records: 1, is: io.ErrUnexpectedEOF, msg: "cut.jsonl.gz"},
		{name: "torn", path: write("torn.jsonl", []byte("{}\n{\"url\":")), records: 1, is: ErrTornLine, msg: "torn.jsonl: line 2: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			err := ReadFile(tt.path, func(*Record) error { n++; return nil })
			if n != tt.records || !errors.Is(err, tt.is) || (tt.is == nil) != (err == nil) {
				t.Fatalf("ReadFile(%q) = %d records, %v; want %d, %v", tt.path, n, err, tt.records, tt.is)
			}
			if err != nil {
				mustContain(t, "error", err.Error(), tt.msg)
			}
		})
	}
}
