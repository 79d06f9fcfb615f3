package testserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzHostileHandler serves arbitrary requests to a hostile site with a
// request context that has already ended and a client that leaves after
// 1 MiB: the handler must return (no fixture may ignore both), must not
// panic, and must answer with a status the site uses.
func FuzzHostileHandler(f *testing.F) {
	s := NewHostile(HostileConfig{LargeSize: 4 << 20})
	for _, seed := range [][3]string{
		{"GET", "/", ""}, {"GET", "/slow/never", ""}, {"GET", "/slow/drip", ""}, {"GET", "/size/endless", ""},
		{"GET", "/size/bomb", ""}, {"HEAD", "/size/large", ""}, {"GET", "/cal/2026/11", ""}, {"GET", "/cal/0/1", ""},
		{"GET", "/grow/a/a/", ""}, {"GET", "/deep/1/2/", ""}, {"GET", "/loop/x/loop/x/", ""},
		{"GET", "/session", "sid=4&sid=5"}, {"GET", "/session/j;jsessionid=9;x=1", ""}, {"GET", "/session/php", "PHPSESSID=1&page=1"},
		{"POST", "/retry/flaky", ""}, {"GET", "/redir/garbage", ""}, {"GET", "/cal/99999/12", ""}, {"GET", "/deep/1/2/3/4/5/6/7/8/9/10/", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, method, path, query string) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		req.Method = method
		req.URL = &url.URL{Path: path, RawQuery: query}
		w := newTimedWriter(1<<20, 0)
		s.Handler().ServeHTTP(w, req)
		switch w.status {
		case 0, 200, 301, 302, 304, 307, 308, 403, 404, 405, 408, 410, 429, 500, 503:
		default:
			t.Fatalf("%s %q %q: status %d", method, path, query, w.status)
		}
	})
}

// FuzzTrapPage checks that the trap families are closed and canonical:
// every link of a generated page is itself a generated page, and a page's
// path is what it was asked for.
func FuzzTrapPage(f *testing.F) {
	for _, p := range []string{"/cal/2026/11", "/cal/1/1", "/cal/99999/12", "/cal/2026/011", "/grow/a/", "/grow/a/a/a/",
		"/deep/1/", "/deep/1/2/3/", "/deep/1/3/", "/loop/x/", "/loop/x/loop/", "/cal//", "/deep/"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		fx := trapPage(path)
		if fx == nil {
			return
		}
		if fx.path != path || fx.status != 200 || !strings.Contains(string(fx.body), "<title>") {
			t.Fatalf("trapPage(%q) = %+v", path, fx)
		}
		for _, l := range fx.links {
			if trapPage(l) == nil {
				t.Fatalf("trapPage(%q) links to %q, which is no trap page", path, l)
			}
		}
	})
}

// FuzzDedupKey checks that dedupKey is idempotent and keeps the path.
func FuzzDedupKey(f *testing.F) {
	for _, p := range []string{"/a", "/s?sid=1", "/s;jsessionid=2/x", "/p?b=1&a=2&utm_x=3", "/p?&&", "/;JSESSIONID="} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		k := dedupKey(path)
		if again := dedupKey(k); again != k {
			t.Fatalf("dedupKey(%q) = %q, but dedupKey(%q) = %q", path, k, k, again)
		}
		if !strings.Contains(path, ";") && !strings.HasPrefix(path, strings.SplitN(k, "?", 2)[0]) {
			t.Fatalf("dedupKey(%q) = %q changed the path", path, k)
		}
	})
}
