package testserver

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// get fetches url with Accept-Encoding: gzip set by hand, so that the
// transport leaves a gzip body compressed.
func get(t *testing.T, c *http.Client, url string, gz bool) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEncodedOverLoopback(t *testing.T) {
	s := New(Config{Pages: 30, Features: AllFeatures | Encoded})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := srv.Client()

	res, body := get(t, c, srv.URL+"/p/8", true)
	if got := res.Header.Get("Content-Encoding"); got != "gzip" || res.Uncompressed {
		t.Fatalf("/p/8: Content-Encoding %q, Uncompressed %v; want gzip on the wire", got, res.Uncompressed)
	}
	if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
		t.Errorf("/p/8: Vary %q", got)
	}
	html := gunzip(t, body)
	if !bytes.Contains(html, []byte("<title>Page 8 ")) {
		t.Errorf("/p/8 gunzipped is not the page:\n%.200s", html)
	}
	if !bytes.Equal(html, s.Decoded(srv.URL+"/p/8")) {
		t.Error("/p/8: gunzipped body differs from Decoded")
	}
	// Without gzip in Accept-Encoding: identity, the same HTML.
	plain := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer plain.CloseIdleConnections()
	res, body = get(t, plain, srv.URL+"/p/8", false)
	if res.Header.Get("Content-Encoding") != "" || res.Uncompressed {
		t.Errorf("/p/8 without gzip: Content-Encoding %q, Uncompressed %v", res.Header.Get("Content-Encoding"), res.Uncompressed)
	}
	if !bytes.Equal(body, html) {
		t.Error("/p/8 identity body differs from the gunzipped one")
	}

	res, body = get(t, c, srv.URL+"/p/11", true)
	if !slices.Equal(res.TransferEncoding, []string{"chunked"}) || res.ContentLength != -1 {
		t.Errorf("/p/11: TransferEncoding %q, ContentLength %d; want chunked", res.TransferEncoding, res.ContentLength)
	}
	if !bytes.Contains(body, []byte("<title>Page 11 ")) || !bytes.HasSuffix(body, []byte("</html>\n")) {
		t.Errorf("/p/11 body is not the whole page:\n%.200s", body)
	}
	// A plain page keeps its Content-Length.
	res, _ = get(t, c, srv.URL+"/p/2", true)
	if res.ContentLength < 0 || res.Header.Get("Content-Encoding") != "" {
		t.Errorf("/p/2: ContentLength %d, Content-Encoding %q; want identity", res.ContentLength, res.Header.Get("Content-Encoding"))
	}
}

// TestServedMatchesWire checks Served against what a real server sends for
// every resource of the site.
func TestServedMatchesWire(t *testing.T) {
	s := New(Config{Pages: 30, Features: AllFeatures | Encoded, Seed: 4})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var gz, chunked int
	for _, p := range s.Paths() {
		status, h, body, ok := s.Served(srv.URL + p)
		if !ok {
			t.Fatalf("Served(%s) not ok", p)
		}
		res, wire := get(t, c, srv.URL+p, true)
		if status != res.StatusCode || !bytes.Equal(body, wire) {
			t.Errorf("%s: Served %d, %d bytes; wire %d, %d bytes", p, status, len(body), res.StatusCode, len(wire))
		}
		for _, k := range []string{"Content-Type", "Content-Encoding", "Content-Length", "Vary", "Location", "X-Content-Type-Options", "Etag", "Last-Modified"} {
			if h.Get(k) != res.Header.Get(k) {
				t.Errorf("%s: Served %s %q, wire %q", p, k, h.Get(k), res.Header.Get(k))
			}
		}
		if h.Get("Content-Encoding") == "gzip" {
			gz++
		}
		if slices.Equal(res.TransferEncoding, []string{"chunked"}) {
			chunked++
		}
		// Deterministic, and the same for a bare path on ServedHost
		// where the body does not spell the host.
		if _, _, again, _ := s.Served(srv.URL + p); !bytes.Equal(again, body) {
			t.Errorf("%s: Served differs between calls", p)
		}
	}
	if gz == 0 || chunked == 0 {
		t.Errorf("%d gzip and %d chunked responses; want some of each", gz, chunked)
	}
	if len(s.Requests()) != len(s.Paths()) {
		t.Errorf("Requests has %d paths, want %d: Served must not count", len(s.Requests()), len(s.Paths()))
	}
	if _, _, _, ok := s.Served("/nope"); ok {
		t.Error("Served(/nope) ok")
	}
	if _, _, _, ok := NewHostile(HostileConfig{}).Served("/slow/never"); ok {
		t.Error("Served of a hostile fixture ok")
	}
}

func TestEncodedKeepsExpectations(t *testing.T) {
	for _, cfg := range []Config{{Pages: 60, Seed: 3, Features: AllFeatures}, {Pages: 30}} {
		plain := New(cfg)
		cfg.Features |= Encoded
		enc := New(cfg)
		for _, depth := range []int{1, 3, 10} {
			// Only the strong ETags of gzip pages differ: a gzip
			// representation has its own (RFC 9110 §8.8.3).
			a, b := plain.Expect("/", depth), enc.Expect("/", depth)
			for p, o := range b.Records {
				if n := enc.byPath[p]; n.enc == encGzip && o.ETag != "" && !strings.HasPrefix(o.ETag, "W/") {
					if want := strings.TrimSuffix(o.ETag, `-gzip"`) + `"`; want != a.Records[p].ETag {
						t.Errorf("%s: ETag %s with Encoded, %s without", p, o.ETag, a.Records[p].ETag)
					}
					o.ETag = a.Records[p].ETag
					b.Records[p] = o
				}
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%+v depth %d: Encoded changes the expectation", cfg, depth)
			}
		}
		for _, p := range plain.Paths() {
			if !bytes.Equal(plain.Decoded(p), enc.Decoded(p)) {
				t.Errorf("%s: decoded body differs with Encoded", p)
			}
		}
	}
}

func TestDownloads(t *testing.T) {
	s := New(Config{Pages: 60, Seed: 2, Features: Files})
	e := s.Expect("/", 2)
	if o := e.Records[DownloadsPath]; o.Depth != 1 || o.Status != 200 {
		t.Errorf("%s: %+v, want depth 1", DownloadsPath, o)
	}
	var pdfs []string
	for _, l := range s.Links(DownloadsPath, "http://h") {
		p := strings.TrimPrefix(l, "http://h")
		_, h, body, ok := s.Served(p)
		if !ok {
			t.Fatalf("%s not served", p)
		}
		if o := e.Records[p]; o.Depth > 2 || o.Status != 200 {
			t.Errorf("%s: expected %+v", p, o)
		}
		if h.Get("Content-Type") == "application/pdf" {
			pdfs = append(pdfs, p)
			if !bytes.HasPrefix(body, []byte("%PDF-1.4\n")) {
				t.Errorf("%s does not start with %%PDF-1.4", p)
			}
		}
	}
	want := []string{"/doc/0.pdf", "/doc/1.pdf", "/get?id=0", "/get?id=1", "/get?id=2", BigPDFPath}
	if !slices.Equal(pdfs, want) {
		t.Errorf("PDFs linked from %s: %q, want %q", DownloadsPath, pdfs, want)
	}
	_, h, big, _ := s.Served(BigPDFPath)
	if len(big) != BigPDFSize || h.Get("Content-Length") != "3145728" {
		t.Errorf("%s: %d bytes, Content-Length %s", BigPDFPath, len(big), h.Get("Content-Length"))
	}
	if !bytes.Equal(big, New(Config{Pages: 60, Seed: 2, Features: Files}).Decoded(BigPDFPath)) {
		t.Error("big PDF is not deterministic")
	}
	if _, h, _, _ := s.Served(ZipPath); h.Get("Content-Type") != "application/zip" {
		t.Errorf("%s: Content-Type %q", ZipPath, h.Get("Content-Type"))
	}
}
