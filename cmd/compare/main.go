// Command compare runs crawl and other crawlers side by side against a test
// site served in-process on 127.0.0.1, and prints a Markdown table of wall
// time, CPU time, peak memory, pages fetched, completeness and duplicate
// requests.
//
//	compare [--crawl crawl] [--only crawl,wget2] [--tool 'NAME=TEMPLATE' ...]
//	        [--depth 3] [--concurrency 16] [--runs 5] [--warmup 1] [--timeout 5m]
//	        [--latency 0] [--json FILE]
//	        [--site generated] [--pages 10000] [--links 20] [--features none] [--seed 0]
//	compare --site dir --root DIR [same flags]
//
// --site generated (the default) serves a testserver site and checks every
// run against the URLs a depth-limited crawl of it must fetch; --site dir
// serves the static files under --root (e.g. Debian's python3-doc at
// /usr/share/doc/python3.11/html), where only distinct paths are counted.
// --latency delays every HTML page of the generated site, and every
// response of the dir site.
//
// The tools are crawl (the binary --crawl names, looked up on PATH) and
// wget2 (when it is on PATH), then each --tool in order. A tool's template
// is split on spaces (no shell) and its placeholders filled per run: {url}
// the site's root URL, {depth}, {concurrency}, {dir} a fresh temporary
// directory and {out} the file "out" in it. A --tool named crawl or wget2
// replaces that tool's template. --only picks tools by name, in its
// order; the first tool is the baseline of the wall-time ratio.
//
// Each round runs every tool once, one after the other, starting one tool
// later than the round before; --warmup rounds come first and are not
// counted. Each run is a child process with --timeout (then SIGINT, then
// SIGKILL 5s later); its wall time, user+system CPU and peak RSS are
// measured, and the site counts the paths it requested. Tools are started
// through a launcher, this binary run again with the first argument
// __launch: Linux reports a child's peak RSS as at least that of the
// process it was forked from, and compare itself is large. A tool that exits
// non-zero or times out is reported in the table. --json writes every
// run's measurements. --depth must be at least 1: wget2's -l 0 means no
// limit.
//
// Exit codes: 0 success, 1 failure, 2 bad command line, 3 interrupted
// (SIGINT or SIGTERM stops the running tool by its process id).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == launchArg {
		os.Exit(launch(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a bad command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode reports err on stderr in one line and maps it to an exit status.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "compare: interrupted")
		return 3
	}
	fmt.Fprintln(stderr, "compare:", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// run parses args, serves the site, runs every tool --warmup + --runs
// times and prints the comparison on stdout; progress goes to stderr. It
// returns ctx's error when interrupted.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	tools, err := resolveTools(o, stderr)
	if err != nil {
		return err
	}
	launcher, err := launcherPath()
	if err != nil {
		return err
	}
	h := header{
		Date:        time.Now().UTC().Format(time.RFC3339),
		Arch:        machine(ctx),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		NumCPU:      runtime.NumCPU(),
		LoadBefore:  loadAverage(),
		Depth:       o.depth,
		Concurrency: o.concurrency,
		Runs:        o.runs,
		Warmup:      o.warmup,
		Timeout:     o.timeout.String(),
	}
	site, err := startSite(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := site.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	h.Site = site.describe(o)
	h.URL = site.url
	for _, t := range tools {
		h.Commands = append(h.Commands, command{Tool: t.name, Line: shellLine(t.expand(site.vars(o, "$RUN")))})
	}
	if site.expect != nil {
		h.Expected = site.expect.count
		h.Levels = site.expect.levels
		if o.cfg.Latency > 0 {
			h.Ideal = newIdeal(site.expect.delayedLevels, o.concurrency, o.cfg.Latency)
		}
	}
	fmt.Fprintf(stderr, "compare: serving %s at %s\n", h.Site, site.url)

	ms, err := bench(ctx, site, launcher, tools, o, stderr)
	h.LoadAfter = loadAverage()
	if o.jsonPath != "" && len(ms) > 0 {
		// Also after an interruption: the runs done so far.
		if jerr := writeJSON(o.jsonPath, h, ms); jerr != nil {
			return errors.Join(err, jerr)
		}
	}
	if err != nil {
		return err
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.name
	}
	if err := render(stdout, h, summarize(names, ms, h.Expected)); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}
