package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// linkHosts serves a testserver.LinkSite on 127.0.0.1, .2 and .3 and
// names 127.0.0.4, where nothing listens.
type linkHosts struct {
	site             *testserver.LinkSite
	main, a, b, dead string
}

func serveLinkSite(t *testing.T) *linkHosts {
	t.Helper()
	var srvs [3]*httptest.Server
	var bases [3]string
	for i := range srvs {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", i+1))
		if err != nil {
			t.Skipf("cannot listen on 127.0.0.%d: %v", i+1, err)
		}
		srvs[i] = &httptest.Server{Listener: ln, Config: &http.Server{}}
		bases[i] = "http://" + ln.Addr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.4:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.4: %v", err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	h := &linkHosts{main: bases[0], a: bases[1], b: bases[2], dead: dead}
	h.site = testserver.NewLinkSite(h.main, [2]string{h.a, h.b}, dead)
	for _, s := range srvs {
		s.Config.Handler = h.site.Handler()
		s.Start()
		t.Cleanup(s.Close)
	}
	return h
}

// placeholders turns the hosts' addresses in s into {site}, {a}, {b} and
// {dead}, for golden files.
func (h *linkHosts) placeholders(s string) string {
	return strings.NewReplacer(h.main, "{site}", h.a, "{a}", h.b, "{b}", h.dead, "{dead}").Replace(s)
}

// crawlLinkSite crawls the site with --check-links and returns the
// output's path and records by URL.
func crawlLinkSite(t *testing.T, h *linkHosts, retries int, extra ...string) (string, map[string]*store.Record) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.jsonl")
	args := append([]string{"--seed", h.main + "/", "--depth", "1", "--check-links", "--exclude", "/excluded/",
		"--retries", fmt.Sprint(retries), "--backoff-base", "10ms", "--backoff-max", "20ms",
		"--concurrency", "8", "--per-host", "2", "--out", out, "--quiet", "--log-level", "error"}, extra...)
	code, _, stderr := runCLI(t, context.Background(), "", args...)
	if code != exitOK {
		t.Fatalf("crawl exit %d, stderr %q", code, stderr)
	}
	recs := make(map[string]*store.Record)
	err := store.ReadFile(out, func(r *store.Record) error {
		if recs[r.URL] != nil {
			t.Errorf("%s recorded twice", r.URL)
		}
		recs[r.URL] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, recs
}

// TestCheckLinksCrawl: every link the crawl does not follow is requested
// once, by the methods the site's model says (HEAD, GET when HEAD gets an
// error, retries, Retry-After), never parsed, and recorded with check.
func TestCheckLinksCrawl(t *testing.T) {
	h := serveLinkSite(t)
	const retries = 2
	repPath := filepath.Join(t.TempDir(), "report.json")
	_, recs := crawlLinkSite(t, h, retries, "--report", repPath)
	want := h.site.Expect(retries)

	// The report counts the checks by their own outcome.
	var rep struct {
		LinkChecks struct{ Checked, Broken, Blocked int } `json:"link_checks"`
	}
	if b, err := os.ReadFile(repPath); err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("report: %v", err)
	}
	var checks struct{ Checked, Broken, Blocked int }
	for _, w := range want {
		if !w.Check {
			continue
		}
		checks.Checked++
		switch w.ErrorKind {
		case "":
		case "blocked", "robots_disallowed":
			checks.Blocked++
		default:
			checks.Broken++
		}
	}
	if rep.LinkChecks != checks {
		t.Errorf("report link_checks %+v, want %+v", rep.LinkChecks, checks)
	}
	for u, w := range want {
		r := recs[u]
		if r == nil {
			t.Errorf("%s: no record", h.placeholders(u))
			continue
		}
		if r.Status != w.Status || r.ErrorKind != w.ErrorKind || r.Check != w.Check {
			t.Errorf("%s: status %d, error_kind %q (%s), check %t; want %d, %q, check %t",
				h.placeholders(u), r.Status, r.ErrorKind, r.Error, r.Check, w.Status, w.ErrorKind, w.Check)
		}
		if r.Check && (len(r.Links) != 0 || r.Title != "" || r.Anchors != nil) {
			t.Errorf("%s: a link check was parsed: %+v", h.placeholders(u), r)
		}
	}
	for u := range recs {
		if _, ok := want[u]; !ok {
			t.Errorf("%s recorded, not expected", h.placeholders(u))
		}
	}

	methods := make(map[string][]string)
	var busy, maintenance []time.Time
	for _, req := range h.site.Log() {
		u := "http://" + req.Host + req.Path
		if strings.HasSuffix(req.Path, "/robots.txt") {
			continue
		}
		methods[u] = append(methods[u], req.Method)
		switch {
		case strings.HasSuffix(u, "/busy"):
			busy = append(busy, req.Start)
		case strings.HasSuffix(u, "/maintenance"):
			maintenance = append(maintenance, req.Start)
		}
	}
	for u, w := range want {
		if !slices.Equal(methods[u], w.Methods) {
			t.Errorf("%s: requested %v, want %v", h.placeholders(u), methods[u], w.Methods)
		}
	}
	for u, m := range methods {
		if _, ok := want[u]; !ok {
			t.Errorf("%s requested (%v), never expected", h.placeholders(u), m)
		}
	}
	// A HEAD answered 503 with Retry-After: the GET waits for it (with
	// retries; without, the GET confirms at once).
	if len(maintenance) == 2 && retries > 0 && maintenance[1].Sub(maintenance[0]) < testserver.LinkRetryAfter*time.Second-50*time.Millisecond {
		t.Errorf("/maintenance requested by GET %v after its HEAD's 503, before its Retry-After", maintenance[1].Sub(maintenance[0]))
	}
	for i := 1; i < len(busy); i++ {
		if gap := busy[i].Sub(busy[i-1]); gap < testserver.LinkRetryAfter*time.Second-50*time.Millisecond {
			t.Errorf("/busy requested again after %v, before its Retry-After", gap)
		}
	}
	// The anchors say where each URL is linked, and with what text.
	root := recs[h.main+"/"]
	if root == nil || len(root.Anchors) == 0 {
		t.Fatalf("the seed has no anchors: %+v", root)
	}
}

// TestLinksReport: crawl links on the crawl's output gives exactly the
// broken (and, with --blocked, blocked) links of the site's model, by
// page, with their text, and exits 1; the text form is golden. The crawl
// runs at 20 requests a second per host: a check's GET after its HEAD
// keeps that pace too.
func TestLinksReport(t *testing.T) {
	h := serveLinkSite(t)
	const retries = 1
	out, _ := crawlLinkSite(t, h, retries, "--rate", "20")
	want := h.site.Expect(retries)
	last := make(map[string]time.Time)
	for _, req := range h.site.Log() {
		if prev, ok := last[req.Host]; ok {
			// 50 ms apart at the client; the server may see them a
			// little closer.
			if gap := req.Start.Sub(prev); gap < 30*time.Millisecond {
				t.Errorf("%s %s%s %v after the host's previous request", req.Method, h.placeholders("http://"+req.Host), req.Path, gap)
			}
		}
		last[req.Host] = req.Start
	}

	for _, blocked := range []bool{false, true} {
		t.Run(fmt.Sprintf("blocked=%t", blocked), func(t *testing.T) {
			args := []string{"links", "--json", out}
			if blocked {
				args = []string{"links", "--json", "--blocked", out}
			}
			code, stdout, stderr := runCLI(t, context.Background(), "", args...)
			if code != exitFailed || !strings.Contains(stderr, "broken links to") || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 1 and one line", code, stderr)
			}
			var got []string
			for line := range strings.Lines(stdout) {
				var p pageLinks
				if err := json.Unmarshal([]byte(line), &p); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				for _, l := range p.Links {
					got = append(got, p.Page+" "+l.URL+" "+l.Text+" "+l.Verdict)
				}
			}
			var exp []string
			seen := make(map[string]bool)
			for _, l := range h.site.Links() {
				v := want[l.URL].Verdict
				key := l.Page + " " + l.URL + " " + l.Text + " " + string(v)
				if v == testserver.LinkOK || (v == testserver.LinkBlocked && !blocked) || seen[key] {
					continue
				}
				seen[key] = true
				exp = append(exp, key)
			}
			slices.Sort(got)
			slices.Sort(exp)
			if !slices.Equal(got, exp) {
				t.Errorf("crawl links found\n%s\nwant\n%s", h.placeholders(strings.Join(got, "\n")), h.placeholders(strings.Join(exp, "\n")))
			}
		})
	}

	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, context.Background(), "", "links", "--blocked", out)
		if code != exitFailed {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		golden := filepath.Join("testdata", "links.golden.txt")
		got := h.placeholders(stdout) + "stderr: " + h.placeholders(stderr)
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(b) {
			t.Errorf("crawl links --blocked:\n%s\nwant (%s):\n%s", got, golden, b)
		}
	})
}

// TestLinksExitCodes: 0 with nothing broken, 2 on bad input, one line.
func TestLinksExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clean := write("clean.jsonl", `{"url":"http://a.test/","final_url":"http://a.test/","status":200,"anchors":[{"url":"http://a.test/x","text":"x"},{"url":"http://b.test/"}]}
{"url":"http://a.test/x","final_url":"http://b.test/y","status":301}
{"url":"http://b.test/y","final_url":"http://b.test/y","status":200,"check":true}
{"url":"http://b.test/","final_url":"http://b.test/","status":403,"error":"http status 403","error_kind":"blocked","check":true}
`)
	// Two nights: the page's later record links elsewhere; the last
	// output's record wins.
	night1 := write("night1.jsonl", `{"url":"http://a.test/","status":200,"links":["http://e.test/old"]}
{"url":"http://e.test/old","status":404,"error":"http status 404","error_kind":"http_4xx","check":true}
{"url":"http://a.test/quiet","status":200,"links":["http://e.test/old"]}
`)
	night2 := write("night2.jsonl", `{"url":"http://a.test/","status":200,"links":["http://e.test/new"]}
{"url":"http://e.test/new","status":404,"error":"http status 404","error_kind":"http_4xx","check":true}
{"url":"http://a.test/quiet","status":200,"links":[]}
`)
	// A three-hop redirect cycle is a broken link.
	loop := write("loop.jsonl", `{"url":"http://a.test/","status":200,"links":["http://e.test/a"]}
{"url":"http://e.test/a","final_url":"http://e.test/b","status":301,"check":true}
{"url":"http://e.test/b","final_url":"http://e.test/c","status":301,"check":true}
{"url":"http://e.test/c","final_url":"http://e.test/a","status":301,"check":true}
`)
	torn := write("torn.jsonl", `{"url":"http://a.test/"`)
	garbage := write("garbage.jsonl", "not json\n")
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string
	}{
		{"nothing broken", []string{"links", clean}, "", exitOK, "", ""},
		{"blocked is not broken", []string{"links", "--blocked", clean}, "", exitOK,
			"http://a.test/\n  blocked 403 blocked  http://b.test/  \"\"\n", ""},
		{"stdin", []string{"links", "-"}, `{"url":"http://a.test/","status":200,"links":["http://a.test/z"]}
{"url":"http://a.test/z","status":0,"error":"dial tcp: connection refused","error_kind":"connection_refused"}
`, exitFailed, "http://a.test/\n  broken  - connection_refused  http://a.test/z  \"\"\n", "crawl: 1 broken link to 1 URL on 1 page\n"},
		{"the later record wins", []string{"links", night1, night2}, "", exitFailed,
			"http://a.test/\n  broken  404 http_4xx  http://e.test/new  \"\"\n", "crawl: 1 broken link to 1 URL on 1 page\n"},
		{"redirect cycle", []string{"links", loop}, "", exitFailed,
			"http://a.test/\n  broken  301 redirect_loop  http://e.test/a  \"\"\n", "crawl: 1 broken link"},
		{"no file", []string{"links"}, "", exitUsage, "", "needs at least one FILE"},
		{"missing file", []string{"links", filepath.Join(dir, "none.jsonl")}, "", exitUsage, "", "no such file"},
		{"torn", []string{"links", torn}, "", exitUsage, "", "torn last line"},
		{"garbage", []string{"links", garbage}, "", exitUsage, "", "line 1: not a JSON object"},
		{"bad flag", []string{"links", "--bogus", clean}, "", exitUsage, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, context.Background(), tt.stdin, tt.args...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) || strings.Count(stderr, "\n") > 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q in one line", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
