package store

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// closeRecorder is a stdout stand-in that remembers being closed.
type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error {
	c.closed = true
	return nil
}

func TestOpen(t *testing.T) {
	recs := []*Record{sampleRecord(3), {URL: "https://example.com/b", Status: 404, Error: "http 404"}}
	want := encodeLines(t, recs...)
	tests := []struct {
		name string
		path string // "-" or a file name in a temp dir
		old  string // content of the file before Open, if any
		gzip bool   // the file must be gzip
	}{
		{name: "stdout", path: "-"},
		{name: "plain", path: "out.jsonl"},
		{name: "plain truncates", path: "out.jsonl", old: strings.Repeat("old line\n", 1000)},
		{name: "gzip", path: "out.jsonl.gz", gzip: true},
		{name: "gzip truncates", path: "out.jsonl.gz", old: "not gzip at all\n", gzip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout := new(closeRecorder)
			path := tt.path
			if path != "-" {
				path = filepath.Join(t.TempDir(), tt.path)
				if tt.old != "" {
					if err := os.WriteFile(path, []byte(tt.old), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			w, err := Open(path, stdout)
			if err != nil {
				t.Fatalf("Open(%q) = %v", path, err)
			}
			for _, r := range recs {
				if err := w.Write(r); err != nil {
					t.Fatalf("Write(%q) = %v", r.URL, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			if stdout.closed {
				t.Errorf("Close closed stdout")
			}
			if path == "-" {
				if got := stdout.String(); got != string(want) {
					t.Errorf("stdout = %q, want %q", got, want)
				}
				return
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if isGzip := bytes.HasPrefix(raw, []byte{0x1f, 0x8b}); isGzip != tt.gzip {
				t.Errorf("file is gzip: %v, want %v", isGzip, tt.gzip)
			}
			if !tt.gzip && !bytes.Equal(raw, want) {
				t.Errorf("file = %q, want %q", raw, want)
			}
			if info, err := os.Stat(path); err != nil || (tt.old == "" && info.Mode().Perm()&0o600 != 0o600) {
				t.Errorf("Stat(%q) = %v, %v; want a file readable and writable by its owner", path, info, err)
			}
			var got []*Record
			err = ReadFile(path, func(r *Record) error {
				got = append(got, r)
				return nil
			})
			if err != nil {
				t.Fatalf("ReadFile(%q) = %v", path, err)
			}
			if len(got) != len(recs) {
				t.Fatalf("ReadFile(%q) read %d records, want %d", path, len(got), len(recs))
			}
			for i := range recs {
				if d := diffRecord(got[i], recs[i]); d != "" {
					t.Errorf("record %d: %s", i, d)
				}
			}
		})
	}
}

func TestOpenError(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		path   string
		stdout io.Writer
		is     error // errors.Is(err, is) must hold, if set
	}{
		{name: "missing directory", path: filepath.Join(dir, "no", "such", "out.jsonl"), is: fs.ErrNotExist},
		{name: "missing directory gzip", path: filepath.Join(dir, "no", "out.jsonl.gz"), is: fs.ErrNotExist},
		{name: "a directory", path: dir},
		{name: "stdout without a writer", path: "-", stdout: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Open(tt.path, tt.stdout)
			if err == nil {
				if cerr := w.Close(); cerr != nil {
					t.Error(cerr)
				}
				t.Fatalf("Open(%q) = nil error, want one", tt.path)
			}
			prefix := "open output " + tt.path + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || strings.Count(msg, tt.path) != 1 {
				t.Errorf("Open(%q) error = %q, want it to start with %q and name the path once", tt.path, msg, prefix)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Open(%q) error = %v, want errors.Is %v", tt.path, err, tt.is)
			}
		})
	}
}

func TestWriteLine(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 600000000, time.FixedZone("", 2*3600))
	tests := []struct {
		name string
		in   *Record
		want string
	}{
		{
			name: "zero",
			in:   &Record{},
			want: `{"url":"","final_url":"","status":0,"depth":0,"parent":"","content_type":"","title":"","links":[],"bytes":0,"duration_ms":0,"fetched_at":"0001-01-01T00:00:00Z","attempts":0}` + "\n",
		},
		{
			name: "full, html not escaped, time in UTC",
			in: &Record{
				URL: "https://a.example/?q=<b>&x=1", FinalURL: "https://a.example/", Status: 200, Depth: 1,
				Parent: "https://a.example/p", ContentType: "text/html", Title: "A <b>bold</b> & \"quoted\"\ttitle",
				Links: []string{"https://a.example/1", "https://a.example/2"}, Bytes: 1234, DurationMS: 12.5,
				FetchedAt: at, Attempts: 2, Error: "timeout", Truncated: true,
			},
			want: `{"url":"https://a.example/?q=<b>&x=1","final_url":"https://a.example/","status":200,"depth":1,"parent":"https://a.example/p","content_type":"text/html","title":"A <b>bold</b> & \"quoted\"\ttitle","links":["https://a.example/1","https://a.example/2"],"bytes":1234,"duration_ms":12.5,"fetched_at":"2025-01-02T01:04:05.6Z","attempts":2,"error":"timeout","truncated":true}` + "\n",
		},
		{
			name: "escapes",
			in:   &Record{Title: "nul\x00 bell\a nl\n cr\r ff\f bs\b bad\xff\xfe ls\u2028 ps\u2029 del\x7f é", Links: []string{}, DurationMS: 1e-7},
			want: `{"url":"","final_url":"","status":0,"depth":0,"parent":"","content_type":"","title":"nul\u0000 bell\u0007 nl\n cr\r ff\f bs\b bad\ufffd\ufffd ls\u2028 ps\u2029 del` + "\x7f" + ` é","links":[],"bytes":0,"duration_ms":1e-7,"fetched_at":"0001-01-01T00:00:00Z","attempts":0}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(encodeLines(t, tt.in))
			if got != tt.want {
				t.Errorf("Write(%+v) wrote\n%s\nwant\n%s", tt.in, got, tt.want)
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name string
		in   *Record
		msg  string
	}{
		{name: "NaN", in: &Record{URL: "u1", DurationMS: math.NaN()}, msg: "encode record u1: duration_ms: unsupported value NaN"},
		{name: "+Inf", in: &Record{URL: "u2", DurationMS: math.Inf(1)}, msg: "encode record u2: duration_ms: unsupported value +Inf"},
		{name: "year 10000", in: &Record{URL: "u3", FetchedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, msg: "encode record u3: fetched_at: "},
		{name: "year -1", in: &Record{URL: "u4", FetchedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}, msg: "encode record u4: fetched_at: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			err := w.Write(tt.in)
			if err == nil || !strings.HasPrefix(err.Error(), tt.msg) {
				t.Errorf("Write(%+v) = %v, want an error starting with %q", tt.in, err, tt.msg)
			}
			// The rejected record left nothing behind; the writer goes on.
			ok := &Record{URL: "ok"}
			if err := w.Write(ok); err != nil {
				t.Fatalf("Write after a rejected record = %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.String(), string(encodeLines(t, ok)); got != want {
				t.Errorf("output = %q, want %q", got, want)
			}
		})
	}
}

// writeRecorder records the size of every Write and whether it ended a line.
type writeRecorder struct {
	bytes.Buffer
	calls, torn int
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.calls++
	if len(p) == 0 || p[len(p)-1] != '\n' {
		w.torn++
	}
	return w.Buffer.Write(p)
}

func TestWriteWholeLines(t *testing.T) {
	var recs []*Record
	for i := range 300 {
		r := sampleRecord(i % 40)
		if i == 100 {
			r.Title = strings.Repeat("a long title ", 2*bufSize/13) // longer than the buffer
		}
		recs = append(recs, r)
	}
	out := new(writeRecorder)
	w := NewWriter(out)
	for i, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		if i == 150 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.calls < 4 || out.torn != 0 {
		t.Errorf("%d writes, %d not ending a line; want several, none", out.calls, out.torn)
	}
	got, err := readAll(out.Bytes())
	if err != nil || len(got) != len(recs) {
		t.Fatalf("read back %d records, %v; want %d", len(got), err, len(recs))
	}
	for i := range recs {
		if d := diffRecord(got[i], recs[i]); d != "" {
			t.Fatalf("record %d: %s", i, d)
		}
	}
}

func TestFlush(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	r := sampleRecord(2)
	if err := w.Write(r); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("after Write, output holds %d bytes, want 0 (buffered)", buf.Len())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), string(encodeLines(t, r)); got != want {
		t.Errorf("after Flush, output = %q, want %q", got, want)
	}
}

func TestFlushGzip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl.gz")
	w, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	}()
	recs := []*Record{sampleRecord(5), sampleRecord(0)}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// The writer is still open: the stream has no footer yet, but every
	// line written so far must decode.
	n := 0
	err = ReadFile(path, func(r *Record) error {
		if d := diffRecord(r, recs[n]); d != "" {
			t.Errorf("record %d: %s", n, d)
		}
		n++
		return nil
	})
	if n != len(recs) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ReadFile of an open gzip file: %d records, %v; want %d, unexpected EOF", n, err, len(recs))
	}
}

func TestClose(t *testing.T) {
	for _, name := range []string{"out.jsonl", "out.jsonl.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			w, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(sampleRecord(1)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("first Close() = %v", err)
			}
			if err := w.Close(); err != nil {
				t.Errorf("second Close() = %v, want nil", err)
			}
			if err := w.Write(sampleRecord(1)); err == nil {
				t.Errorf("Write after Close = nil, want an error")
			}
			if err := w.Flush(); err == nil {
				t.Errorf("Flush after Close = nil, want an error")
			}
			n := 0
			if err := ReadFile(path, func(*Record) error { n++; return nil }); err != nil || n != 1 {
				t.Errorf("ReadFile(%q) = %d records, %v; want 1, nil", path, n, err)
			}
		})
	}
}

// failWriter fails every Write.
type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriteError(t *testing.T) {
	boom := errors.New("disk full")
	w := NewWriter(failWriter{boom})
	if err := w.Write(sampleRecord(1)); err != nil {
		t.Fatalf("Write into the buffer = %v, want nil", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush() = %v, want %v", err, boom)
	}
	if err := w.Write(sampleRecord(1)); !errors.Is(err, boom) {
		t.Errorf("Write after a failed flush = %v, want %v (sticky)", err, boom)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("Close() = %v, want %v", err, boom)
	}

	// A line bigger than the buffer meets the error in Write itself.
	w = NewWriter(failWriter{boom})
	big := sampleRecord(0)
	big.Title = strings.Repeat("x", 2*bufSize)
	if err := w.Write(big); !errors.Is(err, boom) {
		t.Errorf("Write(big) = %v, want %v", err, boom)
	}
}
