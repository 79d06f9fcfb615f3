package report

import (
	"fmt"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/store"
)

// The Observe methods run on the crawl's hot path, once or twice per page.

func BenchmarkObserveRequest(b *testing.B) {
	a := New()
	hosts := make([]string, 64)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("host%d.example.com", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			a.ObserveRequest(crawler.RequestEvent{Host: hosts[i%len(hosts)], Status: 200, Duration: time.Duration(i%5000) * time.Microsecond, Bytes: 4096})
			i++
		}
	})
}

func BenchmarkObserveRecord(b *testing.B) {
	a := New()
	r := &store.Record{Status: 200, Bytes: 4096}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.ObserveRecord(r, crawler.KindNone)
		}
	})
}

func BenchmarkSnapshot(b *testing.B) {
	a := New()
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Snapshot()
	}
}
