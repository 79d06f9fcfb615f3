package store

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkWrite measures the Writer on a typical page record with 20
// links, into io.Discard.
func BenchmarkWrite(b *testing.B) {
	r := sampleRecord(20)
	b.SetBytes(int64(len(encodeLines(b, r))))
	b.ReportAllocs()
	w := NewWriter(io.Discard)
	for b.Loop() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRead measures Read on 1000 typical records.
func BenchmarkRead(b *testing.B) {
	var recs []*Record
	for range 1000 {
		recs = append(recs, sampleRecord(20))
	}
	data := encodeLines(b, recs...)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Read(bytes.NewReader(data), func(*Record) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
