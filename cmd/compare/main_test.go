package main

import (
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/testserver"
)

func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		args  []string
		check func(options) bool
	}{
		{"defaults", nil, func(o options) bool {
			return o.site == "generated" && o.cfg == testserver.Config{Pages: 10000, Links: 20} && o.depth == 3 &&
				o.concurrency == 16 && o.runs == 5 && o.warmup == 1 && o.timeout == 5*time.Minute &&
				o.crawl == "crawl" && o.tools == nil && o.only == nil && o.jsonPath == ""
		}},
		{"generated site", []string{"--pages", "200", "--links", "5", "--features", "robots,files", "--seed", "3", "--latency", "20ms"},
			func(o options) bool {
				return o.cfg == testserver.Config{Pages: 200, Links: 5, Seed: 3, Latency: 20 * time.Millisecond,
					Features: testserver.Robots | testserver.Files}
			}},
		{"dir site", []string{"--site", "dir", "--root", dir, "--latency", "1ms"}, func(o options) bool {
			return o.site == "dir" && o.root == dir && o.cfg.Latency == time.Millisecond
		}},
		{"runs", []string{"--depth", "2", "--concurrency", "64", "--runs", "3", "--warmup", "0", "--timeout", "1m", "--json", "x.json"},
			func(o options) bool {
				return o.depth == 2 && o.concurrency == 64 && o.runs == 3 && o.warmup == 0 && o.timeout == time.Minute && o.jsonPath == "x.json"
			}},
		{"tools", []string{"--crawl", "/x/crawl", "--tool", "colly=/bin/colly -u {url} -d {depth}", "--tool", "w=wget2 {url}", "--only", "colly,crawl"},
			func(o options) bool {
				return o.crawl == "/x/crawl" && len(o.tools) == 2 && o.tools[0].name == "colly" &&
					slices.Equal(o.tools[0].argv, []string{"/bin/colly", "-u", "{url}", "-d", "{depth}"}) &&
					o.tools[1].name == "w" && slices.Equal(o.only, []string{"colly", "crawl"})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseArgs(tt.args, io.Discard)
			if err != nil {
				t.Fatalf("parseArgs(%q) = %v", tt.args, err)
			}
			if !tt.check(o) {
				t.Errorf("parseArgs(%q) = %+v", tt.args, o)
			}
		})
	}
}

func TestBadCommandLine(t *testing.T) {
	file := t.TempDir() + "/file"
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable() // some executable, as a crawl binary
	if err != nil {
		t.Fatal(err)
	}
	tests := [][]string{
		{"--nope"},
		{"extra"},
		{"--pages", "x"},
		{"--pages", "0"},
		{"--links", "100000"},
		{"--features", "bogus"},
		{"--latency", "-1s"},
		{"--depth", "0"},
		{"--depth", "101"},
		{"--concurrency", "0"},
		{"--runs", "0"},
		{"--warmup", "-1"},
		{"--timeout", "0s"},
		{"--crawl", ""},
		{"--site", "weird"},
		{"--site", "dir"},
		{"--site", "dir", "--root", t.TempDir() + "/missing"},
		{"--site", "dir", "--root", file},
		{"--site", "dir", "--root", t.TempDir(), "--pages", "5"},
		{"--site", "dir", "--root", t.TempDir(), "--features", "all"},
		{"--root", t.TempDir()},
		{"--tool", "no-equals"},
		{"--tool", "=x {url}"},
		{"--tool", "bad name=x {url}"},
		{"--tool", "x="},
		{"--tool", "x=prog --no-url"},
		{"--tool", "x=prog {url} {bogus}"},
		{"--tool", "x=a {url}", "--tool", "x=b {url}"},
		{"--crawl", exe, "--only", "nope"},
		{"--crawl", exe, "--only", "crawl,crawl"},
		{"--crawl", exe, "--only", "crawl,"},
		{"--crawl", t.TempDir() + "/no-crawl", "--only", "crawl"},
		{"--crawl", exe, "--tool", "x=/no/such/tool {url}", "--only", "x"},
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
		if lines := strings.Count(stderr.String(), "\n"); lines != 1 || !strings.HasPrefix(stderr.String(), "compare: ") {
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
	for _, want := range []string{"usage: compare", "-crawl", "-tool", "-only", "-runs", "-site", "-root"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("run(-h) stderr does not mention %q:\n%s", want, stderr.String())
		}
	}
}
