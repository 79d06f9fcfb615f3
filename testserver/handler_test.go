package testserver

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// serve runs one request through the handler without a network.
func serve(s *Site, method, target, host string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	req.Host = host
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func TestHandlerServesModel(t *testing.T) {
	s := New(Config{Features: AllFeatures})
	tests := []struct {
		path     string
		status   int
		ctype    string
		contains string
		location string
	}{
		{"/", 200, "text/html; charset=utf-8", "<title>Home · ", ""},
		{"/p/1", 200, "text/html; charset=utf-8", "<title>Page 1 · ", ""},
		{"/robots.txt", 200, "text/plain; charset=utf-8", "User-agent: *\nDisallow: /private/\n", ""},
		{"/private/0", 200, "text/html; charset=utf-8", "<title>Private 0 · ", ""},
		{"/doc/0.pdf", 200, "application/pdf", "%PDF-1.4", ""},
		{"/data/0.txt", 200, "text/plain; charset=utf-8", "http://127.0.0.1:8080/trap/bin/0", ""},
		{"/missing/0", 404, "text/html; charset=utf-8", "<title>404 Not Found</title>", ""},
		{"/error/0", 500, "text/html; charset=utf-8", "<title>500 Internal Server Error</title>", ""},
		{"/forbidden/0", 403, "text/html; charset=utf-8", "", ""},
		{"/gone/0", 410, "text/html; charset=utf-8", "", ""},
		{"/r/home", 302, "", "", "/"},
		{"/r/out", 302, "", "", "http://127.0.0.2:1/moved"},
		{"/cycle/b", 307, "", "", "a"},
		{"/long/0", 301, "", "", "/long/1"},
		{"/list?page=1&sort=asc", 200, "text/html; charset=utf-8", "<title>List page 1 · ", ""},
		{"/list?page=1", 404, "text/plain; charset=utf-8", "404 page not found", ""},
		{"/nope", 404, "text/plain; charset=utf-8", "404 page not found", ""},
	}
	for _, tt := range tests {
		rec := serve(s, http.MethodGet, tt.path, "127.0.0.1:8080")
		body := rec.Body.String()
		if rec.Code != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, rec.Code, tt.status)
		}
		if got := rec.Header().Get("Content-Type"); got != tt.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.ctype)
		}
		if !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s: body does not contain %q:\n%s", tt.path, tt.contains, body)
		}
		if got := rec.Header().Get("Location"); got != tt.location {
			t.Errorf("GET %s: Location %q, want %q", tt.path, got, tt.location)
		}
		if cl := rec.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
			t.Errorf("GET %s: Content-Length %s, body %d bytes", tt.path, cl, len(body))
		}
	}
	rec := serve(s, http.MethodGet, "/img/0.png", "127.0.0.1:8080")
	if _, err := png.Decode(rec.Body); err != nil {
		t.Errorf("GET /img/0.png: %v", err)
	}
	if rec := serve(New(Config{}), http.MethodGet, "/robots.txt", "h"); rec.Code != 404 {
		t.Errorf("plain site: GET /robots.txt: status %d, want 404", rec.Code)
	}
}

func TestHandlerMethods(t *testing.T) {
	s := New(Config{Pages: 10})
	get := serve(s, http.MethodGet, "/p/1", "h:1")
	head := serve(s, http.MethodHead, "/p/1", "h:1")
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(get.Body.Len()) {
		t.Errorf("HEAD /p/1: status %d, %d body bytes, Content-Length %q; want 200, 0, %d",
			head.Code, head.Body.Len(), head.Header().Get("Content-Length"), get.Body.Len())
	}
	if rec := serve(s, http.MethodPost, "/p/1", "h:1"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /p/1: status %d, want 405", rec.Code)
	}
	if got := s.Requests()["/p/1"]; got != 3 {
		t.Errorf("Requests()[/p/1] = %d, want 3", got)
	}
}

func TestRequestLog(t *testing.T) {
	s := New(Config{Pages: 10, Features: Query})
	for _, target := range []string{"/robots.txt", "/%70/1", "/p/1", "/p/%32", "/list?page=1&sort=asc", "/nope?x=1", "/nope?x=1"} {
		serve(s, http.MethodGet, target, "h")
	}
	want := map[string]int{"/robots.txt": 1, "/p/1": 2, "/p/2": 1, "/list?page=1&sort=asc": 1, "/nope?x=1": 2}
	got := s.Requests()
	if len(got) != len(want) {
		t.Errorf("Requests() = %v, want %v", got, want)
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("Requests()[%q] = %d, want %d", p, got[p], w)
		}
	}
	order := strings.Join(s.Order(), " ")
	if wantOrder := "/robots.txt /p/1 /p/2 /list?page=1&sort=asc /nope?x=1"; order != wantOrder {
		t.Errorf("Order() = %q, want %q", order, wantOrder)
	}
	if s.MaxInflight() != 1 {
		t.Errorf("MaxInflight() = %d after sequential requests, want 1", s.MaxInflight())
	}
	s.Reset()
	if got := s.Requests(); len(got) != 0 {
		t.Errorf("Requests() after Reset = %v, want empty", got)
	}
	if got := s.Order(); len(got) != 0 || s.MaxInflight() != 0 {
		t.Errorf("after Reset: Order() = %v, MaxInflight() = %d, want empty, 0", got, s.MaxInflight())
	}
}

func TestUnknownPathsBounded(t *testing.T) {
	s := New(Config{Pages: 5})
	s.maxUnknown = 3
	for i := range 5 {
		serve(s, http.MethodGet, "/x/"+strconv.Itoa(i), "h")
	}
	got := s.Requests()
	if len(got) != 4 || got[UnknownOverflow] != 2 || got["/x/0"] != 1 {
		t.Errorf("Requests() = %v, want /x/0../x/2 once and %q twice", got, UnknownOverflow)
	}
}

func TestHostForms(t *testing.T) {
	s := New(Config{Pages: 20, Features: AllFeatures, Seed: 2})
	tests := []struct{ host, origin, alt string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", "http://localhost:8080"},
		{"LocalHost:9", "http://LocalHost:9", "http://127.0.0.1:9"},
		{"example.test", "http://example.test", "http://localhost"},
		{"", "http://localhost", "http://127.0.0.1"},
		{`x"><b>:1`, "http://x&#34;&gt;&lt;b&gt;:1", "http://localhost:1"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Host = tt.host
		hf := s.formsFor(req)
		if got := string(hf.forms[holeOrigin]); got != tt.origin {
			t.Errorf("formsFor(%q) origin = %q, want %q", tt.host, got, tt.origin)
		}
		if got := string(hf.forms[holeAlt]); got != tt.alt {
			t.Errorf("formsFor(%q) alt = %q, want %q", tt.host, got, tt.alt)
		}
	}
	// Every page served under a hostile Host keeps it escaped.
	for _, p := range s.Paths() {
		if body := serve(s, http.MethodGet, p, `x"><b>:1`).Body.Bytes(); bytes.Contains(body, []byte(`"><b>`)) {
			t.Errorf("GET %s with a hostile Host: body contains it unescaped", p)
		}
	}
}

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const latency, jitter = 50 * time.Millisecond, 30 * time.Millisecond
		s := New(Config{Pages: 40, Features: AllFeatures, Latency: latency, Jitter: jitter})
		delays := map[time.Duration]bool{}
		for _, p := range s.Paths() {
			start := time.Now()
			rec := serve(s, http.MethodGet, p, "h")
			took := time.Since(start)
			if took != s.Delay(p) {
				t.Errorf("GET %s took %v, want Delay %v", p, took, s.Delay(p))
			}
			html := strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html")
			switch d := s.Delay(p); {
			case html && (d < latency || d >= latency+jitter):
				t.Errorf("Delay(%s) = %v, want in [%v, %v)", p, d, latency, latency+jitter)
			case !html && d != 0:
				t.Errorf("Delay(%s) = %v for a non-HTML response, want 0", p, d)
			case html:
				delays[d] = true
			}
		}
		if len(delays) < 10 {
			t.Errorf("%d distinct HTML delays, want the jitter to spread them", len(delays))
		}
		if d := New(Config{Pages: 40, Features: AllFeatures, Latency: latency, Jitter: jitter}).Delay("/p/7"); d != s.Delay("/p/7") {
			t.Errorf("Delay(/p/7) = %v on a second site, want %v", d, s.Delay("/p/7"))
		}
	})
}

func TestMaxInflight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Pages: 10, Latency: 10 * time.Millisecond})
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() { serve(s, http.MethodGet, "/p/"+strconv.Itoa(i+1), "h") })
		}
		synctest.Wait() // every request is waiting on its latency timer
		if got := s.MaxInflight(); got != 5 {
			t.Errorf("MaxInflight() = %d with 5 requests waiting, want 5", got)
		}
		wg.Wait()
		if got := s.inflight.Load(); got != 0 {
			t.Errorf("inflight = %d after every request finished, want 0", got)
		}
	})
}

func TestCanceledRequestStopsWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Pages: 10, Latency: time.Hour})
		ctx, cancel := context.WithCancel(t.Context())
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/p/1", nil)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			s.Handler().ServeHTTP(rec, req)
			close(done)
		}()
		synctest.Wait()
		cancel()
		<-done
		if rec.Body.Len() != 0 {
			t.Errorf("canceled request wrote %d body bytes, want 0", rec.Body.Len())
		}
	})
}
