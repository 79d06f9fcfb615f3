package frontier_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/crawl-dev/crawl/frontier"
)

// items returns n distinct depth-0 items spread over nHost hosts.
func items(n, nHost int) []frontier.Item {
	its := make([]frontier.Item, n)
	for i := range its {
		host := fmt.Sprintf("host%d.example", i%nHost)
		its[i] = frontier.Item{URL: fmt.Sprintf("https://%s/page/%d", host, i), Host: host}
	}
	return its
}

// drain leases and completes everything, failing b on any error but ErrDone.
func drain(b *testing.B, f frontier.Frontier) {
	ctx := context.Background()
	for {
		l, err := f.Next(ctx)
		if errors.Is(err, frontier.ErrDone) {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Complete(ctx, l, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAdd adds new URLs one at a time over 1000 hosts.
func BenchmarkAdd(b *testing.B) {
	ctx := context.Background()
	its := items(b.N, 1000)
	m := frontier.NewMemory(frontier.Policy{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := m.Add(ctx, its[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddSeen adds URLs that were all seen before.
func BenchmarkAddSeen(b *testing.B) {
	ctx := context.Background()
	its := items(10000, 1000)
	m := frontier.NewMemory(frontier.Policy{})
	if _, err := m.Add(ctx, its...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if n, err := m.Add(ctx, its[i%len(its)]); n != 0 || err != nil {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkNextComplete leases and completes queued URLs over 1000 hosts.
func BenchmarkNextComplete(b *testing.B) {
	ctx := context.Background()
	m := frontier.NewMemory(frontier.Policy{})
	if _, err := m.Add(ctx, items(b.N, 1000)...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l, err := m.Next(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Complete(ctx, l, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNextCompleteParallel is BenchmarkNextComplete from GOMAXPROCS
// goroutines, to show lock contention.
func BenchmarkNextCompleteParallel(b *testing.B) {
	ctx := context.Background()
	m := frontier.NewMemory(frontier.Policy{})
	if _, err := m.Add(ctx, items(b.N, 1000)...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l, err := m.Next(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := m.Complete(ctx, l, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMemoryPerURL measures the heap a Memory holds per URL: queued
// (1e6 URLs over 1000 hosts, not counting the strings, which the caller
// allocated) and seen only (after all of them are done). Run it with
// -benchtime=1x.
func BenchmarkMemoryPerURL(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	its := items(n, 1000)
	var before, queued, seen runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		m := frontier.NewMemory(frontier.Policy{})
		if _, err := m.Add(ctx, its...); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&queued)
		drain(b, m)
		runtime.GC()
		runtime.ReadMemStats(&seen)
		runtime.KeepAlive(m)
	}
	perURL := func(s *runtime.MemStats) float64 {
		return (float64(s.HeapAlloc) - float64(before.HeapAlloc)) / n
	}
	b.ReportMetric(perURL(&queued), "B/queued")
	b.ReportMetric(perURL(&seen), "B/seen")
}
