// Command testserver serves a deterministic test website (package
// testserver) for people and benchmark scripts, or prints the records a
// crawl of it must produce.
//
//	testserver [--addr 127.0.0.1:8080] [--pages 100] [--links 10] [--seed 0]
//	           [--latency 0] [--jitter 0] [--features all] [--generation 0]
//	testserver --site hostile [--fixtures all] [--latency 1s] [--drip 1s]
//	           [--large-size 200000000] [--retry-after 2s] [--fail-first 2]
//	testserver --site robots --robots MODE [--failures 2] [--crawl-delay 2s]
//	testserver --expect DEPTH [--retries N] [--addr HOST:PORT] [site flags]
//
// --site picks the site: generated (the default: a synthetic site of
// --pages pages), hostile (fixtures that reproduce broken and hostile
// sites: slow, huge, redirecting, trapping, failing, malformed) or robots
// (a small site whose robots.txt behaves as --robots says: rules, 404, 500,
// 503, 429, hang, redirect, crawl-delay, agent, large, garbage). It serves
// until SIGINT or SIGTERM, then shuts down gracefully.
//
// --generation N serves the generated site as it is after N nightly change
// steps, for testing re-crawls: step k changes ~10% of the pages /p/i (a
// new body, a link to a new page /new/k/i, sometimes one link fewer),
// removes ~3% (404 or 410) and moves ~2% (301 to /renamed/i). Generation 0
// is the site as generated; the same flags with another --generation give
// the same site as it changed. Pages and files send validators (strong or
// weak ETags, Last-Modified, some of them dishonest, some none) and answer
// If-None-Match and If-Modified-Since as RFC 9110 says. Hostile and robots
// sites ignore it.
//
// With --expect it
// prints the absolute URLs a host-scoped crawl of "/" to DEPTH (with
// --retries retries) must record, sorted, one per line, and exits. Exit
// codes: 0 success, 1 the server could not run, 2 bad command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/crawl-dev/crawl/testserver"
)

func main() {
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
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "testserver:", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// options are the parsed command line.
type options struct {
	addr         string
	site         string // generated, hostile or robots
	cfg          testserver.Config
	hostile      testserver.HostileConfig
	robots       testserver.RobotsConfig
	expect       int // -1: serve
	maxRedirects int
	retries      int
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("testserver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	var features, fixtures, robots string
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address `host:port`; also the base of --expect URLs")
	fs.IntVar(&o.cfg.Pages, "pages", testserver.DefaultPages, "number of normal HTML pages")
	fs.IntVar(&o.cfg.Links, "links", testserver.DefaultLinks, "links per page")
	fs.Int64Var(&o.cfg.Seed, "seed", 0, "generator seed: the same flags give the same site")
	fs.StringVar(&o.site, "site", "generated", "site to serve: generated, hostile or robots")
	fs.DurationVar(&o.cfg.Latency, "latency", 0, "delay of every HTML response; with --site hostile, of /slow/latency (0 = 1s)")
	fs.DurationVar(&o.cfg.Jitter, "jitter", 0, "extra per-page delay in [0, jitter), fixed per path")
	fs.StringVar(&features, "features", "all", "site features: all, none, or a list such as robots,redirects or all,-variants")
	fs.IntVar(&o.cfg.Generation, "generation", 0, "serve the generated site after this many nightly change steps (changed, removed, moved and new pages), for re-crawl tests")
	fs.IntVar(&o.expect, "expect", -1, "print the URLs a crawl of / to this `depth` must record, and exit")
	fs.IntVar(&o.maxRedirects, "max-redirects", testserver.DefaultMaxRedirects, "redirect limit of the crawl --expect describes (0 = follow none)")
	fs.IntVar(&o.retries, "retries", 0, "retries of the crawl --expect describes")
	fs.StringVar(&fixtures, "fixtures", "all", "hostile fixture groups: all, or a list such as slow,traps or all,-size")
	fs.DurationVar(&o.hostile.Drip, "drip", testserver.DefaultDrip, "hostile: interval between the bytes of /slow/drip")
	fs.Int64Var(&o.hostile.LargeSize, "large-size", testserver.DefaultLargeSize, "hostile: body `bytes` of /size/large")
	fs.DurationVar(&o.hostile.RetryAfter, "retry-after", testserver.DefaultRetryAfter, "hostile: Retry-After of the 429 and 503 fixtures (whole seconds)")
	fs.IntVar(&o.hostile.FailFirst, "fail-first", testserver.DefaultFailFirst, "hostile: failures of /retry/flaky before it succeeds")
	fs.StringVar(&robots, "robots", "rules", "robots site: how robots.txt behaves (rules, 404, 500, 503, 429, hang, redirect, crawl-delay, agent, large, garbage)")
	fs.IntVar(&o.robots.Failures, "failures", testserver.DefaultRobotsFailures, "robots site: failed robots.txt requests before the rules (modes 503 and 429)")
	fs.DurationVar(&o.robots.CrawlDelay, "crawl-delay", testserver.DefaultCrawlDelay, "robots site: Crawl-delay of mode crawl-delay")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "usage: testserver [flags]\n\nServes a deterministic synthetic website for crawler tests and benchmarks.\n\nflags:\n")
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
	if o.hostile.Fixtures, err = testserver.ParseFixtures(fixtures); err != nil {
		return o, usagef("--fixtures: %w", err)
	}
	if o.robots.Mode, err = testserver.ParseRobotsMode(robots); err != nil {
		return o, usagef("--robots: %w", err)
	}
	o.hostile.Seed, o.robots.Seed = o.cfg.Seed, o.cfg.Seed
	o.hostile.Latency = o.cfg.Latency
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case o.cfg.Pages < 1 || o.cfg.Pages > testserver.MaxPages:
		return o, usagef("--pages must be in 1..%d, got %d", testserver.MaxPages, o.cfg.Pages)
	case o.cfg.Links < 1 || o.cfg.Links > testserver.MaxLinks:
		return o, usagef("--links must be in 1..%d, got %d", testserver.MaxLinks, o.cfg.Links)
	case o.cfg.Generation < 0 || o.cfg.Generation > testserver.MaxGeneration:
		return o, usagef("--generation must be in 0..%d, got %d", testserver.MaxGeneration, o.cfg.Generation)
	case o.cfg.Latency < 0 || o.cfg.Jitter < 0:
		return o, usagef("--latency and --jitter must not be negative")
	case set["expect"] && o.expect < 0:
		return o, usagef("--expect must be a depth >= 0, got %d", o.expect)
	case o.maxRedirects < 0:
		return o, usagef("--max-redirects must not be negative, got %d", o.maxRedirects)
	case o.retries < 0:
		return o, usagef("--retries must not be negative, got %d", o.retries)
	case o.site != "generated" && o.site != "hostile" && o.site != "robots":
		return o, usagef("--site must be generated, hostile or robots, got %q", o.site)
	case o.site == "hostile" && o.hostile.Fixtures == 0:
		return o, usagef("--fixtures selects no fixture group")
	case o.hostile.Drip <= 0 || o.hostile.LargeSize <= 0 || o.hostile.RetryAfter <= 0 || o.hostile.FailFirst <= 0:
		return o, usagef("--drip, --large-size, --retry-after and --fail-first must be positive")
	case o.robots.Failures <= 0 || o.robots.CrawlDelay <= 0:
		return o, usagef("--failures and --crawl-delay must be positive")
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return o, usagef("--addr: %w", err)
	}
	return o, nil
}

// run parses args and either prints the expected URLs or serves the site
// until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	var site *testserver.Site
	var what string
	switch o.site {
	case "hostile":
		site = testserver.NewHostile(o.hostile)
		what = "the hostile site (fixtures " + o.hostile.Fixtures.String() + ")"
	case "robots":
		site = testserver.NewRobotsSite(o.robots)
		what = "the robots site (robots.txt " + o.robots.Mode.String() + ")"
	default:
		site = testserver.New(o.cfg)
		what = fmt.Sprintf("%d pages", site.Pages())
		if g := site.Generation(); g > 0 {
			what += fmt.Sprintf(", generation %d", g)
		}
	}
	if o.expect >= 0 {
		return printExpect(site, o, stdout)
	}
	return serve(ctx, site, what, o.addr, stderr)
}

// printExpect prints the absolute URLs of the records a crawl of "/" to
// o.expect must produce, sorted, with --addr's host:port as the base.
func printExpect(site *testserver.Site, o options, stdout io.Writer) error {
	maxRedirects := o.maxRedirects
	if maxRedirects == 0 {
		maxRedirects = -1 // Crawl's 0 means the default; here it means none
	}
	e := site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: o.expect, MaxRedirects: maxRedirects, Retries: o.retries})
	base := baseURL(o.addr)
	var b strings.Builder
	for _, p := range e.Paths() {
		b.WriteString(base)
		b.WriteString(p)
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return fmt.Errorf("write expected urls: %w", err)
	}
	return nil
}

// baseURL is the normalized http origin of a listen address: an unspecified
// host becomes loopback, port 80 is dropped.
func baseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + strings.ToLower(addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	host = strings.ToLower(host)
	if port == "80" {
		if strings.Contains(host, ":") {
			return "http://[" + host + "]"
		}
		return "http://" + host
	}
	return "http://" + net.JoinHostPort(host, port)
}

// shutdownGrace is how long in-flight requests may take after a signal.
const shutdownGrace = 5 * time.Second

// serve serves site (described by what) on addr until ctx is done, then
// shuts down: it stops accepting, waits up to shutdownGrace for requests in
// flight, then cancels them (pages that never answer or never end give up)
// and closes every connection.
func serve(ctx context.Context, site *testserver.Site, what, addr string, stderr io.Writer) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           site.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	fmt.Fprintf(stderr, "serving %s at http://%s/\n", what, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		cancelBase() // requests still waiting on latency give up
		if err := srv.Close(); err != nil {
			return fmt.Errorf("close server: %w", err)
		}
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", addr, err)
	}
	return nil
}
