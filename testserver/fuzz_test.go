package testserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
)

// FuzzHandler serves arbitrary request targets and Host headers: the
// handler must not panic, must answer with a known status, and must send as
// many bytes as its Content-Length says.
func FuzzHandler(f *testing.F) {
	s := New(Config{Pages: 30, Features: AllFeatures})
	f.Add("GET", "/", "", "127.0.0.1:8080")
	f.Add("GET", "/p/1", "", "LOCALHOST:1")
	f.Add("HEAD", "/list", "page=1&sort=asc", "")
	f.Add("GET", "/data/0.txt", "", `x"><script>`)
	f.Add("POST", "/r/0", "a=%zz", "h:99999")
	f.Add("GET", "/%70/../p/1", "", "[::1]:80")
	f.Fuzz(func(t *testing.T, method, path, query, host string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method = method
		req.URL = &url.URL{Path: path, RawQuery: query}
		req.Host = host
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 301, 302, 303, 307, 308, 403, 404, 405, 410, 500:
		default:
			t.Fatalf("%s %q %q: status %d", method, path, query, rec.Code)
		}
		if cl := rec.Header().Get("Content-Length"); cl != "" && method == http.MethodGet && cl != strconv.Itoa(rec.Body.Len()) {
			t.Fatalf("%s %q: Content-Length %s, body %d bytes", method, path, cl, rec.Body.Len())
		}
	})
}

// FuzzParseFeatures: ParseFeatures never panics, and what it accepts
// round-trips through String.
func FuzzParseFeatures(f *testing.F) {
	for _, s := range []string{"", "all", "none", "robots,files", "all,-variants", "-", ",,", "ROBOTS , query"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFeatures(s)
		if err != nil {
			return
		}
		back, err := ParseFeatures(got.String())
		if err != nil || back != got {
			t.Fatalf("ParseFeatures(%q) = %v; ParseFeatures(%q) = %v, %v", s, got, got.String(), back, err)
		}
	})
}
