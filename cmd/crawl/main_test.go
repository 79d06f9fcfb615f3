package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, ctx context.Context, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

func TestBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string // in the one line on stderr
	}{
		{"no seed", nil, "no seed URL"},
		{"unknown flag", []string{"--seed", "http://x/", "--bogus"}, "flag provided but not defined: -bogus"},
		{"seed not a URL", []string{"--seed", "not a url"}, `seed "not a url"`},
		{"seed ftp", []string{"--seed", "ftp://example.com/"}, `seed "ftp://example.com/"`},
		{"seed relative", []string{"--seed", "/just/a/path"}, `seed "/just/a/path"`},
		{"negative depth", []string{"--seed", "http://x/", "--depth", "-1"}, "depth must not be negative"},
		{"negative retries", []string{"--seed", "http://x/", "--retries", "-2"}, "retries must not be negative"},
		{"negative rate", []string{"--seed", "http://x/", "--rate", "-1"}, "rate must not be negative"},
		{"zero concurrency", []string{"--seed", "http://x/", "--concurrency", "0"}, "--concurrency must be greater than zero"},
		{"negative max-body", []string{"--seed", "http://x/", "--max-body", "-5"}, "--max-body must be greater than zero"},
		{"not a number", []string{"--seed", "http://x/", "--depth", "two"}, `invalid value "two" for flag -depth`},
		{"bad duration", []string{"--seed", "http://x/", "--timeout", "5"}, `invalid value "5" for flag -timeout`},
		{"bad scope", []string{"--seed", "http://x/", "--scope", "galaxy"}, `scope "galaxy"`},
		{"bad regexp", []string{"--seed", "http://x/", "--include", "("}, "missing closing )"},
		{"bad log level", []string{"--seed", "http://x/", "--log-level", "loud"}, "--log-level"},
		{"bad log format", []string{"--seed", "http://x/", "--log-format", "xml"}, "--log-format"},
		{"stray argument", []string{"--seed", "http://x/", "extra"}, `unexpected argument "extra"`},
		{"missing seeds file", []string{"--seeds", filepath.Join(dir, "nope.txt")}, "nope.txt"},
		{"unwritable output", []string{"--seed", "http://x/", "--out", filepath.Join(dir, "no", "such", "dir.jsonl")}, "dir.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, context.Background(), "", tt.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(stderr, tt.want) || !strings.HasPrefix(stderr, "crawl: ") {
				t.Errorf("stderr %q, want one line starting with \"crawl: \" containing %q", stderr, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), "", "--help")
	if code != exitOK || stderr != "" {
		t.Fatalf("--help: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"--seed URL", "-per-host", "(default 2)", "Examples:", "Exit status:", "-max-body"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help output lacks %q", want)
		}
	}
}

// TestCrawlToFile runs a real crawl of the test server through the command
// line, seeds read from stdin, gzip output, and checks the records.
func TestCrawlToFile(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 60, Links: 5, Seed: 11})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "out.jsonl.gz")

	code, stdout, stderr := runCLI(t, context.Background(), "# seeds\n"+srv.URL+"/\n\n",
		"--seeds", "-", "--depth", "2", "--out", out, "--concurrency", "4", "--per-host", "4", "--log-level", "warn")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing (records go to --out)", stdout)
	}
	exp := site.Expect("/", 2)
	got := map[string]bool{}
	err := store.ReadFile(out, func(r *store.Record) error {
		if got[r.URL] {
			t.Errorf("%s recorded twice", r.URL)
		}
		got[r.URL] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path := range exp.Records {
		if !got[srv.URL+path] {
			t.Errorf("%s not recorded", path)
		}
	}
	if len(got) != len(exp.Records) {
		t.Errorf("%d records, want %d", len(got), len(exp.Records))
	}
}

// TestStdoutOutput checks that records go to stdout by default and logs do
// not.
func TestStdoutOutput(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 10, Links: 3, Seed: 1})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	code, stdout, stderr := runCLI(t, context.Background(), "", "--seed", srv.URL+"/", "--depth", "1")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	n := 0
	if err := store.Read(strings.NewReader(stdout), func(*store.Record) error { n++; return nil }); err != nil {
		t.Fatalf("stdout is not clean JSONL: %v", err)
	}
	if want := len(site.Expect("/", 1).Records); n != want {
		t.Errorf("%d records on stdout, want %d", n, want)
	}
	if !strings.Contains(stderr, "crawl finished") {
		t.Errorf("stderr %q lacks the summary log line", stderr)
	}
}

// TestInterrupted checks that a cancelled crawl exits with the interrupted
// code and leaves only whole lines.
func TestInterrupted(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 2000, Links: 10, Seed: 2, Latency: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Interrupt once the crawl is under way: at the server's 20th request.
	var served atomic.Int32
	h := site.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 20 {
			cancel()
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, stderr := runCLI(t, ctx, "", "--seed", srv.URL+"/", "--depth", "5", "--out", out, "--grace", "50ms", "--log-level", "error")
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitInterrupted, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Error("output ends in a torn line")
	}
	if err := store.Read(bytes.NewReader(data), func(*store.Record) error { return nil }); err != nil {
		t.Errorf("output after interrupt: %v", err)
	}
}
