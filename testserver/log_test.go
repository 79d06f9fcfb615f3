package testserver

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Pages: 10, Latency: 100 * time.Millisecond})
		req := func(path string) {
			r, err := http.NewRequest(http.MethodGet, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("User-Agent", "logbot/1")
			s.Handler().ServeHTTP(newTimedWriter(0, 0), r)
		}
		req("/p/1")
		time.Sleep(time.Second)
		req("/nope?x=1")
		var wg sync.WaitGroup
		for _, p := range []string{"/p/2", "/p/3", "/p/4"} {
			wg.Go(func() { req(p) })
		}
		wg.Wait()
		log := s.Log()
		paths := make([]string, len(log))
		for i, r := range log {
			paths[i] = r.Path
		}
		if len(log) != 5 || paths[0] != "/p/1" || paths[1] != "/nope?x=1" {
			t.Fatalf("Log() paths = %q, want /p/1, /nope?x=1, then three pages", paths)
		}
		if r := log[0]; r.Seq != 1 || r.Method != "GET" || r.UserAgent != "logbot/1" || r.Status != 200 ||
			r.End.Sub(r.Start) != 100*time.Millisecond || r.Bytes == 0 {
			t.Errorf("Log()[0] = %+v, want GET /p/1 by logbot, 200, 100ms, some bytes", r)
		}
		if r := log[1]; r.Status != 404 || r.Start.Sub(log[0].Start) != 1100*time.Millisecond {
			t.Errorf("Log()[1] = %+v, want a 404 started 1.1s after the first", r)
		}
		if got := Gaps(log, nil); !slices.Equal(got, []time.Duration{1100 * time.Millisecond, 0, 0, 0}) {
			t.Errorf("Gaps = %v, want [1.1s 0 0 0]", got)
		}
		if got := Gaps(log, func(r Request) bool { return r.Status == 200 }); len(got) != 3 || got[0] != 1100*time.Millisecond {
			t.Errorf("Gaps of 200s = %v, want 3 gaps, the first 1.1s", got)
		}
		if got := MaxConcurrent(log); got != 3 {
			t.Errorf("MaxConcurrent = %d, want 3", got)
		}
		s.Reset()
		if len(s.Log()) != 0 || s.LogDropped() != 0 {
			t.Errorf("after Reset: %d entries, %d dropped", len(s.Log()), s.LogDropped())
		}
	})
}

func TestLogBounded(t *testing.T) {
	s := New(Config{Pages: 5})
	s.log.max = 3
	for range 5 {
		serve(s, http.MethodGet, "/p/1", "h")
	}
	if len(s.Log()) != 3 || s.LogDropped() != 2 {
		t.Errorf("log of 3 after 5 requests: %d entries, %d dropped; want 3, 2", len(s.Log()), s.LogDropped())
	}
}

func TestMaxConcurrent(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	tests := []struct {
		name string
		log  []Request
		want int
	}{
		{"empty", nil, 0},
		{"back to back", []Request{{Start: at(0), End: at(1)}, {Start: at(1), End: at(2)}}, 1},
		{"nested", []Request{{Start: at(0), End: at(10)}, {Start: at(1), End: at(2)}, {Start: at(3), End: at(4)}}, 2},
		{"three", []Request{{Start: at(0), End: at(5)}, {Start: at(1), End: at(5)}, {Start: at(4), End: at(6)}}, 3},
	}
	for _, tt := range tests {
		if got := MaxConcurrent(tt.log); got != tt.want {
			t.Errorf("MaxConcurrent(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}
