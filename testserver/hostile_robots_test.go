package testserver

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/temoto/robotstxt"
)

// TestRobotsServed checks what each mode answers to successive requests
// for robots.txt.
func TestRobotsServed(t *testing.T) {
	tests := []struct {
		mode     RobotsMode
		statuses []int
		contains string // in the last body
	}{
		{RobotsRules, []int{200, 200}, "Disallow: /private/"},
		{RobotsNotFound, []int{404}, ""},
		{RobotsServerError, []int{500, 500, 500, 500}, ""},
		{RobotsUnavailable, []int{503, 503, 200, 200}, "Disallow: /private/"},
		{RobotsTooManyRequests, []int{429, 429, 200}, "Disallow: /private/"},
		{RobotsRedirect, []int{301, 301}, ""},
		{RobotsCrawlDelay, []int{200}, "Crawl-delay: 2\n"},
		{RobotsAgentGroup, []int{200}, "User-agent: crawl\n"},
		{RobotsLarge, []int{200}, "Disallow: /also-private/"},
		{RobotsGarbage, []int{200}, ""},
	}
	for _, tt := range tests {
		s := NewRobotsSite(RobotsConfig{Mode: tt.mode})
		var got []int
		var rec = serve(s, http.MethodGet, "/robots.txt", "h")
		for i := range tt.statuses {
			if i > 0 {
				rec = serve(s, http.MethodGet, "/robots.txt", "h")
			}
			got = append(got, rec.Code)
			if rec.Code == 429 && rec.Header().Get("Retry-After") != "1" {
				t.Errorf("%v: 429 with Retry-After %q, want 1", tt.mode, rec.Header().Get("Retry-After"))
			}
		}
		if !slices.Equal(got, tt.statuses) || !strings.Contains(rec.Body.String(), tt.contains) {
			t.Errorf("%v: robots.txt answered %v, last body %.80q; want %v containing %q", tt.mode, got, rec.Body.String(), tt.statuses, tt.contains)
		}
	}
	if loc := serve(NewRobotsSite(RobotsConfig{Mode: RobotsRedirect}), http.MethodGet, "/robots.txt", "h").Header().Get("Location"); loc != "/robots/real.txt" {
		t.Errorf("redirect: Location %q, want /robots/real.txt", loc)
	}
	if body := serve(NewRobotsSite(RobotsConfig{Mode: RobotsCrawlDelay, CrawlDelay: 1500 * time.Millisecond}), http.MethodGet, "/robots.txt", "h").Body.String(); !strings.Contains(body, "Crawl-delay: 1.5\n") {
		t.Errorf("crawl delay 1.5s: robots.txt %q", body)
	}
	synctest.Test(t, func(t *testing.T) {
		s := NewRobotsSite(RobotsConfig{Mode: RobotsHang})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		w := newTimedWriter(0, 0)
		if took := serveCtx(ctx, s, "/robots.txt", w); took != time.Minute || w.status != 0 {
			t.Errorf("hang: robots.txt answered %d after %v, want nothing until the deadline", w.status, took)
		}
	})
}

// TestRobotsRulesParse parses every mode's robots.txt (the first 500 KiB,
// what RFC 9309 asks for) with the library the crawler uses, and checks
// that it disallows what the model says, for the token "crawl" and another.
func TestRobotsRulesParse(t *testing.T) {
	for _, mode := range RobotsModes() {
		if mode == RobotsHang || mode == RobotsServerError {
			continue // no rules to parse
		}
		s := NewRobotsSite(RobotsConfig{Mode: mode, Failures: 1})
		rec := serve(s, http.MethodGet, "/robots.txt", "h")
		if mode == RobotsRedirect {
			rec = serve(s, http.MethodGet, "/robots/real.txt", "h")
		}
		if mode == RobotsUnavailable || mode == RobotsTooManyRequests {
			rec = serve(s, http.MethodGet, "/robots.txt", "h")
		}
		body := rec.Body.Bytes()
		if rec.Code != 200 {
			body = nil
		}
		if len(body) > 500<<10 {
			body = body[:500<<10]
		}
		data, err := robotstxt.FromBytes(body)
		if err != nil {
			t.Errorf("%v: robotstxt: %v", mode, err)
			continue
		}
		for _, agent := range []string{"crawl", "otherbot"} {
			group := data.FindGroup(agent)
			disallow := s.hostile.robots.disallow(agent)
			for _, p := range append(robotsPages(), "/") {
				if got, want := group.Test(p), !hasPrefix(p, disallow); got != want {
					t.Errorf("%v: %s may fetch %s = %v, want %v", mode, agent, p, got, want)
				}
			}
			if want := s.hostile.robots.crawlDelay(); group.CrawlDelay != want {
				t.Errorf("%v: Crawl-delay %v, want %v", mode, group.CrawlDelay, want)
			}
		}
	}
	large := serve(NewRobotsSite(RobotsConfig{Mode: RobotsLarge}), http.MethodGet, "/robots.txt", "h").Body.String()
	longest := 0
	for line := range strings.Lines(large) {
		longest = max(longest, len(line))
	}
	if len(large) <= 500<<10 || longest < 100<<10 || strings.Index(large, "Disallow: /also-private/") > 200<<10 {
		t.Errorf("large robots.txt: %d bytes, longest line %d, second rule at %d; want > 500 KiB, a 100 KiB line, the rule early",
			len(large), longest, strings.Index(large, "Disallow: /also-private/"))
	}
	garbage := serve(NewRobotsSite(RobotsConfig{Mode: RobotsGarbage, Seed: 3}), http.MethodGet, "/robots.txt", "h").Body.String()
	if len(garbage) != 4096 || strings.ContainsAny(garbage, ":\n#") {
		t.Errorf("garbage robots.txt: %d bytes, with a directive-like byte: %v", len(garbage), strings.ContainsAny(garbage, ":\n#"))
	}
}

func TestParseRobotsMode(t *testing.T) {
	for _, m := range RobotsModes() {
		if got, err := ParseRobotsMode(strings.ToUpper(m.String())); err != nil || got != m {
			t.Errorf("ParseRobotsMode(%q) = %v, %v; want %v", strings.ToUpper(m.String()), got, err, m)
		}
	}
	if _, err := ParseRobotsMode("nope"); err == nil {
		t.Error("ParseRobotsMode(nope) succeeded")
	}
	if got := RobotsMode(200).String(); got != "RobotsMode(200)" {
		t.Errorf("RobotsMode(200).String() = %q", got)
	}
}

// TestRobotsExpect checks the expectations of the robots sites for the
// cases that decide a crawl: unavailable for good, available after
// failures, rules per agent, Crawl-delay, robots ignored.
func TestRobotsExpect(t *testing.T) {
	unavailable := Outcome{Err: true, Robots: true, Error: "robots.txt unavailable"}
	tests := []struct {
		name    string
		cfg     RobotsConfig
		c       Crawl
		records map[string]Outcome // checked exactly when set
		fetched []string           // pages recorded without an error
		denied  []string           // pages recorded as disallowed
		support map[string]int
		gap     time.Duration
	}{
		{name: "500 always", cfg: RobotsConfig{Mode: RobotsServerError}, c: Crawl{Seed: "/", MaxDepth: 2, Retries: 2},
			records: map[string]Outcome{"/": unavailable}, support: map[string]int{"/robots.txt": 3}},
		{name: "hang", cfg: RobotsConfig{Mode: RobotsHang}, c: Crawl{Seed: "/", MaxDepth: 2},
			records: map[string]Outcome{"/": unavailable}, support: map[string]int{"/robots.txt": 1}},
		{name: "503 more often than retried", cfg: RobotsConfig{Mode: RobotsUnavailable, Failures: 3}, c: Crawl{Seed: "/", MaxDepth: 2, Retries: 2},
			records: map[string]Outcome{"/": unavailable}, support: map[string]int{"/robots.txt": 3}},
		{name: "503 then rules", cfg: RobotsConfig{Mode: RobotsUnavailable, Failures: 2}, c: Crawl{Seed: "/", MaxDepth: 1, Retries: 2},
			fetched: []string{"/", "/page/1", "/no-crawl/1", "/no-star/1", "/also-private/1"}, denied: []string{"/private/1"},
			support: map[string]int{"/robots.txt": 3}},
		{name: "429 then rules", cfg: RobotsConfig{Mode: RobotsTooManyRequests, Failures: 1}, c: Crawl{Seed: "/", MaxDepth: 1, Retries: 1},
			fetched: []string{"/", "/page/5"}, denied: []string{"/private/1"}, support: map[string]int{"/robots.txt": 2}},
		{name: "404", cfg: RobotsConfig{Mode: RobotsNotFound}, c: Crawl{Seed: "/", MaxDepth: 1},
			fetched: []string{"/", "/private/1", "/no-crawl/1"}, support: map[string]int{"/robots.txt": 1}},
		{name: "redirect", cfg: RobotsConfig{Mode: RobotsRedirect}, c: Crawl{Seed: "/", MaxDepth: 1},
			fetched: []string{"/page/1"}, denied: []string{"/private/1"}, support: map[string]int{"/robots.txt": 1, "/robots/real.txt": 1}},
		{name: "agent crawl", cfg: RobotsConfig{Mode: RobotsAgentGroup}, c: Crawl{Seed: "/", MaxDepth: 1, UserAgent: "crawl/0.1 (+https://x)"},
			fetched: []string{"/no-star/1"}, denied: []string{"/private/1", "/no-crawl/1"}, support: map[string]int{"/robots.txt": 1}},
		{name: "agent other", cfg: RobotsConfig{Mode: RobotsAgentGroup}, c: Crawl{Seed: "/", MaxDepth: 1, UserAgent: "OtherBot/2"},
			fetched: []string{"/no-crawl/1"}, denied: []string{"/private/1", "/no-star/1"}, support: map[string]int{"/robots.txt": 1}},
		{name: "large", cfg: RobotsConfig{Mode: RobotsLarge}, c: Crawl{Seed: "/", MaxDepth: 1},
			fetched: []string{"/page/2"}, denied: []string{"/private/1", "/also-private/1"}, support: map[string]int{"/robots.txt": 1}},
		{name: "crawl delay", cfg: RobotsConfig{Mode: RobotsCrawlDelay}, c: Crawl{Seed: "/", MaxDepth: 1},
			fetched: []string{"/page/3"}, denied: []string{"/private/1"}, support: map[string]int{"/robots.txt": 1}, gap: 2 * time.Second},
		{name: "ignored", cfg: RobotsConfig{Mode: RobotsServerError}, c: Crawl{Seed: "/", MaxDepth: 1, IgnoreRobots: true},
			fetched: []string{"/", "/private/1"}, support: map[string]int{}},
	}
	for _, tt := range tests {
		e := NewRobotsSite(tt.cfg).ExpectCrawl(tt.c)
		if tt.records != nil && !maps.Equal(e.Records, tt.records) {
			t.Errorf("%s: records %+v, want %+v", tt.name, e.Records, tt.records)
		}
		for _, p := range tt.fetched {
			if o := e.Records[p]; o.Status != 200 || o.Err || o.Attempts != 1 {
				t.Errorf("%s: %s = %+v, want fetched once", tt.name, p, o)
			}
		}
		for _, p := range tt.denied {
			if o := e.Records[p]; !o.Robots || !o.Err || o.Error != "disallowed by robots.txt" {
				t.Errorf("%s: %s = %+v, want disallowed", tt.name, p, o)
			}
			if !slices.Contains(e.Never, p) {
				t.Errorf("%s: %s not in Never %q", tt.name, p, e.Never)
			}
		}
		if !maps.Equal(e.Support, tt.support) || e.MinGap != tt.gap {
			t.Errorf("%s: Support %v, MinGap %v; want %v, %v", tt.name, e.Support, e.MinGap, tt.support, tt.gap)
		}
	}
}
