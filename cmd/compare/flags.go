package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/crawl-dev/crawl/testserver"
)

// Limits of the command line, so that a typo cannot ask for days of runs.
const (
	maxDepth       = 100
	maxConcurrency = 10000
	maxRuns        = 1000
	maxTools       = 32
)

// options are the parsed command line.
type options struct {
	site        string // generated or dir
	root        string // --site dir: the directory served
	cfg         testserver.Config
	depth       int
	concurrency int
	runs        int
	warmup      int
	timeout     time.Duration
	crawl       string // crawl binary: a path, or a name looked up on PATH
	tools       []tool // --tool, in order
	only        []string
	jsonPath    string
}

// toolFlags collects repeated --tool NAME=TEMPLATE flags.
type toolFlags struct{ tools *[]tool }

func (f toolFlags) String() string { return "" }

func (f toolFlags) Set(s string) error {
	t, err := parseTool(s)
	if err != nil {
		return err
	}
	for _, u := range *f.tools {
		if u.name == t.name {
			return fmt.Errorf("tool %q given twice", t.name)
		}
	}
	if len(*f.tools) >= maxTools {
		return fmt.Errorf("more than %d tools", maxTools)
	}
	*f.tools = append(*f.tools, t)
	return nil
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	var features, only string
	fs.StringVar(&o.site, "site", "generated", "site to serve: generated (testserver) or dir (static files under --root)")
	fs.StringVar(&o.root, "root", "", "--site dir: the `directory` to serve")
	fs.IntVar(&o.cfg.Pages, "pages", 10000, "generated site: number of pages")
	fs.IntVar(&o.cfg.Links, "links", 20, "generated site: links per page")
	fs.StringVar(&features, "features", "none", "generated site: features (all, none, or a list such as robots,redirects)")
	fs.Int64Var(&o.cfg.Seed, "seed", 0, "generated site: generator seed")
	fs.DurationVar(&o.cfg.Latency, "latency", 0, "delay of every HTML page (generated) or every response (dir)")
	fs.IntVar(&o.depth, "depth", 3, "link hops to follow from the root (at least 1)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "fetches in flight per tool")
	fs.IntVar(&o.runs, "runs", 5, "counted runs of each tool")
	fs.IntVar(&o.warmup, "warmup", 1, "rounds run first and not counted")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "time limit of one run")
	fs.StringVar(&o.crawl, "crawl", "crawl", "crawl `binary`: a path, or a name looked up on PATH")
	fs.Var(toolFlags{&o.tools}, "tool", "another tool, `NAME=TEMPLATE` (placeholders {url} {depth} {concurrency} {out} {dir}); repeatable")
	fs.StringVar(&only, "only", "", "comma-separated `names` of the tools to run (default: crawl, wget2 if on PATH, and every --tool)")
	fs.StringVar(&o.jsonPath, "json", "", "write every run's measurements as JSON to `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "usage: compare [flags]\n\nRuns crawl and other crawlers side by side against a test site on 127.0.0.1 and prints a Markdown table.\n\nflags:\n")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return o, err
		}
		return o, usageError{err}
	}
	if fs.NArg() > 0 {
		return o, usagef("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.cfg.Features, err = testserver.ParseFeatures(features); err != nil {
		return o, usagef("--features: %w", err)
	}
	if only != "" {
		o.only = strings.Split(only, ",")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.check(set); err != nil {
		return o, err
	}
	return o, nil
}

// check validates the options; set holds the flags given on the command
// line.
func (o options) check(set map[string]bool) error {
	switch {
	case o.site != "generated" && o.site != "dir":
		return usagef("--site must be generated or dir, got %q", o.site)
	case o.cfg.Pages < 1 || o.cfg.Pages > testserver.MaxPages:
		return usagef("--pages must be in 1..%d, got %d", testserver.MaxPages, o.cfg.Pages)
	case o.cfg.Links < 1 || o.cfg.Links > testserver.MaxLinks:
		return usagef("--links must be in 1..%d, got %d", testserver.MaxLinks, o.cfg.Links)
	case o.cfg.Latency < 0:
		return usagef("--latency must not be negative, got %s", o.cfg.Latency)
	case o.depth < 1 || o.depth > maxDepth:
		return usagef("--depth must be in 1..%d, got %d", maxDepth, o.depth)
	case o.concurrency < 1 || o.concurrency > maxConcurrency:
		return usagef("--concurrency must be in 1..%d, got %d", maxConcurrency, o.concurrency)
	case o.runs < 1 || o.runs > maxRuns:
		return usagef("--runs must be in 1..%d, got %d", maxRuns, o.runs)
	case o.warmup < 0 || o.warmup > maxRuns:
		return usagef("--warmup must be in 0..%d, got %d", maxRuns, o.warmup)
	case o.timeout <= 0:
		return usagef("--timeout must be positive, got %s", o.timeout)
	case o.crawl == "":
		return usagef("--crawl must name a binary")
	}
	if o.site == "generated" {
		if set["root"] {
			return usagef("--root needs --site dir")
		}
		return nil
	}
	for _, name := range []string{"pages", "links", "features", "seed"} {
		if set[name] {
			return usagef("--%s needs --site generated", name)
		}
	}
	if o.root == "" {
		return usagef("--site dir needs --root DIR")
	}
	fi, err := os.Stat(o.root)
	switch {
	case err != nil:
		return usagef("--root: %w", err)
	case !fi.IsDir():
		return usagef("--root: %s is not a directory", o.root)
	}
	return nil
}
