package store

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleRecord returns a typical record of a page with n links.
func sampleRecord(n int) *Record {
	r := &Record{
		URL:         "https://example.com/articles/2024/05/some-article-title",
		FinalURL:    "https://example.com/articles/2024/05/some-article-title",
		Status:      200,
		Depth:       2,
		Parent:      "https://example.com/articles/",
		ContentType: "text/html",
		Title:       "Some article title <with markup> & an ampersand — and UTF-8",
		Bytes:       48213,
		DurationMS:  153.25,
		FetchedAt:   time.Date(2025, 11, 22, 1, 19, 42, 123456789, time.UTC),
		Attempts:    1,
	}
	for i := range n {
		r.Links = append(r.Links, fmt.Sprintf("https://example.com/articles/2024/05/linked-article-number-%d", i))
	}
	return r
}

// encodeLines writes recs with a Writer and returns the output.
func encodeLines(t testing.TB, recs ...*Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write(%q) = %v", r.URL, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	return buf.Bytes()
}

// readAll reads every record of data with Read.
func readAll(data []byte) ([]*Record, error) {
	var got []*Record
	err := Read(bytes.NewReader(data), func(r *Record) error {
		got = append(got, r)
		return nil
	})
	return got, err
}

// wantString is what a string field holds after a round trip: each byte
// of invalid UTF-8 replaced by U+FFFD, as encoding/json does. (This is not
// strings.ToValidUTF8, which replaces a whole run of bad bytes with one
// U+FFFD.) Converting to runes replaces exactly each invalid byte.
func wantString(s string) string {
	return string([]rune(s))
}

// wantRecord is what r reads back as after a round trip.
func wantRecord(r *Record) *Record {
	w := *r
	w.URL = wantString(r.URL)
	w.FinalURL = wantString(r.FinalURL)
	w.Parent = wantString(r.Parent)
	w.ContentType = wantString(r.ContentType)
	w.Title = wantString(r.Title)
	w.Error = wantString(r.Error)
	w.Links = nil
	for _, l := range r.Links {
		w.Links = append(w.Links, wantString(l))
	}
	return &w
}

// diffRecord describes how got differs from want, or returns "". Nil and
// empty Links are equal, and times are compared with Equal.
func diffRecord(got, want *Record) string {
	g, w := *got, *want
	if !g.FetchedAt.Equal(w.FetchedAt) {
		return fmt.Sprintf("fetched_at = %v, want %v", g.FetchedAt, w.FetchedAt)
	}
	g.FetchedAt, w.FetchedAt = time.Time{}, time.Time{}
	if len(g.Links) == 0 && len(w.Links) == 0 {
		g.Links, w.Links = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("got  %+v\nwant %+v", g, w)
	}
	return ""
}

// mustContain fails t unless s contains each of subs.
func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s = %q, want it to contain %q", what, s, sub)
		}
	}
}
