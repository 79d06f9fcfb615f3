package testserver_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-dev/crawl/testserver"
)

// hostileRef is a breadth-first crawler written from the crawler's rules
// (DESIGN.md and the crawler package's documentation), independently of
// the hostile model: it talks to the handler through testserver.Transport
// on fake time and records what it sees. It waits as a polite crawler must
// (Retry-After, Crawl-delay), so its request log passes CheckLog.
type hostileRef struct {
	rt       http.RoundTripper
	origin   string
	c        testserver.Crawl
	maxBody  int64
	timeout  time.Duration
	maxRed   int
	maxRep   int
	agent    string
	disallow []string
	delay    time.Duration
	lastPage time.Time
	records  map[string]testserver.Outcome
}

// refHostileCrawl crawls site from c.Seed and returns its records.
func refHostileCrawl(t *testing.T, site *testserver.Site, c testserver.Crawl) map[string]testserver.Outcome {
	t.Helper()
	r := &hostileRef{
		rt: testserver.Transport{"site.test": site.Handler()}, origin: "http://site.test", c: c,
		maxBody: c.MaxBody, timeout: c.Timeout, maxRed: c.MaxRedirects, maxRep: c.MaxRepeats,
		agent: "crawl", records: map[string]testserver.Outcome{},
	}
	if r.maxBody == 0 {
		r.maxBody = 10 << 20
	}
	if r.timeout == 0 {
		r.timeout = 30 * time.Second
	}
	if r.maxRed == 0 {
		r.maxRed = 10
	}
	if r.maxRep == 0 {
		r.maxRep = 2
	}
	if c.UserAgent != "" {
		r.agent = strings.ToLower(strings.FieldsFunc(c.UserAgent, func(c rune) bool { return c == '/' || c == ' ' })[0])
	}
	if !c.IgnoreRobots && !r.robots(t) {
		r.records[c.Seed] = testserver.Outcome{Err: true, Robots: true, Error: "robots.txt unavailable"}
		return r.records
	}
	type item struct {
		path, parent string
		depth, hops  int
	}
	seen := map[string]bool{dedup(c.Seed): true}
	level := []item{{path: c.Seed}}
	for len(level) > 0 {
		var next []item
		for i := 0; i < len(level); i++ {
			it := level[i]
			if refDisallowed(it.path, r.disallow) {
				r.records[it.path] = testserver.Outcome{Depth: it.depth, Err: true, Robots: true, Error: "disallowed by robots.txt"}
				continue
			}
			o, links, nofollow := r.fetch(t, it.path)
			o.Depth = it.depth
			switch {
			case o.Status >= 300 && o.Status < 400 && !o.Err && strings.HasPrefix(o.Redirect, "/"):
				k := dedup(o.Redirect)
				switch {
				case k == dedup(it.path) || (it.hops > 0 && k == dedup(it.parent)):
					o.Err, o.Error = true, "redirect loop"
				case it.hops >= r.maxRed:
					o.Err, o.Error = true, "too many redirects"
				case !repeated(o.Redirect, r.maxRep) && !seen[k]:
					seen[k] = true
					level = append(level, item{path: o.Redirect, parent: it.path, depth: it.depth, hops: it.hops + 1})
				}
			case it.depth < c.MaxDepth && !(nofollow && !c.IgnoreRobots):
				for _, l := range links {
					p, ok := strings.CutPrefix(l, r.origin)
					if !ok || repeated(p, r.maxRep) || seen[dedup(p)] {
						continue
					}
					seen[dedup(p)] = true
					next = append(next, item{path: p, depth: it.depth + 1})
				}
			}
			r.records[it.path] = o
		}
		level = next
	}
	return r.records
}

// robots reads robots.txt, retrying as the seed's attempts allow; false
// means it stayed unavailable.
func (r *hostileRef) robots(t *testing.T) bool {
	for attempt := 0; attempt <= r.c.Retries; attempt++ {
		path := "/robots.txt"
		for hop := 0; ; hop++ {
			resp, body, err := r.do(path, 512<<10)
			switch {
			case err != nil || resp.StatusCode == 429 || resp.StatusCode >= 500:
			case resp.StatusCode >= 300 && resp.StatusCode < 400 && hop < 5:
				path = resp.Header.Get("Location")
				continue
			case resp.StatusCode >= 200 && resp.StatusCode < 300:
				r.disallow, r.delay = refRobots(body, r.agent)
				return true
			default:
				return true // 4xx: everything allowed
			}
			break
		}
	}
	return false
}

// refRobots returns the Disallow prefixes and Crawl-delay of the robots.txt
// group naming agent, or else of the * group: the reference crawlers'
// reading of robots.txt, independent of the crawler's.
func refRobots(body []byte, agent string) (disallow []string, delay time.Duration) {
	type group struct {
		disallow []string
		delay    time.Duration
	}
	groups := map[string]*group{}
	var cur []*group
	inRules := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case "user-agent":
			if inRules {
				cur, inRules = nil, false
			}
			g := &group{}
			groups[strings.ToLower(v)] = g
			cur = append(cur, g)
		case "disallow", "crawl-delay":
			inRules = true
			for _, g := range cur {
				if k == "disallow" && v != "" {
					g.disallow = append(g.disallow, v)
				} else if secs, err := strconv.ParseFloat(v, 64); k == "crawl-delay" && err == nil {
					g.delay = time.Duration(secs * float64(time.Second))
				}
			}
		}
	}
	g := groups[agent]
	if g == nil {
		g = groups["*"]
	}
	if g == nil {
		return nil, 0
	}
	return g.disallow, g.delay
}

// refDisallowed reports whether path starts with one of the Disallow
// prefixes.
func refDisallowed(path string, disallow []string) bool {
	for _, p := range disallow {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// do makes one request within the timeout and reads at most limit+1 body
// bytes. It waits for the Crawl-delay first.
func (r *hostileRef) do(path string, limit int64) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.origin+path, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	return resp, body, err
}

// fetch fetches a page with retries and returns its outcome (depth left
// out), its links and whether it says nofollow.
func (r *hostileRef) fetch(t *testing.T, path string) (testserver.Outcome, []string, bool) {
	t.Helper()
	var o testserver.Outcome
	for attempt := 1; ; attempt++ {
		if d := time.Until(r.lastPage.Add(r.delay)); r.delay > 0 && d > 0 {
			time.Sleep(d)
		}
		r.lastPage = time.Now()
		resp, body, err := r.do(path, r.maxBody)
		o = testserver.Outcome{Attempts: attempt}
		if resp != nil {
			o.Status, o.ContentType = resp.StatusCode, mediaType(resp.Header.Get("Content-Type"))
		}
		transient := err != nil || o.Status == 408 || o.Status == 429 || o.Status >= 500
		if transient && attempt <= r.c.Retries {
			if resp != nil {
				if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
					time.Sleep(time.Duration(secs) * time.Second)
				} else if at, err := http.ParseTime(resp.Header.Get("Retry-After")); err == nil {
					time.Sleep(time.Until(at))
				}
			}
			continue
		}
		if err != nil {
			o.Err, o.Error, o.Transient = true, "timeout after", true
			return o, nil, false
		}
		if int64(len(body)) > r.maxBody {
			body, o.Truncated = body[:r.maxBody], true
		}
		if o.ContentType == "" && len(body) > 0 {
			o.ContentType = mediaType(http.DetectContentType(body))
		}
		switch loc := resp.Header.Get("Location"); {
		case o.Status >= 300 && o.Status < 400 && loc != "" && o.Status != 304:
			o.Redirect = path
			base, _ := url.Parse(r.origin + path)
			u, err := base.Parse(strings.TrimSpace(loc))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				o.Err, o.Error = true, "unusable location"
				return o, nil, false
			}
			n, _ := normalize(u)
			o.Redirect = n.String()
			if n.Host == "site.test" {
				o.Redirect = key(n)
			}
		case o.Status < 200 || o.Status >= 300:
			o.Err, o.Error = true, "http status "+strconv.Itoa(o.Status)
			if o.Status >= 300 && o.Status < 400 {
				o.Redirect = path
			}
		case o.ContentType == "text/html" || o.ContentType == "application/xhtml+xml":
			title, links, nofollow, err := parseFollow(body, resp.Header.Get("Content-Type"), resp.Request.URL)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			o.Title = title
			return o, links, nofollow
		}
		return o, nil, false
	}
}

// dedup drops session parameters from a path: ;jsessionid=... and the
// sid, phpsessid and jsessionid query parameters.
func dedup(path string) string {
	rest, query, _ := strings.Cut(path, "?")
	if i := strings.Index(strings.ToLower(rest), ";jsessionid="); i >= 0 {
		rest = rest[:i]
	}
	var keep []string
	for p := range strings.SplitSeq(query, "&") {
		name, _, _ := strings.Cut(strings.ToLower(p), "=")
		if p != "" && name != "sid" && name != "phpsessid" && name != "jsessionid" {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return rest
	}
	return rest + "?" + strings.Join(keep, "&")
}

// repeated reports whether a segment of path occurs more than limit times
// (never when limit is negative).
func repeated(path string, limit int) bool {
	if limit < 0 {
		return false
	}
	path, _, _ = strings.Cut(path, "?")
	n := map[string]int{}
	for _, s := range strings.Split(path, "/") {
		if s != "" {
			n[s]++
			if n[s] > limit {
				return true
			}
		}
	}
	return false
}

// TestReferenceHostileCrawlMatchesExpect crawls hostile and robots sites
// with the reference crawler on fake time, with several settings, and
// checks its records, request counts and request timing against the
// sites' expectations.
func TestReferenceHostileCrawlMatchesExpect(t *testing.T) {
	// Reading the size fixtures to the default 10 MiB body limit is slow
	// under the race detector: crawls with that limit leave them out.
	small := testserver.HostileConfig{LargeSize: 100 << 10}
	noSize := testserver.HostileConfig{Fixtures: testserver.AllFixtures &^ testserver.SizeFixtures}
	crawls := []struct {
		name string
		cfg  testserver.HostileConfig
		c    testserver.Crawl
	}{
		{"depth 1", small, testserver.Crawl{Seed: "/", MaxDepth: 1, MaxBody: 64 << 10}},
		{"depth 1 large limit", small, testserver.Crawl{Seed: "/", MaxDepth: 1, MaxBody: 200 << 10}},
		{"depth 3 retries 2", noSize, testserver.Crawl{Seed: "/", MaxDepth: 3, Retries: 2, Timeout: 5 * time.Second}},
		{"depth 4 retries 1", small, testserver.Crawl{Seed: "/", MaxDepth: 4, Retries: 1, Timeout: 500 * time.Millisecond, MaxBody: 32 << 10}},
		{"depth 5 no repeat limit", noSize, testserver.Crawl{Seed: "/", MaxDepth: 5, MaxRepeats: -1, MaxRedirects: 3, IgnoreRobots: true}},
		{"from a trap", noSize, testserver.Crawl{Seed: "/cal/2026/11", MaxDepth: 4}},
	}
	for _, tc := range crawls {
		t.Run("hostile/"+tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				site := testserver.NewHostile(tc.cfg)
				checkRef(t, site, tc.c)
			})
		})
	}
	for _, mode := range testserver.RobotsModes() {
		for _, tc := range []struct {
			retries int
			agent   string
		}{{0, ""}, {3, ""}, {1, "OtherBot/1.0"}} {
			t.Run(fmt.Sprintf("robots/%s/retries=%d/%s", mode, tc.retries, tc.agent), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					site := testserver.NewRobotsSite(testserver.RobotsConfig{Mode: mode})
					checkRef(t, site, testserver.Crawl{Seed: "/", MaxDepth: 2, Retries: tc.retries, UserAgent: tc.agent, Timeout: 3 * time.Second})
				})
			})
		}
	}
}

func checkRef(t *testing.T, site *testserver.Site, c testserver.Crawl) {
	t.Helper()
	got := refHostileCrawl(t, site, c)
	want := site.ExpectCrawl(c)
	if err := want.Compare(got); err != nil {
		t.Error(err)
	}
	for p, g := range got {
		if w := want.Records[p]; g.Transient != w.Transient || g.Title != w.Title {
			t.Errorf("%s: reference %+v, want %+v (fields Compare leaves out)", p, g, w)
		}
	}
	if err := want.CheckRequests(site.Requests(), c.Retries); err != nil {
		t.Error(err)
	}
	if err := want.CheckLog(site.Log()); err != nil {
		t.Error(err)
	}
	for _, p := range want.Never {
		if site.Requests()[p] > 0 {
			t.Errorf("%s is in Never but was requested", p)
		}
	}
}
