package testserver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/testserver"
)

func TestTransportUnknownHost(t *testing.T) {
	tr := testserver.Transport{"a.test": http.NotFoundHandler()}
	req, err := http.NewRequest(http.MethodGet, "http://b.test/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := tr.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "connection refused") {
		if resp != nil {
			resp.Body.Close()
		}
		t.Errorf("RoundTrip to an unknown host = %v, want connection refused", err)
	}
}

// TestTransportDeadlineFailsBody checks that a body still streaming when
// the request's deadline passes fails with the deadline's error, as over a
// network, instead of ending cleanly, and that the handler is gone after.
func TestTransportDeadlineFailsBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		site := testserver.NewHostile(testserver.HostileConfig{Fixtures: testserver.SlowFixtures})
		ctx, cancel := context.WithTimeout(t.Context(), 3500*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://h.test/slow/drip", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := testserver.Transport{"h.test": site.Handler()}.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, context.DeadlineExceeded) || string(body) != "<!DO" || time.Since(start) != 3500*time.Millisecond {
			t.Errorf("reading /slow/drip for 3.5s: %q, %v after %v; want 4 bytes, then the deadline", body, err, time.Since(start))
		}
		synctest.Wait()
		if log := site.Log(); len(log) != 1 || log[0].Bytes != 4 {
			t.Errorf("Log() = %+v, want the drip's handler done after 4 bytes", log)
		}
	})
}

// TestTransportCloseStopsHandler checks that closing an endless body ends
// the handler.
func TestTransportCloseStopsHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		site := testserver.NewHostile(testserver.HostileConfig{Fixtures: testserver.SizeFixtures})
		client := memClient(site, "h.test")
		resp, err := client.Get("http://h.test/size/endless")
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil || n != 1<<20 {
			t.Fatalf("read %d bytes of /size/endless: %v", n, err)
		}
		synctest.Wait()
		if log := site.Log(); len(log) != 1 || log[0].Bytes < 1<<20 {
			t.Errorf("Log() = %+v, want the endless handler done", log)
		}
	})
}

func TestTransportHeaders(t *testing.T) {
	site := testserver.NewHostile(testserver.HostileConfig{Fixtures: testserver.TypeFixtures | testserver.RedirectFixtures})
	sniffing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "h.test" || r.RequestURI != "/x?y=1" {
			http.Error(w, "bad request "+r.Host+" "+r.RequestURI, http.StatusBadRequest)
			return
		}
		io.WriteString(w, "<html><title>sniffed</title>")
	})
	tr := testserver.Transport{"h.test": site.Handler(), "sniff.test": sniffing}
	tests := []struct {
		method, url, ctype, location string
		status, bodyLen              int
	}{
		{http.MethodGet, "http://h.test/types/no-type", "", "", 200, -1},
		{http.MethodGet, "http://sniff.test/x?y=1", "text/plain; charset=utf-8", "", 400, -1},
		{http.MethodHead, "http://h.test/types/doc.pdf", "application/pdf", "", 200, 0},
		{http.MethodGet, "http://h.test/redir/garbage", "text/html; charset=utf-8", "http://[::1", 302, -1},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.url, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.ctype ||
			resp.Header.Get("Location") != tt.location || (tt.bodyLen >= 0 && len(body) != tt.bodyLen) {
			t.Errorf("%s %s: %d, Content-Type %q, Location %q, %d body bytes (%v)", tt.method, tt.url,
				resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Location"), len(body), err)
		}
	}
	// A handler that sets no Content-Type gets a sniffed one.
	req, err := http.NewRequest(http.MethodGet, "http://sniff.test/x?y=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "h.test"
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("sniffing handler: %d %q, want 200 with a sniffed text/html", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestTransportGzip checks that the bomb arrives inflated (as through
// net/http's Transport) unless the request asked for encodings itself.
func TestTransportGzip(t *testing.T) {
	site := testserver.NewHostile(testserver.HostileConfig{Fixtures: testserver.SizeFixtures})
	tr := testserver.Transport{"h.test": site.Handler()}
	for _, accept := range []string{"", "gzip"} {
		req, err := http.NewRequest(http.MethodGet, "http://h.test/size/bomb", nil)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		n, err := buf.ReadFrom(io.LimitReader(resp.Body, 10<<20))
		resp.Body.Close()
		switch {
		case err != nil:
			t.Errorf("Accept-Encoding %q: %v", accept, err)
		case accept == "" && (n != 10<<20 || !resp.Uncompressed || resp.Header.Get("Content-Encoding") != "" ||
			!strings.Contains(buf.String()[:200], "<title>Gzip bomb</title>")):
			t.Errorf("no Accept-Encoding: %d bytes, Uncompressed %v, Content-Encoding %q; want 10 MiB of inflated HTML",
				n, resp.Uncompressed, resp.Header.Get("Content-Encoding"))
		case accept != "" && (n > 2<<20 || resp.Header.Get("Content-Encoding") != "gzip"):
			t.Errorf("Accept-Encoding gzip: %d bytes, Content-Encoding %q; want the small compressed body",
				n, resp.Header.Get("Content-Encoding"))
		}
	}
}
