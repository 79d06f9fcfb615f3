//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crawl-dev/crawl/testserver"
)

// readReport reads a --json file.
func readReport(t *testing.T, path string) report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// tableRow returns the table row of tool in out.
func tableRow(t *testing.T, out, tool string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| "+tool+" |") {
			return line
		}
	}
	t.Fatalf("no row for %s in\n%s", tool, out)
	return ""
}

func deref(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// TestFakeTools runs two fake crawlers on a small generated site and checks
// rounds, rotation, counting, completeness, exit codes and the table.
func TestFakeTools(t *testing.T) {
	t.Setenv(fakeEnv, "1")
	site := testserver.New(testserver.Config{Pages: 50, Links: 3})
	e := site.Expect("/", 1)
	if _, ok := e.Records["/p/1"]; !ok {
		t.Fatalf("/p/1 is not within depth 1 of /: %v", e.Paths())
	}
	jsonPath := filepath.Join(t.TempDir(), "runs.json")
	args := []string{"--pages", "50", "--links", "3", "--depth", "1", "--runs", "1", "--warmup", "1", "--json", jsonPath,
		"--tool", fakeTemplate(t, "fake", "ok", "/", "p/1", "p/1", "nope", "robots.txt"),
		"--tool", fakeTemplate(t, "fail", "fail", "/"),
		"--only", "fake,fail"}
	var stdout, stderr strings.Builder
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run = %v; stderr:\n%s", err, stderr.String())
	}
	r := readReport(t, jsonPath)
	var order []string
	for _, m := range r.Runs {
		order = append(order, fmt.Sprintf("%d:%s:%t", m.Round, m.Tool, m.Warmup))
		want := siteCounts{Distinct: 3, Requests: 4, Duplicates: 1, Robots: 1, Methods: map[string]int{"GET": 5}}
		wantExpected, wantUnexpected, wantExit := 2, 1, ""
		if m.Tool == "fail" {
			want = siteCounts{Distinct: 1, Requests: 1, Methods: map[string]int{"GET": 1}}
			wantExpected, wantUnexpected, wantExit = 1, 0, "exit 7"
		}
		got := m.siteCounts
		if got.Distinct != want.Distinct || got.Requests != want.Requests || got.Duplicates != want.Duplicates ||
			got.Robots != want.Robots || got.Methods["GET"] != want.Methods["GET"] || len(got.Methods) != 1 ||
			deref(got.ExpectedRequested) != wantExpected || deref(got.Unexpected) != wantUnexpected {
			t.Errorf("round %d %s: counts %+v (expected %d, unexpected %d), want %+v (%d, %d)", m.Round, m.Tool, got,
				deref(got.ExpectedRequested), deref(got.Unexpected), want, wantExpected, wantUnexpected)
		}
		if m.Tool == "fake" && (!slices.Equal(got.UnexpectedSample, []string{"/nope"}) || len(got.MissingSample) != len(e.Records)-2 ||
			!strings.HasSuffix(got.MissingSample[0], " (depth 1)")) {
			t.Errorf("round %d fake: samples %q, missing %q", m.Round, got.UnexpectedSample, got.MissingSample)
		}
		if m.Exit != wantExit || (wantExit != "" && !strings.Contains(m.Stderr, "failing on purpose")) {
			t.Errorf("round %d %s: exit %q, stderr %q; want %q", m.Round, m.Tool, m.Exit, m.Stderr, wantExit)
		}
		if m.WallSeconds <= 0 || m.Unsettled || len(m.Argv) == 0 || strings.Contains(strings.Join(m.Argv, " "), "{") {
			t.Errorf("round %d %s: %+v", m.Round, m.Tool, m)
		}
	}
	wantOrder := []string{"0:fake:true", "0:fail:true", "1:fail:false", "1:fake:false"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("runs %q, want %q", order, wantOrder)
	}
	if r.Header.Expected != len(e.Records) || len(r.Header.Commands) != 2 || r.Header.Ideal != nil {
		t.Errorf("header %+v, want %d expected and two commands", r.Header, len(e.Records))
	}

	out := stdout.String()
	n := len(e.Records)
	if row := tableRow(t, out, "fake"); !strings.Contains(row, fmt.Sprintf("| 3 [3-3] of %d | %d | 1 | 1 | 1.00 |", n, n-2)) ||
		!strings.HasPrefix(row, "| fake | 0 |") {
		t.Errorf("fake row %q", row)
	}
	if row := tableRow(t, out, "fail"); !strings.HasPrefix(row, "| fail | 7 |") ||
		!strings.Contains(row, fmt.Sprintf("| 1 [1-1] of %d | %d | 0 | 0 |", n, n-1)) {
		t.Errorf("fail row %q", row)
	}
	for _, want := range []string{"fake: `", " ok " + r.Header.URL + " / p/1", "expected: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Count(stderr.String(), "\n"); got != 5 || !strings.Contains(stderr.String(), "exit 7: fake: failing on purpose") {
		t.Errorf("stderr: %d lines, want a banner and a line per run:\n%s", got, stderr.String())
	}
}

// TestDirSite serves a directory with latency and checks that only distinct
// paths and duplicates are counted.
func TestDirSite(t *testing.T) {
	t.Setenv(fakeEnv, "1")
	root := t.TempDir()
	for name, body := range map[string]string{"index.html": `<a href="a.html">a</a>`, "a.html": "a", "sub/b.txt": "b"} {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jsonPath := filepath.Join(t.TempDir(), "runs.json")
	args := []string{"--site", "dir", "--root", root, "--latency", "1ms", "--runs", "1", "--warmup", "0", "--json", jsonPath,
		"--tool", fakeTemplate(t, "fake", "ok", "/", "a.html", "a.html", "sub/b.txt?x=1", "missing"), "--only", "fake"}
	var stdout, stderr strings.Builder
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run = %v; stderr:\n%s", err, stderr.String())
	}
	r := readReport(t, jsonPath)
	if len(r.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(r.Runs))
	}
	c := r.Runs[0].siteCounts
	if c.Distinct != 4 || c.Requests != 5 || c.Duplicates != 1 || c.ExpectedRequested != nil || c.Unexpected != nil {
		t.Errorf("counts %+v, want 4 distinct, 5 requests, no expectation", c)
	}
	out := stdout.String()
	if !strings.Contains(out, "site: dir "+root+" (3 files), latency 1ms") || strings.Contains(out, "expected") ||
		strings.Contains(out, "missing max") {
		t.Errorf("output:\n%s", out)
	}
	if row := tableRow(t, out, "fake"); !strings.Contains(row, "| 4 [4-4] | 1 | 1.00 |") {
		t.Errorf("fake row %q", row)
	}
}

// TestTimeout checks that a tool that never ends is stopped at --timeout
// and reported, not fatal.
func TestTimeout(t *testing.T) {
	t.Setenv(fakeEnv, "1")
	args := []string{"--pages", "10", "--depth", "1", "--runs", "1", "--warmup", "0", "--timeout", "200ms",
		"--tool", fakeTemplate(t, "slow", "hang", "/"), "--only", "slow"}
	var stdout, stderr strings.Builder
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run = %v; stderr:\n%s", err, stderr.String())
	}
	if row := tableRow(t, stdout.String(), "slow"); !strings.HasPrefix(row, "| slow | timeout |") {
		t.Errorf("slow row %q", row)
	}
}

// TestInterrupt has the tool send SIGINT to the test process, as Ctrl-C
// would: run stops the tool, writes the runs so far and returns an
// interruption (exit 3).
func TestInterrupt(t *testing.T) {
	t.Setenv(fakeEnv, "1")
	ctx, stop := signal.NotifyContext(t.Context(), os.Interrupt)
	defer stop()
	jsonPath := filepath.Join(t.TempDir(), "runs.json")
	args := []string{"--pages", "10", "--depth", "1", "--runs", "3", "--warmup", "0", "--json", jsonPath,
		"--tool", fakeTemplate(t, "stop", fmt.Sprintf("stop:%d", os.Getpid()), "/"), "--only", "stop"}
	var stdout, stderr strings.Builder
	err := run(ctx, args, &stdout, &stderr)
	if !errors.Is(err, context.Canceled) || exitCode(err, &stderr) != 3 {
		t.Fatalf("run = %v, want an interruption (exit 3)", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
	r := readReport(t, jsonPath)
	if len(r.Runs) != 1 || r.Runs[0].Exit != "interrupted" || r.Runs[0].Distinct != 1 {
		t.Errorf("runs %+v, want one interrupted run", r.Runs)
	}
}

// TestRealCrawl builds cmd/crawl and compares it with itself on a small
// site: every expected page once, nothing else.
func TestRealCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/crawl")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "crawl")
	build := exec.CommandContext(t.Context(), goBin, "build", "-o", bin, "github.com/crawl-dev/crawl/cmd/crawl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/crawl: %v\n%s", err, out)
	}
	n := len(testserver.New(testserver.Config{Pages: 200, Links: 5}).Expect("/", 2).Records)
	args := []string{"--crawl", bin, "--only", "crawl", "--pages", "200", "--links", "5", "--depth", "2", "--runs", "1", "--warmup", "0"}
	var stdout, stderr strings.Builder
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run = %v; stderr:\n%s", err, stderr.String())
	}
	row := tableRow(t, stdout.String(), "crawl")
	if want := fmt.Sprintf("| %d [%d-%d] of %d | 0 | 0 | 0 | 1.00 |", n, n, n, n); !strings.HasPrefix(row, "| crawl | 0 |") ||
		!strings.Contains(row, want) {
		t.Errorf("crawl row %q, want exit 0 and %q", row, want)
	}
}
