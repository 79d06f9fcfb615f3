package store

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzRoundTrip writes a record built from fuzzed values and reads it back.
// Every field must come back equal, strings with each invalid UTF-8 byte
// as U+FFFD; a record that cannot be encoded (NaN, year outside 0-9999)
// must be rejected whole, leaving no output.
func FuzzRoundTrip(f *testing.F) {
	f.Add("https://a.example/", "https://a.example/x", "", "text/html", "Title <b>&</b>", "", "https://a.example/1|https://a.example/2", 200, 0, int64(1234), 12.5, int64(1700000000), int64(123456789), 0, 1, false)
	f.Add("\xff\xfe", "\x00\x1f\"\\", "\u2028\u2029", "\x7f", "caf\xe9", "timeout", "", 0, -1, int64(-1), 1e-7, int64(-62135596800), int64(0), 3600, 4, true)
	f.Add("", "", "", "", "", "", "|", -1, 1<<40, int64(math.MaxInt64), 1e21, int64(253402300799), int64(999999999), -34200, 0, false)
	f.Add("u", "", "", "", "", "", "\xed\xa0\x80|\xc3", 0, 0, int64(0), math.NaN(), int64(0), int64(0), 0, 0, false)
	f.Add("u", "", "", "", "", "", "", 0, 0, int64(0), 0.0, int64(253402300800), int64(0), 0, 0, false)
	f.Fuzz(func(t *testing.T, url, final, parent, ctype, title, errStr, links string,
		status, depth int, nbytes int64, dur float64, sec, nsec int64, offset, attempts int, truncated bool) {
		in := &Record{
			URL: url, FinalURL: final, Status: status, Depth: depth, Parent: parent,
			ContentType: ctype, Title: title, Bytes: nbytes, DurationMS: dur,
			FetchedAt: time.Unix(sec, nsec).In(time.FixedZone("", offset%(24*3600))),
			Attempts:  attempts, Error: errStr, Truncated: truncated,
		}
		if links != "" {
			in.Links = strings.Split(links, "|")
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		werr := w.Write(in)
		if err := w.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if werr != nil {
			if buf.Len() != 0 {
				t.Fatalf("Write(%+v) = %v and wrote %q, want nothing", in, werr, buf.Bytes())
			}
			return
		}
		if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 1 {
			t.Fatalf("Write(%+v) wrote %d newlines, want 1", in, n)
		}
		got, err := readAll(buf.Bytes())
		if err != nil || len(got) != 1 {
			t.Fatalf("Read(%q) = %d records, %v; want 1, nil", buf.Bytes(), len(got), err)
		}
		if d := diffRecord(got[0], wantRecord(in)); d != "" {
			t.Fatalf("round trip of %q:\n%s", buf.Bytes(), d)
		}
	})
}

// FuzzRead feeds arbitrary bytes to Read. It must not panic, and whatever
// it accepts must survive a write and a second read unchanged.
func FuzzRead(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"url":"a","links":["x","y"],"fetched_at":"2025-01-02T03:04:05.6+01:00"}` + "\n" + `{"url":"b"`))
	f.Add([]byte("\n\r\n{\"title\":\"\\ud800\\u2028\xff\"}\r\n"))
	f.Add([]byte(`{"fetched_at":"0000-01-01T00:00:00+01:00","duration_ms":-0}` + "\n"))
	f.Add([]byte("null\n[1]\n"))
	f.Add(encodeLines(f, sampleRecord(3), &Record{Error: "e", Truncated: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []*Record
		err := read(bytes.NewReader(data), func(r *Record) error {
			recs = append(recs, r)
			return nil
		}, 4<<10)
		if err == nil && bytes.Count(data, []byte("\n")) < len(recs) {
			t.Fatalf("Read(%q) returned %d records from fewer lines", data, len(recs))
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		var written []*Record
		for _, r := range recs {
			// A record read may still not be writable: a time in year
			// 0 with a positive offset is year -1 in UTC.
			if w.Write(r) == nil {
				written = append(written, r)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := readAll(buf.Bytes())
		if err != nil || len(again) != len(written) {
			t.Fatalf("Read(%q) = %d records, %v; want %d, nil", buf.Bytes(), len(again), err, len(written))
		}
		for i := range written {
			if d := diffRecord(again[i], written[i]); d != "" {
				t.Fatalf("record %d of %q:\n%s", i, data, d)
			}
		}
	})
}
