package crawler

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestPriorCodec: every field of a Prior survives encodePrior and
// decodePrior, and decodePrior still reads the JSON form that states
// written before the binary one hold.
func TestPriorCodec(t *testing.T) {
	at := time.Date(2026, 12, 4, 19, 5, 6, 789, time.UTC)
	for _, p := range []*Prior{
		{},
		{URL: "http://h.test/", Status: 200}, // no links: nil, as encoding/json gives for null
		{
			URL: "http://h.test/a", Status: 200, ErrorKind: "http_5xx", Target: "http://h.test/b",
			ContentType: "text/html", Title: "Tïtle", ETag: `W/"x"`, LastModified: "Thu, 01 Jan 2026 00:00:00 GMT",
			Fingerprint: strings.Repeat("ab", 32), Links: []string{"http://h.test/1", "", "http://h.test/2"},
			NoFollow: true, Check: true, Depth: 3, Parent: "http://h.test/", Gone: true, Generation: 7,
			FetchedAt: at, CapturedAt: at.Add(-48 * time.Hour),
		},
		{URL: "http://h.test/old", Depth: -1, FetchedAt: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)},
		{URL: "http://h.test/far", FetchedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
	} {
		got, err := decodePrior(encodePrior(nil, p))
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Errorf("round trip of %+v = %+v, %v", p, got, err)
		}
		js, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		want := *p
		if got, err := decodePrior(js); err != nil || !reflect.DeepEqual(got, &want) {
			t.Errorf("JSON %s = %+v, %v", js, got, err)
		}
	}
	for _, bad := range []string{"", "\x02", "\x01", "\x01\x00\x02\x02", string(encodePrior(nil, &Prior{URL: "u"})) + "x", "{"} {
		if p, err := decodePrior([]byte(bad)); err == nil {
			t.Errorf("decodePrior(%q) = %+v, want an error", bad, p)
		}
	}
}

// FuzzDecodePrior: a stored annotation is read from disk, which may be
// damaged: decodePrior must never panic, and what it accepts must encode
// back to what it read.
func FuzzDecodePrior(f *testing.F) {
	f.Add(encodePrior(nil, &Prior{URL: "http://h.test/", Links: []string{"http://h.test/a"}, FetchedAt: time.Unix(1, 2)}))
	f.Add([]byte(`{"URL":"http://h.test/","Links":["x"]}`))
	f.Add([]byte{1, 31, 2, 2, 2})
	f.Fuzz(func(t *testing.T, v []byte) {
		p, err := decodePrior(v)
		if err != nil || v[0] == '{' {
			return
		}
		if again := encodePrior(nil, p); string(again) != string(v) {
			q, _ := decodePrior(again)
			if !reflect.DeepEqual(p, q) {
				t.Errorf("decode %x = %+v; its encoding decodes to %+v", v, p, q)
			}
		}
	})
}
