package crawler

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestParseRobots(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		path  string
		allow bool
		delay time.Duration
	}{
		{"empty allows", "", "/x", true, 0},
		{"disallow all", "User-agent: *\nDisallow: /\n", "/x", false, 0},
		{"prefix", "User-agent: *\nDisallow: /private/\n", "/private/a", false, 0},
		{"prefix other path", "User-agent: *\nDisallow: /private/\n", "/public", true, 0},
		{"our group wins over star", "User-agent: *\nDisallow: /\n\nUser-agent: crawl\nDisallow: /no\n", "/yes", true, 0},
		{"our group applies", "User-agent: *\nDisallow: /\n\nUser-agent: crawl\nDisallow: /no\n", "/no/1", false, 0},
		{"other bot only", "User-agent: otherbot\nDisallow: /\n", "/x", true, 0},
		{"longest match allow", "User-agent: *\nDisallow: /a\nAllow: /a/b\n", "/a/b/c", true, 0},
		{"query matched", "User-agent: *\nDisallow: /*?session=\n", "/p?session=1", false, 0},
		{"crawl delay", "User-agent: *\nCrawl-delay: 2.5\nDisallow: /x\n", "/y", true, 2500 * time.Millisecond},
		{"bad crawl delay keeps rules", "User-agent: *\nCrawl-delay: soon\nDisallow: /x\n", "/x", false, 0},
		{"rule before agent ignored", "Disallow: /\nUser-agent: *\nDisallow: /x\n", "/y", true, 0},
		{"comments and CRLF", "# hi\r\nUser-agent: * # all\r\nDisallow: /x # no\r\n", "/x/1", false, 0},
		{"binary garbage allows", "\x00\xff\xfe garbage \x01", "/x", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseRobots([]byte(tt.body), "crawl")
			if got := r.allowed(tt.path); got != tt.allow {
				t.Errorf("allowed(%q) = %v, want %v", tt.path, got, tt.allow)
			}
			if got := r.crawlDelay(); got != tt.delay {
				t.Errorf("crawlDelay() = %v, want %v", got, tt.delay)
			}
		})
	}
}

// TestRobotsCacheFailureNotCached checks RFC 9309's "unavailable" handling:
// a failed fetch is reused only until its backoff ends, then fetched again;
// a success is kept for 24 hours.
func TestRobotsCacheFailureNotCached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newRobotsCache("crawl")
		var calls atomic.Int32
		fail := true
		fetch := func(context.Context) (*robotsRules, bool, error) {
			calls.Add(1)
			if fail {
				return nil, true, errRobotsUnavailable
			}
			return &robotsRules{}, true, nil
		}
		backoff := func(n int) time.Duration { return time.Duration(n) * time.Second }
		ctx := context.Background()

		res := rc.lookup(ctx, "http://h", fetch, backoff)
		if !res.fetched || !errors.Is(res.err, errRobotsUnavailable) {
			t.Fatalf("first lookup = %+v, want fetched with error", res)
		}
		if want := time.Now().Add(time.Second); !res.retryAt.Equal(want) {
			t.Errorf("retryAt = %v, want %v", res.retryAt, want)
		}
		res = rc.lookup(ctx, "http://h", fetch, backoff)
		if res.fetched || res.err == nil || calls.Load() != 1 {
			t.Fatalf("lookup within backoff = %+v after %d fetches, want cached failure after 1", res, calls.Load())
		}
		time.Sleep(time.Second) // fake time: the backoff passes
		res = rc.lookup(ctx, "http://h", fetch, backoff)
		if !res.fetched || calls.Load() != 2 {
			t.Fatalf("lookup after backoff: fetched=%v after %d fetches, want a second fetch", res.fetched, calls.Load())
		}
		if want := time.Now().Add(2 * time.Second); !res.retryAt.Equal(want) {
			t.Errorf("second failure retryAt = %v, want %v (backoff grows)", res.retryAt, want)
		}
		time.Sleep(2 * time.Second)
		fail = false
		res = rc.lookup(ctx, "http://h", fetch, backoff)
		if !res.fetched || res.err != nil || res.rules == nil {
			t.Fatalf("lookup after recovery = %+v, want fetched rules", res)
		}
		time.Sleep(23 * time.Hour)
		if res = rc.lookup(ctx, "http://h", fetch, backoff); res.fetched {
			t.Fatal("rules refetched before 24h")
		}
		time.Sleep(time.Hour)
		if res = rc.lookup(ctx, "http://h", fetch, backoff); !res.fetched {
			t.Fatal("rules not refetched after 24h")
		}
	})
}

// TestRobotsCacheOneFetch checks that concurrent lookups of one origin
// share one fetch.
func TestRobotsCacheOneFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newRobotsCache("crawl")
		var calls atomic.Int32
		release := make(chan struct{})
		fetch := func(context.Context) (*robotsRules, bool, error) {
			calls.Add(1)
			<-release
			return &robotsRules{}, true, nil
		}
		results := make(chan robotsResult, 8)
		for range 8 {
			go func() {
				results <- rc.lookup(context.Background(), "http://h", fetch, func(int) time.Duration { return time.Second })
			}()
		}
		synctest.Wait()
		close(release)
		fetched := 0
		for range 8 {
			r := <-results
			if r.rules == nil {
				t.Fatalf("lookup = %+v, want rules", r)
			}
			if r.fetched {
				fetched++
			}
		}
		if calls.Load() != 1 || fetched != 1 {
			t.Errorf("%d fetches, %d lookups said fetched; want 1 and 1", calls.Load(), fetched)
		}
	})
}

// TestFetchRobotsCutAtLimit: a robots.txt longer than robotsMaxBytes is
// parsed up to its last whole line, so a rule cut at the limit
// ("Allow: /public/only-this" read as "Allow: /") does not apply.
func TestFetchRobotsCutAtLimit(t *testing.T) {
	head := "User-agent: *\nDisallow: /\n"
	// The limit falls just after "Allow: /".
	body := head + strings.Repeat("#", robotsMaxBytes-9-len(head)) + "\nAllow: /public/only-this-page.html\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	defer srv.Close()
	file, err := fetchRobots(context.Background(), srv.Client(), srv.URL, "crawl", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(file) > robotsMaxBytes || bytes.HasSuffix(file, []byte("Allow: /")) {
		t.Fatalf("kept %d bytes ending %q", len(file), file[max(0, len(file)-20):])
	}
	if r := parseRobots(file, "crawl"); r.allowed("/secret") {
		t.Error("/secret allowed: the cut line was read as a rule")
	}
}
