package testserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

var errGone = errors.New("client went away")

// timedWriter is a ResponseWriter that notes when each Write came, counts
// flushes, and fails once it holds limit bytes (a client that stops
// reading and closes). It keeps at most keep bytes of body.
type timedWriter struct {
	header  http.Header
	status  int
	writes  []time.Time
	flushes int
	n       int64
	limit   int64
	keep    int
	body    bytes.Buffer
}

func newTimedWriter(limit int64, keep int) *timedWriter {
	return &timedWriter{header: http.Header{}, limit: limit, keep: keep}
}

func (w *timedWriter) Header() http.Header { return w.header }

func (w *timedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *timedWriter) Write(p []byte) (int, error) {
	if w.limit > 0 && w.n >= w.limit {
		return 0, errGone
	}
	w.WriteHeader(http.StatusOK)
	w.writes = append(w.writes, time.Now())
	w.n += int64(len(p))
	if room := w.keep - w.body.Len(); room > 0 {
		w.body.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (w *timedWriter) Flush() { w.flushes++ }

// serveCtx serves one GET through the handler with ctx as the request's
// context and returns how long the handler took.
func serveCtx(ctx context.Context, s *Site, path string, w http.ResponseWriter) time.Duration {
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	start := time.Now()
	s.Handler().ServeHTTP(w, req)
	return time.Since(start)
}

func TestNeverAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewHostile(HostileConfig{Fixtures: SlowFixtures})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		w := newTimedWriter(0, 0)
		took := serveCtx(ctx, s, "/slow/never", w)
		if took != 10*time.Second || w.status != 0 || w.n != 0 {
			t.Errorf("/slow/never: returned after %v with status %d and %d bytes; want 10s, nothing sent", took, w.status, w.n)
		}
		log := s.Log()
		if len(log) != 1 || log[0].Status != 0 || log[0].End.Sub(log[0].Start) != 10*time.Second {
			t.Errorf("Log() = %+v, want one 10s request with status 0", log)
		}
	})
}

func TestDrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewHostile(HostileConfig{Fixtures: SlowFixtures})
		ctx, cancel := context.WithTimeout(t.Context(), 5500*time.Millisecond)
		defer cancel()
		w := newTimedWriter(0, 100)
		start := time.Now()
		took := serveCtx(ctx, s, "/slow/drip", w)
		if w.status != 200 || w.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("/slow/drip: status %d, Content-Type %q; want 200 text/html", w.status, w.header.Get("Content-Type"))
		}
		if took != 5500*time.Millisecond || w.n != 6 || w.flushes != 6 || w.body.String() != "<!DOCT" {
			t.Errorf("/slow/drip for 5.5s: took %v, %d bytes %q, %d flushes; want 5.5s, 6 bytes, 6 flushes", took, w.n, w.body.String(), w.flushes)
		}
		for i, at := range w.writes {
			if want := start.Add(time.Duration(i) * time.Second); !at.Equal(want) {
				t.Errorf("byte %d written at +%v, want +%ds", i, at.Sub(start), i)
			}
		}
	})
	t.Run("client gone", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := NewHostile(HostileConfig{Fixtures: SlowFixtures, Drip: 10 * time.Millisecond})
			w := newTimedWriter(3, 0)
			serveCtx(t.Context(), s, "/slow/drip", w)
			if w.n != 3 {
				t.Errorf("/slow/drip to a client that leaves after 3 bytes: %d bytes written", w.n)
			}
		})
	})
}

func TestHostileLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewHostile(HostileConfig{Fixtures: SlowFixtures, Latency: 1500 * time.Millisecond})
		rec := httptest.NewRecorder()
		if took := serveCtx(t.Context(), s, "/slow/latency", rec); took != 1500*time.Millisecond || rec.Code != 200 {
			t.Errorf("/slow/latency: %d after %v, want 200 after 1.5s", rec.Code, took)
		}
		if d := s.Delay("/slow/latency"); d != 1500*time.Millisecond {
			t.Errorf("Delay(/slow/latency) = %v, want 1.5s", d)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		w := newTimedWriter(0, 0)
		if took := serveCtx(ctx, s, "/slow/latency", w); took != time.Second || w.status != 0 {
			t.Errorf("/slow/latency with a 1s deadline: status %d after %v, want nothing after 1s", w.status, took)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewHostile(HostileConfig{Fixtures: RetryFixtures, RetryAfter: 2 * time.Second})
		time.Sleep(300 * time.Millisecond) // not on a whole second
		now := time.Now()
		date := serve(s, http.MethodGet, "/retry/429-date", "h").Header().Get("Retry-After")
		at, err := http.ParseTime(date)
		if err != nil || at.Before(now.Add(2*time.Second)) || !at.Before(now.Add(3*time.Second)) {
			t.Errorf("Retry-After %q at %v: %v, %v; want an HTTP-date in [now+2s, now+3s)", date, now, at, err)
		}
		if secs := serve(s, http.MethodGet, "/retry/429-seconds", "h").Header().Get("Retry-After"); secs != "2" {
			t.Errorf("Retry-After %q, want 2", secs)
		}
	})
	tests := []struct {
		now  time.Time
		d    time.Duration
		want string
	}{
		{time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), 2 * time.Second, "Sun, 22 Nov 2026 12:00:02 GMT"},
		{time.Date(2026, 11, 22, 12, 0, 0, 1, time.UTC), 2 * time.Second, "Sun, 22 Nov 2026 12:00:03 GMT"},
		{time.Date(2026, 11, 22, 13, 59, 59, 500e6, time.FixedZone("X", 3600)), time.Second, "Sun, 22 Nov 2026 13:00:01 GMT"},
	}
	for _, tt := range tests {
		if got := retryDateValue(tt.now, tt.d); got != tt.want {
			t.Errorf("retryDateValue(%v, %v) = %q, want %q", tt.now, tt.d, got, tt.want)
		}
	}
	if c := (HostileConfig{RetryAfter: 1400 * time.Millisecond}).withDefaults(); c.RetryAfter != time.Second {
		t.Errorf("RetryAfter 1.4s became %v, want whole seconds (1s)", c.RetryAfter)
	}
}

func TestEndlessBody(t *testing.T) {
	s := NewHostile(HostileConfig{Fixtures: SizeFixtures})
	const limit = 3 << 20
	w := newTimedWriter(limit, 200)
	serveCtx(t.Context(), s, "/size/endless", w)
	if w.n < limit || w.n > limit+streamChunk || !strings.HasPrefix(w.body.String(), "<!DOCTYPE html>") {
		t.Errorf("/size/endless to a client that leaves after %d bytes: %d bytes, starting %q", limit, w.n, w.body.String())
	}
	if w.header.Get("Content-Length") != "" {
		t.Errorf("/size/endless has Content-Length %q, want none", w.header.Get("Content-Length"))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	w = newTimedWriter(0, 0)
	serveCtx(ctx, s, "/size/endless", w)
	if w.n > streamChunk {
		t.Errorf("/size/endless with a cancelled request wrote %d bytes", w.n)
	}
}

// countWriter counts body bytes and keeps the first few.
type countWriter struct {
	h    http.Header
	n    int64
	head []byte
}

func (w *countWriter) Header() http.Header { return w.h }
func (w *countWriter) WriteHeader(int)     {}
func (w *countWriter) Write(p []byte) (int, error) {
	if len(w.head) < 256 {
		w.head = append(w.head, p[:min(len(p), 256-len(w.head))]...)
	}
	w.n += int64(len(p))
	return len(p), nil
}

// TestLargeBody streams the default 200 MB body and checks that it is
// exactly that long and was never held in memory.
func TestLargeBody(t *testing.T) {
	s := NewHostile(HostileConfig{Fixtures: SizeFixtures})
	for _, path := range []string{"/size/large", "/size/large.bin"} {
		w := &countWriter{h: http.Header{}}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		serveCtx(t.Context(), s, path, w)
		runtime.ReadMemStats(&after)
		if w.n != DefaultLargeSize || w.h.Get("Content-Length") != strconv.Itoa(DefaultLargeSize) {
			t.Errorf("%s: %d bytes, Content-Length %q; want %d", path, w.n, w.h.Get("Content-Length"), DefaultLargeSize)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
			t.Errorf("%s: serving allocated %d bytes, want a small buffer", path, alloc)
		}
	}
	w := &countWriter{h: http.Header{}}
	serveCtx(t.Context(), NewHostile(HostileConfig{Fixtures: SizeFixtures, LargeSize: 50}), "/size/large", w)
	if w.n != 50 || string(w.head) != string(streamHead("Large body")[:50]) {
		t.Errorf("/size/large of 50 bytes: %d bytes %q", w.n, w.head)
	}
}

// TestGzipBomb checks the bomb's headers, that it is small, and that it
// inflates to BombSize (more than 1 GiB) of HTML: structurally always,
// by inflating it whole unless -short.
func TestGzipBomb(t *testing.T) {
	s := NewHostile(HostileConfig{Fixtures: SizeFixtures})
	rec := serve(s, http.MethodGet, "/size/bomb", "h")
	h := rec.Header()
	body := rec.Body.Bytes()
	if h.Get("Content-Encoding") != "gzip" || h.Get("Content-Type") != "text/html; charset=utf-8" ||
		h.Get("Content-Length") != strconv.Itoa(len(body)) || len(body) > 2<<20 {
		t.Fatalf("/size/bomb: Content-Encoding %q, Content-Type %q, Content-Length %q, %d bytes",
			h.Get("Content-Encoding"), h.Get("Content-Type"), h.Get("Content-Length"), len(body))
	}
	if BombSize <= 1<<30 {
		t.Errorf("BombSize = %d, want more than 1 GiB", BombSize)
	}
	// Structure: one member with the head, then identical members.
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	head, err := io.ReadAll(zr)
	if err != nil || string(head) != bombPrefix {
		t.Fatalf("first member = %q, %v; want the HTML head", head, err)
	}
	rest := body[memberStart(t, body):]
	if len(rest)%bombMembers != 0 {
		t.Fatalf("%d bytes after the head member, not %d equal members", len(rest), bombMembers)
	}
	size := len(rest) / bombMembers
	member := rest[:size]
	for i := range bombMembers {
		if !bytes.Equal(rest[i*size:(i+1)*size], member) {
			t.Fatalf("member %d differs from the first", i+1)
		}
	}
	zr, err = gzip.NewReader(bytes.NewReader(member))
	if err != nil {
		t.Fatal(err)
	}
	chunk, err := io.ReadAll(zr)
	if err != nil || len(chunk) != bombChunk || string(chunk[:6]) != "<p><p>" {
		t.Fatalf("member inflates to %d bytes (%v), want %d of <p>", len(chunk), err, bombChunk)
	}
	if total := int64(len(head)) + bombMembers*int64(len(chunk)); total != BombSize {
		t.Errorf("bomb inflates to %d bytes by its structure, want BombSize %d", total, BombSize)
	}
	if testing.Short() {
		return
	}
	zr, err = gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, BombSize+1))
	if err != nil || n != BombSize {
		t.Errorf("inflating the whole bomb gave %d bytes (%v), want %d", n, err, BombSize)
	}
}

// memberStart returns the offset of the second gzip member.
func memberStart(t *testing.T, body []byte) int {
	t.Helper()
	r := bytes.NewReader(body)
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatal(err)
	}
	return len(body) - r.Len()
}
