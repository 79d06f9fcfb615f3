package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/crawl-dev/crawl/testserver"
)

func TestExpect(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		base   string
		cfg    testserver.Config
		depth  int
		maxRed int
	}{
		{"plain", []string{"--pages", "20", "--links", "3", "--features", "none", "--expect", "1", "--addr", "127.0.0.1:9999"},
			"http://127.0.0.1:9999", testserver.Config{Pages: 20, Links: 3}, 1, 10},
		{"all", []string{"--seed", "4", "--expect", "2", "--addr", "LOCALHOST:80"},
			"http://localhost", testserver.Config{Seed: 4, Features: testserver.AllFeatures}, 2, 10},
		{"unspecified host", []string{"--expect", "0", "--addr", ":8080"},
			"http://127.0.0.1:8080", testserver.Config{Features: testserver.AllFeatures}, 0, 10},
		{"few redirects", []string{"--expect", "3", "--max-redirects", "2", "--addr", "[::]:81"},
			"http://[::1]:81", testserver.Config{Features: testserver.AllFeatures}, 3, 2},
		{"generation", []string{"--pages", "300", "--generation", "3", "--expect", "3", "--addr", "127.0.0.1:9999"},
			"http://127.0.0.1:9999", testserver.Config{Pages: 300, Features: testserver.AllFeatures, Generation: 3}, 3, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if err := run(t.Context(), tt.args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q) = %v", tt.args, err)
			}
			e := testserver.New(tt.cfg).ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: tt.depth, MaxRedirects: tt.maxRed})
			var want strings.Builder
			for _, p := range e.Paths() {
				want.WriteString(tt.base + p + "\n")
			}
			if stdout.String() != want.String() {
				t.Errorf("run(%q) printed\n%s\nwant\n%s", tt.args, stdout.String(), want.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("run(%q) wrote to stderr: %q", tt.args, stderr.String())
			}
		})
	}
}

// TestExpectOtherSites checks --expect for the hostile and robots sites.
func TestExpectOtherSites(t *testing.T) {
	tests := []struct {
		name string
		args []string
		site *testserver.Site
		c    testserver.Crawl
	}{
		{"hostile", []string{"--site", "hostile", "--expect", "2", "--retries", "2", "--addr", "127.0.0.1:9"},
			testserver.NewHostile(testserver.HostileConfig{}), testserver.Crawl{MaxDepth: 2, Retries: 2}},
		{"hostile traps", []string{"--site", "hostile", "--fixtures", "traps", "--expect", "4", "--addr", "127.0.0.1:9"},
			testserver.NewHostile(testserver.HostileConfig{Fixtures: testserver.TrapFixtures}), testserver.Crawl{MaxDepth: 4}},
		{"robots 503", []string{"--site", "robots", "--robots", "503", "--failures", "3", "--expect", "1", "--retries", "2", "--addr", "127.0.0.1:9"},
			testserver.NewRobotsSite(testserver.RobotsConfig{Mode: testserver.RobotsUnavailable, Failures: 3}), testserver.Crawl{MaxDepth: 1, Retries: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if err := run(t.Context(), tt.args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q) = %v", tt.args, err)
			}
			tt.c.Seed = "/"
			var want strings.Builder
			for _, p := range tt.site.ExpectCrawl(tt.c).Paths() {
				want.WriteString("http://127.0.0.1:9" + p + "\n")
			}
			if stdout.String() != want.String() || want.Len() == 0 {
				t.Errorf("run(%q) printed\n%s\nwant\n%s", tt.args, stdout.String(), want.String())
			}
		})
	}
}

func TestBadCommandLine(t *testing.T) {
	tests := [][]string{
		{"--pages", "x"},
		{"--nope"},
		{"--features", "bogus"},
		{"--expect", "-2"},
		{"--pages", "0"},
		{"--links", "100000"},
		{"--latency", "-1s"},
		{"--max-redirects", "-1"},
		{"--addr", "no-port"},
		{"extra"},
		{"--site", "weird"},
		{"--site", "hostile", "--fixtures", "nope"},
		{"--site", "hostile", "--fixtures", "none"},
		{"--site", "robots", "--robots", "418"},
		{"--large-size", "0"},
		{"--retry-after", "-1s"},
		{"--failures", "0"},
		{"--retries", "-1"},
		{"--generation", "-1"},
		{"--generation", "100000"},
		{"--generation", "x"},
	}
	for _, args := range tests {
		var stdout, stderr strings.Builder
		err := run(t.Context(), args, &stdout, &stderr)
		if !errors.As(err, new(usageError)) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
			continue
		}
		if code := exitCode(err, &stderr); code != 2 {
			t.Errorf("run(%q): exit code %d, want 2", args, code)
		}
		if lines := strings.Count(stderr.String(), "\n"); lines != 1 || !strings.HasPrefix(stderr.String(), "testserver: ") {
			t.Errorf("run(%q): stderr %q, want one line", args, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("run(%q): stdout %q, want nothing", args, stdout.String())
		}
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr strings.Builder
	err := run(t.Context(), []string{"-h"}, &stdout, &stderr)
	if code := exitCode(err, io.Discard); code != 0 {
		t.Errorf("run(-h) = %v: exit code %d, want 0", err, code)
	}
	for _, want := range []string{"usage: testserver", "-addr", "-expect", "-features", "-site", "-fixtures", "-robots", "-generation"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("run(-h) stderr does not mention %q:\n%s", want, stderr.String())
		}
	}
}

// lineWriter sends each line written to it on a channel.
type lineWriter struct {
	lines chan string
	buf   []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.lines <- string(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &lineWriter{lines: make(chan string, 10)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--pages", "30", "--features", "robots"}, io.Discard, stderr)
	}()
	var line string
	select {
	case line = <-stderr.lines:
	case err := <-done:
		t.Fatalf("run returned before serving: %v", err)
	}
	m := regexp.MustCompile(`^serving 30 pages at (http://127\.0\.0\.1:\d+/)$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first stderr line %q, want serving 30 pages at http://127.0.0.1:PORT/", line)
	}
	for path, want := range map[string]string{"robots.txt": "Disallow: /private/", "": "<title>Home"} {
		resp, err := http.Get(m[1] + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET /%s: %d %v, body without %q", path, resp.StatusCode, err, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
	if resp, err := http.Get(m[1]); err == nil {
		resp.Body.Close()
		t.Error("server still answers after shutdown")
	}
}

// TestServeOtherSites serves the hostile and robots sites on loopback.
func TestServeOtherSites(t *testing.T) {
	tests := []struct {
		args               []string
		banner, path, want string
		status             int
	}{
		{[]string{"--site", "hostile", "--fixtures", "redirects,charset"}, "the hostile site (fixtures redirects,charset)",
			"/redir/self", "", 302},
		{[]string{"--site", "hostile"}, "the hostile site (fixtures all)", "/types/no-type", "<title>No Content-Type</title>", 200},
		{[]string{"--site", "robots", "--robots", "503"}, "the robots site (robots.txt 503)", "/robots.txt", "", 503},
		{[]string{"--site", "robots", "--robots", "crawl-delay", "--crawl-delay", "3s"}, "the robots site (robots.txt crawl-delay)",
			"/robots.txt", "Crawl-delay: 3\n", 200},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		ctx, cancel := context.WithCancel(t.Context())
		stderr := &lineWriter{lines: make(chan string, 10)}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, tt.args...), io.Discard, stderr)
		}()
		var line string
		select {
		case line = <-stderr.lines:
		case err := <-done:
			cancel()
			t.Fatalf("run(%q) returned before serving: %v", tt.args, err)
		}
		base, ok := strings.CutPrefix(line, "serving "+tt.banner+" at ")
		if !ok {
			cancel()
			t.Fatalf("run(%q): first stderr line %q", tt.args, line)
		}
		resp, err := client.Get(strings.TrimSuffix(base, "/") + tt.path)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("run(%q): GET %s = %d %v, body without %q", tt.args, tt.path, resp.StatusCode, err, tt.want)
		}
		if tt.args[1] == "hostile" && resp.Header.Get("Content-Type") != "" && tt.path == "/types/no-type" {
			t.Errorf("GET /types/no-type over the network: Content-Type %q, want none", resp.Header.Get("Content-Type"))
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run(%q) after cancel = %v", tt.args, err)
		}
	}
}

func TestServeListenError(t *testing.T) {
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stderr strings.Builder
	err = run(t.Context(), []string{"--addr", ln.Addr().String()}, io.Discard, &stderr)
	if err == nil || errors.As(err, new(usageError)) {
		t.Fatalf("run on a busy address = %v, want a listen error", err)
	}
	if code := exitCode(err, &stderr); code != 1 || !strings.Contains(stderr.String(), "listen") {
		t.Errorf("exit code %d, stderr %q; want 1 and the listen error", code, stderr.String())
	}
}

// TestServeGeneration serves a later generation: a page it added answers,
// and a page with a strong ETag answers 304 to it.
func TestServeGeneration(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &lineWriter{lines: make(chan string, 10)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--pages", "200", "--generation", "2"}, io.Discard, stderr)
	}()
	var line string
	select {
	case line = <-stderr.lines:
	case err := <-done:
		t.Fatalf("run returned before serving: %v", err)
	}
	m := regexp.MustCompile(`^serving 200 pages, generation 2 at (http://127\.0\.0\.1:\d+)/$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first stderr line %q, want serving 200 pages, generation 2 at http://127.0.0.1:PORT/", line)
	}
	site := testserver.New(testserver.Config{Pages: 200, Features: testserver.AllFeatures, Generation: 2})
	var added string
	for _, p := range site.Paths() {
		if _, h, _, _ := site.Served(p); strings.HasPrefix(p, "/new/2/") && h.Get("Etag") != "" {
			added = p
			break
		}
	}
	if added == "" {
		t.Fatal("generation 2 added no page /new/2/... with an ETag")
	}
	resp, err := http.Get(m[1] + added)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("Etag")
	if resp.StatusCode != 200 || etag == "" {
		t.Fatalf("GET %s: %d with ETag %q, want 200 with one", added, resp.StatusCode, etag)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m[1]+added, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET %s with If-None-Match %s: %d, want 304", added, etag, resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
}
