// Command testserver serves a deterministic synthetic website (package
// testserver) for people and benchmark scripts, or prints the records a
// crawl of it must produce.
//
//	testserver [--addr 127.0.0.1:8080] [--pages 100] [--links 10] [--seed 0]
//	           [--latency 0] [--jitter 0] [--features all]
//	testserver --expect DEPTH [--addr HOST:PORT] [site flags]
//
// It serves until SIGINT or SIGTERM, then shuts down gracefully. With
// --expect it prints the absolute URLs a host-scoped crawl of "/" to DEPTH
// must record, sorted, one per line, and exits. Exit codes: 0 success,
// 1 the server could not run, 2 bad command line.
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
	cfg          testserver.Config
	expect       int // -1: serve
	maxRedirects int
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("testserver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	var features string
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address `host:port`; also the base of --expect URLs")
	fs.IntVar(&o.cfg.Pages, "pages", testserver.DefaultPages, "number of normal HTML pages")
	fs.IntVar(&o.cfg.Links, "links", testserver.DefaultLinks, "links per page")
	fs.Int64Var(&o.cfg.Seed, "seed", 0, "generator seed: the same flags give the same site")
	fs.DurationVar(&o.cfg.Latency, "latency", 0, "delay of every HTML response")
	fs.DurationVar(&o.cfg.Jitter, "jitter", 0, "extra per-page delay in [0, jitter), fixed per path")
	fs.StringVar(&features, "features", "all", "site features: all, none, or a list such as robots,redirects or all,-variants")
	fs.IntVar(&o.expect, "expect", -1, "print the URLs a crawl of / to this `depth` must record, and exit")
	fs.IntVar(&o.maxRedirects, "max-redirects", testserver.DefaultMaxRedirects, "redirect limit of the crawl --expect describes (0 = follow none)")
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
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case o.cfg.Pages < 1 || o.cfg.Pages > testserver.MaxPages:
		return o, usagef("--pages must be in 1..%d, got %d", testserver.MaxPages, o.cfg.Pages)
	case o.cfg.Links < 1 || o.cfg.Links > testserver.MaxLinks:
		return o, usagef("--links must be in 1..%d, got %d", testserver.MaxLinks, o.cfg.Links)
	case o.cfg.Latency < 0 || o.cfg.Jitter < 0:
		return o, usagef("--latency and --jitter must not be negative")
	case set["expect"] && o.expect < 0:
		return o, usagef("--expect must be a depth >= 0, got %d", o.expect)
	case o.maxRedirects < 0:
		return o, usagef("--max-redirects must not be negative, got %d", o.maxRedirects)
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
	site := testserver.New(o.cfg)
	if o.expect >= 0 {
		return printExpect(site, o, stdout)
	}
	return serve(ctx, site, o.addr, stderr)
}

// printExpect prints the absolute URLs of the records a crawl of "/" to
// o.expect must produce, sorted, with --addr's host:port as the base.
func printExpect(site *testserver.Site, o options, stdout io.Writer) error {
	maxRedirects := o.maxRedirects
	if maxRedirects == 0 {
		maxRedirects = -1 // Crawl's 0 means the default; here it means none
	}
	e := site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: o.expect, MaxRedirects: maxRedirects})
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

// serve serves site on addr until ctx is done, then shuts down: it stops
// accepting, waits up to shutdownGrace for requests in flight, then cancels
// them and closes every connection.
func serve(ctx context.Context, site *testserver.Site, addr string, stderr io.Writer) error {
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
	fmt.Fprintf(stderr, "serving %d pages at http://%s/\n", site.Pages(), ln.Addr())
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
