package testserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
)

func BenchmarkNew(b *testing.B) {
	for _, cfg := range []Config{
		{Pages: 100, Links: 10, Features: AllFeatures},
		{Pages: 10000, Links: 20},
		{Pages: 10000, Links: 20, Features: AllFeatures},
	} {
		b.Run(strconv.Itoa(cfg.Pages)+"x"+strconv.Itoa(cfg.Links)+"/"+cfg.Features.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				New(cfg)
			}
		})
	}
}

// BenchmarkNewGeneration measures what generations cost on top of
// generation 0 of a big site.
func BenchmarkNewGeneration(b *testing.B) {
	for _, g := range []int{0, 1, 5} {
		b.Run("100000x10/generation-"+strconv.Itoa(g), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				New(Config{Pages: 100000, Links: 10, Generation: g})
			}
		})
	}
}

func BenchmarkExpect(b *testing.B) {
	s := New(Config{Pages: 10000, Links: 20, Features: AllFeatures})
	b.ReportAllocs()
	for b.Loop() {
		s.Expect("/", 4)
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler alone.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkHandler serves pages of a big site without a network.
func BenchmarkHandler(b *testing.B) {
	s := New(Config{Pages: 10000, Links: 20, Features: AllFeatures})
	h := s.Handler()
	reqs := make([]*http.Request, 1000)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/p/"+strconv.Itoa(i*7+1), nil)
		reqs[i].Host = "127.0.0.1:8080"
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.ServeHTTP(w, reqs[i%len(reqs)])
		i++
	}
}

// BenchmarkServeLoopback fetches pages over loopback HTTP with keep-alive
// from parallel clients: the cost a whole-crawl benchmark pays per page.
func BenchmarkServeLoopback(b *testing.B) {
	s := New(Config{Pages: 10000, Links: 20, Features: AllFeatures})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	client := srv.Client()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(srv.URL + "/p/" + strconv.Itoa(int(next.Add(1)%9999)+1))
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				b.Error(err)
			}
			if err := resp.Body.Close(); err != nil {
				b.Error(err)
			}
		}
	})
}

func BenchmarkNewHostile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewHostile(HostileConfig{})
	}
}

func BenchmarkExpectHostile(b *testing.B) {
	s := NewHostile(HostileConfig{})
	b.ReportAllocs()
	for b.Loop() {
		s.ExpectCrawl(Crawl{Seed: "/", MaxDepth: 6, Retries: 2})
	}
}

// BenchmarkBuildBomb is the one-time cost of the gzip bomb.
func BenchmarkBuildBomb(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := buildBomb(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostileCalendar serves generated trap pages.
func BenchmarkHostileCalendar(b *testing.B) {
	s := NewHostile(HostileConfig{Fixtures: TrapFixtures})
	h := s.Handler()
	req := httptest.NewRequest(http.MethodGet, "/cal/2026/11", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
