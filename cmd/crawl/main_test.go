package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/crawler"
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
		{"zero concurrency", []string{"--seed", "http://x/", "--concurrency", "0"}, "concurrency must be greater than zero"},
		{"zero per-host", []string{"--seed", "http://x/", "--per-host", "0"}, "per-host must be greater than zero"},
		{"zero timeout", []string{"--seed", "http://x/", "--timeout", "0s"}, "timeout must be greater than zero"},
		{"negative max-body", []string{"--seed", "http://x/", "--max-body", "-5"}, "max-body must be greater than zero"},
		{"zero max-url-length", []string{"--seed", "http://x/", "--max-url-length", "0"}, "max-url-length must be greater than zero"},
		{"empty user-agent", []string{"--seed", "http://x/", "--user-agent", ""}, "user-agent must not be empty"},
		{"negative max-repeats", []string{"--seed", "http://x/", "--max-repeats", "-1"}, "max-repeats must not be negative"},
		{"backoff base above max", []string{"--seed", "http://x/", "--backoff-max", "0s"}, "backoff-base must not exceed backoff-max"},
		{"not a number", []string{"--seed", "http://x/", "--depth", "two"}, `invalid value "two" for flag -depth`},
		{"bad duration", []string{"--seed", "http://x/", "--timeout", "5"}, `invalid value "5" for flag -timeout`},
		{"bad scope", []string{"--seed", "http://x/", "--scope", "galaxy"}, `scope "galaxy"`},
		{"bad regexp", []string{"--seed", "http://x/", "--include", "("}, "missing closing )"},
		{"bad log level", []string{"--seed", "http://x/", "--log-level", "loud"}, "--log-level"},
		{"bad log format", []string{"--seed", "http://x/", "--log-format", "xml"}, "--log-format"},
		{"stray argument", []string{"--seed", "http://x/", "extra"}, `unexpected argument "extra"`},
		{"missing seeds file", []string{"--seeds", filepath.Join(dir, "nope.txt")}, "nope.txt"},
		{"unwritable output", []string{"--seed", "http://x/", "--out", filepath.Join(dir, "no", "such", "dir.jsonl")}, "dir.jsonl"},
		{"unwritable report", []string{"--seed", "http://x/", "--report", filepath.Join(dir, "no", "such", "r.json")}, "--report"},
		{"bad progress", []string{"--seed", "http://x/", "--progress", "sometimes"}, `--progress "sometimes"`},
		{"error rate above 1", []string{"--seed", "http://x/", "--fail-on-error-rate", "1.5"}, "--fail-on-error-rate must be between 0 (off) and 1"},
		{"negative error rate", []string{"--seed", "http://x/", "--fail-on-error-rate", "-0.1"}, "--fail-on-error-rate must be between 0 (off) and 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantUsageError(t, tt.args, tt.want)
		})
	}
}

func TestHelp(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), "", "--help")
	if code != exitOK || stderr != "" {
		t.Fatalf("--help: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"--seed URL", "-per-host", "(default 2)", "Examples:", "Exit status:", "-max-body",
		"-progress string", `(default "auto")`, "-quiet", "-report FILE", "-metrics ADDR", "-fail-on-error-rate R",
		"--fail-on-error-rate 0.05", "\n  4  the crawl completed, but"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help output lacks %q", want)
		}
	}
}

// TestFlagDefaults checks that a command line with only a seed is
// crawler.DefaultConfig(): the flags take their defaults from it.
func TestFlagDefaults(t *testing.T) {
	o, err := parseArgs([]string{"--seed", "http://example.com/"}, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	want := crawler.DefaultConfig()
	want.Seeds = []string{"http://example.com/"}
	if !reflect.DeepEqual(o.cfg, want) {
		t.Errorf("config of a bare command line:\n%+v\nwant crawler.DefaultConfig():\n%+v", o.cfg, want)
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
// code and leaves only whole lines, with a grace period for in-flight
// fetches and with none (--grace 0 abandons them at once).
func TestInterrupted(t *testing.T) {
	for _, grace := range []string{"50ms", "0s"} {
		t.Run(grace, func(t *testing.T) {
			ctx, srv := interruptedAt(t, 20)
			out := filepath.Join(t.TempDir(), "out.jsonl")
			code, _, stderr := runCLI(t, ctx, "", "--seed", srv.URL+"/", "--depth", "5", "--out", out, "--grace", grace, "--log-level", "error")
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
		})
	}
}

// TestMaxRedirects checks that --max-redirects N follows chains of N
// redirects and records the next redirect with an error, its target not
// queued; --max-redirects 0 records every redirect without following it.
func TestMaxRedirects(t *testing.T) {
	tests := []struct {
		flag    string
		expect  int  // testserver.Crawl.MaxRedirects (negative: none followed)
		limited bool // some redirect must be recorded as too many
	}{
		{"0", -1, true},
		{"3", 3, true},
		{"10", 10, true},
	}
	site := testserver.New(testserver.Config{Pages: 40, Links: 4, Seed: 3, Features: testserver.Redirects})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			site.Reset()
			out := filepath.Join(t.TempDir(), "out.jsonl")
			code, _, stderr := runCLI(t, context.Background(), "", "--seed", srv.URL+"/", "--depth", "5",
				"--max-redirects", tt.flag, "--out", out, "--quiet", "--log-level", "error")
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			exp := site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: 5, MaxRedirects: tt.expect})
			got := map[string]*store.Record{}
			if err := store.ReadFile(out, func(r *store.Record) error { got[strings.TrimPrefix(r.URL, srv.URL)] = r; return nil }); err != nil {
				t.Fatal(err)
			}
			limited := 0
			for path, o := range exp.Records {
				r := got[path]
				switch {
				case r == nil:
					t.Errorf("%s not recorded", path)
				case r.Status != o.Status || r.ErrorKind != o.ErrorKind():
					t.Errorf("%s: status %d, error_kind %q; want %d, %q", path, r.Status, r.ErrorKind, o.Status, o.ErrorKind())
				case r.ErrorKind == "too_many_redirects":
					limited++
				}
			}
			if len(got) != len(exp.Records) {
				t.Errorf("%d records, want %d", len(got), len(exp.Records))
			}
			if tt.limited && limited == 0 {
				t.Error("no redirect was recorded as too_many_redirects")
			}
			for _, path := range exp.Never {
				if n := site.Requests()[path]; n > 0 {
					t.Errorf("%s requested %d times, want never", path, n)
				}
			}
		})
	}
}

// readReport reads a --report file.
func readReport(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, data)
	}
	return rep
}

// countRecords counts the records of a JSONL file.
func countRecords(t *testing.T, path string) int {
	t.Helper()
	n := 0
	if err := store.ReadFile(path, func(*store.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestExitErrorRate checks --fail-on-error-rate: exit 4 when the share of
// records with an error is above it, after writing every record, the
// summary and the report; exit 0 when it is not.
func TestExitErrorRate(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 80, Links: 5, Seed: 6, Features: testserver.AllFeatures})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	want := site.Expect("/", 3)
	for _, tt := range []struct {
		rate     string
		code     int
		exceeded bool
	}{
		{"0.01", exitErrorRate, true},
		{"0.99", exitOK, false},
		{"0", exitOK, false},
	} {
		t.Run(tt.rate, func(t *testing.T) {
			dir := t.TempDir()
			out, rep := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "report.json")
			code, _, stderr := runCLI(t, context.Background(), "", "--seed", srv.URL+"/", "--depth", "3", "--retries", "0",
				"--out", out, "--report", rep, "--fail-on-error-rate", tt.rate, "--log-level", "error")
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if n := countRecords(t, out); n != len(want.Records) {
				t.Errorf("%d records written, want %d", n, len(want.Records))
			}
			r := readReport(t, rep)
			if r["exit_code"] != float64(tt.code) || r["outcome"] != "completed" || r["error_rate_exceeded"] != tt.exceeded ||
				r["records"] != float64(len(want.Records)) {
				t.Errorf("report: exit_code %v, outcome %v, error_rate_exceeded %v, records %v; want %d, completed, %v, %d",
					r["exit_code"], r["outcome"], r["error_rate_exceeded"], r["records"], tt.code, tt.exceeded, len(want.Records))
			}
			if !strings.Contains(stderr, "crawl completed in ") {
				t.Errorf("no summary on stderr (--log-level error does not hide it): %q", stderr)
			}
			lastLine := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
			if tt.exceeded != strings.HasPrefix(lastLine, "crawl: ") || (tt.exceeded && !strings.Contains(lastLine, "above --fail-on-error-rate 0.01")) {
				t.Errorf("last line of stderr %q", lastLine)
			}
			matches, err := filepath.Glob(filepath.Join(dir, ".report.json.*"))
			if err != nil || len(matches) != 0 {
				t.Errorf("temporary report files left: %v %v", matches, err)
			}
		})
	}
}

// TestExitNothingFetched: a crawl that ends without one 2xx response
// (a dead seed, a seed that answers 404) exits 6 with one line, still
// writing its records, summary and report; one 2xx is enough for 0.
func TestExitNothingFetched(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/"
	ln.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<title>ok</title>"))
	}))
	defer ok.Close()
	moved := httptest.NewServer(http.RedirectHandler("/home", http.StatusMovedPermanently))
	defer moved.Close()
	for _, tt := range []struct {
		name  string
		seeds []string
		code  int
		extra []string
	}{
		{"dead seed", []string{dead}, exitNothingFetched, nil},
		{"404 seed", []string{notFound.URL + "/"}, exitNothingFetched, nil},
		{"one seed fetched", []string{dead, ok.URL + "/"}, exitOK, nil},
		{"stopped by --max-pages", []string{moved.URL + "/"}, exitOK, []string{"--max-pages", "1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, rep := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "report.json")
			args := append([]string{"--out", out, "--report", rep, "--retries", "0", "--quiet", "--log-level", "error"}, tt.extra...)
			for _, s := range tt.seeds {
				args = append(args, "--seed", s)
			}
			code, _, stderr := runCLI(t, context.Background(), "", args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if n := countRecords(t, out); n != len(tt.seeds) {
				t.Errorf("%d records, want %d", n, len(tt.seeds))
			}
			if r := readReport(t, rep); r["exit_code"] != float64(tt.code) || r["outcome"] != "completed" {
				t.Errorf("report: exit_code %v, outcome %v", r["exit_code"], r["outcome"])
			}
			if tt.code != exitOK && (stderr != "crawl: nothing was fetched: none of the 1 records has a 2xx status (see their errors)\n") {
				t.Errorf("stderr %q, want one line", stderr)
			}
		})
	}
}

// failingWriter fails every write, as a full disk or a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestExitFailed checks that a crawl whose records cannot be written exits
// 1, still with a summary and a report that says so.
func TestExitFailed(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 30, Links: 4, Seed: 1})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	rep := filepath.Join(t.TempDir(), "report.json")
	var errb bytes.Buffer
	err := run(context.Background(), []string{"--seed", srv.URL + "/", "--report", rep, "--log-level", "error"},
		strings.NewReader(""), failingWriter{}, &errb)
	code := exitCode(err, &errb)
	stderr := errb.String()
	if code != exitFailed || !strings.Contains(stderr, "crawl: write records: ") || !strings.Contains(stderr, "no space left on device") {
		t.Errorf("exit %d, stderr %q; want %d and the write error", code, stderr, exitFailed)
	}
	if !strings.Contains(stderr, "crawl failed in ") {
		t.Errorf("no summary: %q", stderr)
	}
	if r := readReport(t, rep); r["exit_code"] != float64(exitFailed) || r["outcome"] != "failed" {
		t.Errorf("report: exit_code %v, outcome %v; want 1, failed", r["exit_code"], r["outcome"])
	}
}

// TestInterruptedReport checks the summary and report of an interrupted
// crawl.
func TestInterruptedReport(t *testing.T) {
	ctx, srv := interruptedAt(t, 20)
	dir := t.TempDir()
	out, rep := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "report.json")
	code, _, stderr := runCLI(t, ctx, "", "--seed", srv.URL+"/", "--depth", "5", "--out", out, "--report", rep,
		"--grace", "50ms", "--log-level", "error")
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitInterrupted, stderr)
	}
	if !strings.Contains(stderr, "crawl interrupted in ") || !strings.HasSuffix(stderr, "crawl: interrupted\n") {
		t.Errorf("stderr %q: want the summary, then the interrupted line", stderr)
	}
	r := readReport(t, rep)
	if r["exit_code"] != float64(exitInterrupted) || r["outcome"] != "interrupted" || r["records"] != float64(countRecords(t, out)) {
		t.Errorf("report: exit_code %v, outcome %v, records %v; want 3, interrupted, %d",
			r["exit_code"], r["outcome"], r["records"], countRecords(t, out))
	}
}

// interruptedAt serves a large, slow test site and returns a context that
// is cancelled when the server gets its n-th request: the crawl is under
// way.
func interruptedAt(t *testing.T, n int64) (context.Context, *httptest.Server) {
	t.Helper()
	site := testserver.New(testserver.Config{Pages: 2000, Links: 10, Seed: 2, Latency: 5 * time.Millisecond})
	cs := &countingServer{h: site.Handler()}
	fired := cs.arm(n)
	srv := httptest.NewServer(cs)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		select {
		case <-fired:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, srv
}

// wantUsageError runs the command with args and checks that it is a bad
// command line: exit 2, nothing on stdout, one line on stderr starting with
// "crawl: " and containing want.
func wantUsageError(t *testing.T, args []string, want string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, context.Background(), "", args...)
	if code != exitUsage {
		t.Errorf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(stderr, want) || !strings.HasPrefix(stderr, "crawl: ") {
		t.Errorf("stderr %q, want one line starting with \"crawl: \" containing %q", stderr, want)
	}
}
