package testserver

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestHostileServesFixtures checks the status and headers of every fixture
// that answers at once, as the handler sends them.
func TestHostileServesFixtures(t *testing.T) {
	s := NewHostile(HostileConfig{})
	tests := []struct {
		path, status, ctype, location, retryAfter, contains string
	}{
		{"/", "200", "text/html; charset=utf-8", "", "", `<a href="/redir/self">`},
		{"/robots.txt", "404", "text/plain; charset=utf-8", "", "", "everything is allowed"},
		{"/redir/self", "302", "", "/redir/self", "", ""},
		{"/redir/x", "301", "", "/redir/y", "", ""},
		{"/redir/y", "302", "", "x", "", ""},
		{"/redir/long/0", "301", "", "/redir/long/1", "", ""},
		{"/redir/long/11", "302", "", "/redir/long/end", "", ""},
		{"/redir/out", "302", "", "http://127.0.0.2:1/elsewhere", "", ""},
		{"/redir/garbage", "302", "text/html; charset=utf-8", "http://[::1", "", "/trap/redirect-body"},
		{"/redir/bad-escape", "302", "text/html; charset=utf-8", "http://%zz/", "", ""},
		{"/redir/non-http", "302", "text/html; charset=utf-8", "ftp://example.invalid/file", "", ""},
		{"/redir/rel/from", "307", "", "../landing?via=relative", "", ""},
		{"/redir/landing?via=relative", "200", "text/html; charset=utf-8", "", "", "<title>Landing"},
		{"/redir/no-location", "302", "text/html; charset=utf-8", "", "", "/trap/redirect-body"},
		{"/redir/not-modified", "304", "", "", "", ""},
		{"/retry/429-seconds", "429", "text/html; charset=utf-8", "", "2", "/trap/error-body"},
		{"/retry/503", "503", "text/html; charset=utf-8", "", "", ""},
		{"/retry/503-seconds", "503", "text/html; charset=utf-8", "", "2", ""},
		{"/retry/408", "408", "text/html; charset=utf-8", "", "", ""},
		{"/retry/403", "403", "text/html; charset=utf-8", "", "", ""},
		{"/retry/410", "410", "text/html; charset=utf-8", "", "", ""},
		{"/types/doc.pdf", "200", "application/pdf", "", "", "%PDF-1.4"},
		{"/types/img.png", "200", "image/png", "", "", "PNG"},
		{"/types/empty", "200", "text/html; charset=utf-8", "", "", ""},
		{"/types/no-type", "200", "", "", "", "<title>No Content-Type</title>"},
		{"/types/xhtml", "200", "application/xhtml+xml", "", "", "<?xml"},
		{"/types/upper-case", "200", "TEXT/HTML; CHARSET=UTF-8", "", "", ""},
		{"/charset/sjis-header", "200", "text/html; charset=Shift_JIS", "", "", ""},
		{"/cal/2026/11", "200", "text/html; charset=utf-8", "", "", `href="/cal/2026/12"`},
		{"/cal/1/1", "200", "text/html; charset=utf-8", "", "", `href="/cal/1/2"`},
		{"/cal/2026/13", "404", "text/plain; charset=utf-8", "", "", ""},
		{"/cal/02026/1", "404", "text/plain; charset=utf-8", "", "", ""},
		{"/grow/a/a/", "200", "text/html; charset=utf-8", "", "", `href="a/"`},
		{"/grow/a/b/", "404", "text/plain; charset=utf-8", "", "", ""},
		{"/deep/1/2/3/", "200", "text/html; charset=utf-8", "", "", `href="4/"`},
		{"/deep/1/3/", "404", "text/plain; charset=utf-8", "", "", ""},
		{"/loop/x/loop/x/", "200", "text/html; charset=utf-8", "", "", `href="loop/x/"`},
		{"/trap/comment", "200", "text/html; charset=utf-8", "", "", "Trap: comment"},
		{"/nope", "404", "text/plain; charset=utf-8", "", "", ""},
	}
	for _, tt := range tests {
		rec := serve(s, http.MethodGet, tt.path, "h.test")
		body := rec.Body.String()
		h := rec.Result().Header
		if got := strconv.Itoa(rec.Code); got != tt.status {
			t.Errorf("GET %s: status %s, want %s", tt.path, got, tt.status)
		}
		if got := h.Get("Content-Type"); got != tt.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.ctype)
		}
		if got := h.Get("Location"); got != tt.location {
			t.Errorf("GET %s: Location %q, want %q", tt.path, got, tt.location)
		}
		if got := h.Get("Retry-After"); got != tt.retryAfter {
			t.Errorf("GET %s: Retry-After %q, want %q", tt.path, got, tt.retryAfter)
		}
		if !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s: body does not contain %q:\n%.300s", tt.path, tt.contains, body)
		}
		if cl := h.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
			t.Errorf("GET %s: Content-Length %s, body %d bytes", tt.path, cl, len(body))
		}
	}
	// "No Content-Type" means the header is absent, not sniffed.
	if rec := serve(s, http.MethodGet, "/types/no-type", "h"); len(rec.Result().Header.Values("Content-Type")) != 0 {
		t.Errorf("GET /types/no-type: Content-Type %q, want none", rec.Result().Header.Values("Content-Type"))
	}
}

func TestHostileGarbageIsDeterministic(t *testing.T) {
	a := serve(NewHostile(HostileConfig{Seed: 1}), http.MethodGet, "/types/garbage", "h").Body.Bytes()
	b := serve(NewHostile(HostileConfig{Seed: 1}), http.MethodGet, "/types/garbage", "h").Body.Bytes()
	c := serve(NewHostile(HostileConfig{Seed: 2}), http.MethodGet, "/types/garbage", "h").Body.Bytes()
	if string(a) != string(b) || string(a) == string(c) {
		t.Errorf("garbage: same seed equal = %v, different seeds equal = %v; want true, false", string(a) == string(b), string(a) == string(c))
	}
	if len(a) != 4096 || a[0] != 0 || strings.ContainsRune(string(a), '<') || !strings.ContainsRune(string(a[1:]), 0) {
		t.Errorf("garbage: %d bytes, first %#x, want 4096 bytes starting with NUL, more NULs, no '<'", len(a), a[0])
	}
}

// TestSessionIDs checks that every view of a session page links to itself
// with a new id, that the page is served under any id, and that Reset
// restarts the ids.
func TestSessionIDs(t *testing.T) {
	s := NewHostile(HostileConfig{Fixtures: TrapFixtures})
	tests := []struct{ target, want string }{
		{"/session", `href="/session?sid=1"`},
		{"/session?sid=1", `href="/session?sid=2"`},
		{"/session?sid=99&utm_source=x", `href="/session?sid=3"`},
		{"/session/j", `href="/session/j;jsessionid=1"`},
		{"/session/j;jsessionid=1", `href="/session/j;jsessionid=2"`},
		{"/session/php?page=1", `href="/session/php?page=1&amp;PHPSESSID=1"`},
		{"/session/php?PHPSESSID=7&page=1", `href="/session/php?page=1&amp;PHPSESSID=2"`},
	}
	for _, tt := range tests {
		rec := serve(s, http.MethodGet, tt.target, "h")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("GET %s: %d, body without %s:\n%s", tt.target, rec.Code, tt.want, rec.Body.String())
		}
	}
	if got := s.Requests(); got["/session"] != 1 || got["/session?sid=1"] != 1 || got["/session/j;jsessionid=1"] != 1 {
		t.Errorf("Requests() = %v, want each spelling counted under its own path", got)
	}
	s.Reset()
	if body := serve(s, http.MethodGet, "/session", "h").Body.String(); !strings.Contains(body, `href="/session?sid=1"`) {
		t.Errorf("after Reset: /session body without sid=1:\n%s", body)
	}
	if got := s.Links("/session", "http://h"); len(got) != 1 || got[0] != "http://h/session?sid=1" {
		t.Errorf("Links(/session) = %q, want the first view's self link", got)
	}
}

func TestFlakyFailsFirst(t *testing.T) {
	s := NewHostile(HostileConfig{Fixtures: RetryFixtures, FailFirst: 3})
	for round := range 2 {
		var codes []int
		for range 5 {
			codes = append(codes, serve(s, http.MethodGet, "/retry/flaky", "h").Code)
		}
		if want := []int{500, 500, 500, 200, 200}; !slices.Equal(codes, want) {
			t.Errorf("round %d: /retry/flaky answered %v, want %v", round, codes, want)
		}
		s.Reset()
	}
}

func TestHostileMethods(t *testing.T) {
	s := NewHostile(HostileConfig{})
	if rec := serve(s, http.MethodPost, "/types/empty", "h"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /types/empty: %d, want 405", rec.Code)
	}
	if rec := serve(s, http.MethodPost, "/cal/2026/1", "h"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /cal/2026/1: %d, want 405", rec.Code)
	}
	rec := serve(s, http.MethodHead, "/size/large", "h")
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != strconv.Itoa(DefaultLargeSize) {
		t.Errorf("HEAD /size/large: %d, %d bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		in      string
		want    Fixtures
		wantErr bool
	}{
		{"", 0, false},
		{"all", AllFixtures, false},
		{"slow,size", SlowFixtures | SizeFixtures, false},
		{"all,-slow", AllFixtures &^ SlowFixtures, false},
		{"Traps", TrapFixtures, false},
		{"bogus", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseFixtures(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFixtures(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			if back, err := ParseFixtures(got.String()); err != nil || back != got {
				t.Errorf("ParseFixtures(%q) = %v, %v; want %v", got.String(), back, err, got)
			}
		}
	}
}

// TestFixtureGroups checks that each group adds only its own entry points.
func TestFixtureGroups(t *testing.T) {
	prefixes := map[Fixtures][]string{
		SlowFixtures: {"/slow/"}, SizeFixtures: {"/size/"}, RedirectFixtures: {"/redir/"},
		TrapFixtures: {"/cal/", "/grow/", "/deep/", "/loop/", "/session"}, RetryFixtures: {"/retry/"},
		MarkupFixtures: {"/markup/"}, CharsetFixtures: {"/charset/"}, TypeFixtures: {"/types/"},
	}
	total := 0
	for g, want := range prefixes {
		s := NewHostile(HostileConfig{Fixtures: g})
		links := s.Links("/", "http://h")
		if len(links) == 0 {
			t.Errorf("group %v: home page has no links", g)
		}
		total += len(links)
		for _, l := range links {
			if !hasPrefix(strings.TrimPrefix(l, "http://h"), want) {
				t.Errorf("group %v: home links to %s, outside %q", g, l, want)
			}
		}
	}
	if all := NewHostile(HostileConfig{}).Links("/", "http://h"); len(all) != total {
		t.Errorf("all groups: %d home links, want the %d of the groups together", len(all), total)
	}
}
