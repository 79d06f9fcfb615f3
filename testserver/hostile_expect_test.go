package testserver

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHostileExpect pins the expected outcome of the fixtures whose
// outcome depends on the crawl's limits.
func TestHostileExpect(t *testing.T) {
	s := NewHostile(HostileConfig{FailFirst: 2, Latency: 3 * time.Second, LargeSize: 5 << 20})
	tests := []struct {
		name string
		c    Crawl
		path string
		want Outcome
	}{
		{"never", Crawl{Retries: 2}, "/slow/never",
			Outcome{Depth: 1, Err: true, Error: "timeout after", Transient: true, Attempts: 3}},
		{"drip keeps status", Crawl{}, "/slow/drip",
			Outcome{Depth: 1, Status: 200, ContentType: "text/html", Err: true, Error: "timeout after", Transient: true, Attempts: 1}},
		{"latency within timeout", Crawl{Timeout: 4 * time.Second}, "/slow/latency",
			Outcome{Depth: 1, Status: 200, ContentType: "text/html", Title: "Slow page", Attempts: 1}},
		{"latency past timeout", Crawl{Timeout: 2 * time.Second, Retries: 1}, "/slow/latency",
			Outcome{Depth: 1, Err: true, Error: "timeout after", Transient: true, Attempts: 2}},
		{"large fits", Crawl{}, "/size/large.bin",
			Outcome{Depth: 1, Status: 200, ContentType: "application/octet-stream", Attempts: 1}},
		{"large truncated", Crawl{MaxBody: 1 << 20}, "/size/large",
			Outcome{Depth: 1, Status: 200, ContentType: "text/html", Title: "Large body", Truncated: true, Attempts: 1}},
		{"title cut off", Crawl{MaxBody: 20}, "/size/bomb",
			Outcome{Depth: 1, Status: 200, ContentType: "text/html", Truncated: true, Attempts: 1}},
		{"flaky gives up", Crawl{Retries: 1}, "/retry/flaky",
			Outcome{Depth: 1, Status: 500, ContentType: "text/html", Err: true, Error: "http status 500", Attempts: 2}},
		{"flaky succeeds", Crawl{Retries: 2}, "/retry/flaky",
			Outcome{Depth: 1, Status: 200, ContentType: "text/html", Title: "Flaky page, served at last", Attempts: 3}},
		{"429 waits", Crawl{Retries: 3}, "/retry/429-date",
			Outcome{Depth: 1, Status: 429, ContentType: "text/html", Err: true, Error: "http status 429", Attempts: 4, RetryWait: 2 * time.Second}},
		{"429 no retries", Crawl{}, "/retry/429-seconds",
			Outcome{Depth: 1, Status: 429, ContentType: "text/html", Err: true, Error: "http status 429", Attempts: 1}},
		{"403 final", Crawl{Retries: 3}, "/retry/403",
			Outcome{Depth: 1, Status: 403, ContentType: "text/html", Err: true, Error: "http status 403", Attempts: 1}},
		{"408 retried", Crawl{Retries: 3}, "/retry/408",
			Outcome{Depth: 1, Status: 408, ContentType: "text/html", Err: true, Error: "http status 408", Attempts: 4}},
		{"self redirect", Crawl{}, "/redir/self",
			Outcome{Depth: 1, Status: 302, Redirect: "/redir/self", Err: true, Error: "redirect loop", Attempts: 1}},
		{"two-cycle", Crawl{}, "/redir/y",
			Outcome{Depth: 1, Status: 302, Redirect: "/redir/x", Err: true, Error: "redirect loop", Attempts: 1}},
		{"chain limit", Crawl{}, "/redir/long/10",
			Outcome{Depth: 1, Status: 301, Redirect: "/redir/long/11", Err: true, Error: "too many redirects", Attempts: 1}},
		{"chain limit 3", Crawl{MaxRedirects: 3}, "/redir/long/3",
			Outcome{Depth: 1, Status: 307, Redirect: "/redir/long/4", Err: true, Error: "too many redirects", Attempts: 1}},
		{"relative", Crawl{}, "/redir/landing?via=relative",
			Outcome{Depth: 1, Status: 200, ContentType: "text/html", Title: "Landing of a relative redirect", Attempts: 1}},
		{"garbage location", Crawl{}, "/redir/garbage",
			Outcome{Depth: 1, Status: 302, ContentType: "text/html", Redirect: "/redir/garbage", Err: true, Error: "unusable location", Attempts: 1}},
		{"no location", Crawl{}, "/redir/no-location",
			Outcome{Depth: 1, Status: 302, ContentType: "text/html", Redirect: "/redir/no-location", Err: true, Error: "http status 302", Attempts: 1}},
		{"out of scope", Crawl{}, "/redir/out",
			Outcome{Depth: 1, Status: 302, Redirect: "http://" + ExternalHost + "/elsewhere", Attempts: 1}},
		{"sniffed", Crawl{}, "/types/no-type",
			Outcome{Depth: 1, Status: 200, ContentType: "text/html", Title: "No Content-Type", Attempts: 1}},
		{"calendar deep", Crawl{MaxDepth: 5}, "/cal/2027/3",
			Outcome{Depth: 5, Status: 200, ContentType: "text/html", Title: "Calendar: March 2027", Attempts: 1}},
		{"loop within limit", Crawl{MaxDepth: 5}, "/loop/x/loop/x/",
			Outcome{Depth: 2, Status: 200, ContentType: "text/html", Title: "Repeated segments, level 2", Attempts: 1}},
		{"loop without limit", Crawl{MaxDepth: 5, MaxRepeats: -1}, "/loop/x/loop/x/loop/x/loop/x/",
			Outcome{Depth: 4, Status: 200, ContentType: "text/html", Title: "Repeated segments, level 4", Attempts: 1}},
		{"nofollow ignored", Crawl{MaxDepth: 2, IgnoreRobots: true}, "/trap/nofollow",
			Outcome{Depth: 2, Status: 200, ContentType: "text/html", Title: "Trap: nofollow", Attempts: 1}},
	}
	for _, tt := range tests {
		tt.c.Seed = "/"
		tt.c.MaxDepth = max(tt.c.MaxDepth, 1)
		got, ok := s.ExpectCrawl(tt.c).Records[tt.path]
		if !ok || got != tt.want {
			t.Errorf("%s: %s = %+v (%v), want %+v", tt.name, tt.path, got, ok, tt.want)
		}
	}
}

// TestHostileNever checks what a crawl must not request: traps behind
// look-alikes, the next page of every trap, session-id spellings.
func TestHostileNever(t *testing.T) {
	e := NewHostile(HostileConfig{}).Expect("/", 3)
	for _, p := range []string{
		"/trap/comment", "/trap/script", "/trap/style", "/trap/template", "/trap/plaintext", "/trap/eof-in-tag",
		"/trap/error-body", "/trap/redirect-body", "/trap/binary", "/trap/nofollow", "/trap/second-base/page",
		"/markup/base/page", "/redir/long/11", "/redir/long/end", "/cal/2026/8", "/cal/2027/2",
		"/grow/a/a/a/", "/loop/x/loop/x/loop/x/", "/deep/1/2/3/4/",
		"/session?sid=1", "/session/j;jsessionid=1", "/session/php?page=1&PHPSESSID=1",
	} {
		if !slices.Contains(e.Never, p) {
			t.Errorf("Never lacks %s", p)
		}
		if _, ok := e.Records[p]; ok {
			t.Errorf("%s is both recorded and in Never", p)
		}
	}
	for p := range e.Records {
		if slices.Contains(e.Never, p) {
			t.Errorf("%s is both recorded and in Never", p)
		}
	}
	if !slices.Equal(e.External, []string{"http://" + ExternalHost + "/elsewhere"}) {
		t.Errorf("External = %q", e.External)
	}
	// The seed may be anything, even a fixture that fails.
	if o := NewHostile(HostileConfig{}).Expect("/slow/never", 2).Records; len(o) != 1 || !o["/slow/never"].Err {
		t.Errorf("Expect from /slow/never = %+v, want one timeout", o)
	}
}

func TestDedupKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/a", "/a"},
		{"/session?sid=3", "/session"},
		{"/session/j;jsessionid=3", "/session/j"},
		{"/session/j;JSESSIONID=3/x", "/session/j/x"},
		{"/p?page=1&PHPSESSID=2", "/p?page=1"},
		{"/p?b=2&a=1&utm_source=x&&gclid=1", "/p?a=1&b=2"},
		{"/p?", "/p"},
	}
	for _, tt := range tests {
		if got := dedupKey(tt.in); got != tt.want {
			t.Errorf("dedupKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCompareNewFields(t *testing.T) {
	want := Outcome{Status: 200, Err: true, Error: "timeout after", Attempts: 3, Transient: true}
	e := Expectation{Records: map[string]Outcome{"/x": want}}
	tests := []struct {
		name string
		got  Outcome
		ok   bool
	}{
		{"error unknown", Outcome{Status: 200, Err: true}, true},
		{"whole message", Outcome{Status: 200, Err: true, Error: "read body: timeout after 2s", Attempts: 3}, true},
		{"other message", Outcome{Status: 200, Err: true, Error: "http status 500"}, false},
		{"attempts differ", Outcome{Status: 200, Err: true, Attempts: 1}, false},
		{"truncated", Outcome{Status: 200, Err: true, Truncated: true}, false},
	}
	for _, tt := range tests {
		err := e.Compare(map[string]Outcome{"/x": tt.got})
		if (err == nil) != tt.ok {
			t.Errorf("%s: Compare = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	if r := (Outcome{Status: 200, Transient: true}); !r.Retried() {
		t.Error("a timeout after the headers is not Retried")
	}
}

func TestWantRequestsAndCheckLog(t *testing.T) {
	e := Expectation{
		Records: map[string]Outcome{
			"/a": {Status: 200},
			"/b": {Status: 503, Err: true},
			"/c": {Status: 200, Attempts: 3},
			"/d": {Err: true, Robots: true},
			"/e": {Status: 429, Err: true, Attempts: 2, RetryWait: 2 * time.Second},
		},
		Support: map[string]int{"/robots.txt": 2},
		MinGap:  time.Second,
	}
	want := map[string]int{"/robots.txt": 2, "/a": 1, "/b": 3, "/c": 3, "/e": 2}
	if got := e.WantRequests(2); !maps.Equal(got, want) {
		t.Errorf("WantRequests(2) = %v, want %v", got, want)
	}
	at := func(ms int) time.Time { return time.UnixMilli(int64(ms)) }
	good := []Request{
		{Path: "/robots.txt", Start: at(0)}, {Path: "/a", Start: at(100)}, {Path: "/e", Start: at(1100)},
		{Path: "/robots.txt", Start: at(1200)}, {Path: "/e", Start: at(3100)},
	}
	if err := e.CheckLog(good); err != nil {
		t.Errorf("CheckLog(good) = %v", err)
	}
	bad := []Request{{Path: "/a", Start: at(0)}, {Path: "/e", Start: at(500)}, {Path: "/e", Start: at(2000)}}
	err := e.CheckLog(bad)
	if err == nil || !strings.Contains(err.Error(), "/e started 500ms after /a") || !strings.Contains(err.Error(), "Retry-After") {
		t.Errorf("CheckLog(bad) = %v, want a gap and a Retry-After problem", err)
	}
}
