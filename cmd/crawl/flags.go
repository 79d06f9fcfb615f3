package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier/redis"
	"github.com/crawl-dev/crawl/parser"
	"github.com/crawl-dev/crawl/store/warc"
)

// options is everything the command line says.
type options struct {
	cfg       crawler.Config
	seedsFile string
	out       string
	logLevel  string
	logFormat string

	progress        string  // auto, always or never
	quiet           bool    // no summary, no automatic progress line
	state           string  // --state DIR
	resumed         bool    // the --state crawl had committed records before this run
	resumedInto     string  // the output of the generation resumed, when --out names another
	generation      int     // the --state generation this run started; 0 when it resumed one
	report          string  // --report FILE
	metrics         string  // --metrics ADDR
	failOnErrorRate float64 // 0 = off

	save        string   // --save DIR
	warc        string   // --warc FILE
	warcMaxSize int64    // --warc-max-size BYTES
	args        []string // the command line, for the WARC's warcinfo

	extract     []parser.Rule // --extract rules, in order
	extractFile string        // --extract-file FILE

	since string // --since FILE

	frontier string        // --frontier: memory or redis://HOST:PORT/DB
	crawlID  string        // --crawl-id NAME of a shared crawl
	leaseTTL time.Duration // --lease-ttl of a shared crawl
}

// usageError is a bad command line: exit 2 with its one-line message.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// newFlagSet declares every flag into o. The flags of the crawl's Config
// start from o.cfg (crawler.DefaultConfig(), see newOptions): those defaults
// are what --help prints.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("crawl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := &o.cfg
	fs.Func("seed", "start `URL` (repeatable)", func(s string) error {
		c.Seeds = append(c.Seeds, s)
		return nil
	})
	fs.StringVar(&o.seedsFile, "seeds", "", "read start URLs from `FILE`, one per line (- = stdin; blank lines and # comments skipped)")
	fs.IntVar(&c.MaxDepth, "depth", c.MaxDepth, "link hops to follow from a seed (a seed is depth 0)")
	fs.IntVar(&c.MaxPages, "max-pages", c.MaxPages, "stop after `N` records (0 = no limit)")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "fetches in flight in total")
	fs.IntVar(&c.PerHost, "per-host", c.PerHost, "fetches in flight per host")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "requests per second per host (0 = unlimited; Crawl-delay and Retry-After still apply)")
	fs.Func("scope", "links to follow, relative to the seeds: host, domain or all (default "+c.Scope.String()+")", func(s string) error {
		sc, err := crawler.ParseScope(s)
		c.Scope = sc
		return err
	})
	fs.Func("include", "follow only links matching `RE` (repeatable; any may match)", regexpList(&c.Include))
	fs.Func("exclude", "never follow links matching `RE` (repeatable)", regexpList(&c.Exclude))
	fs.StringVar(&o.since, "since", "", "the previous crawl's output `FILE` (JSONL, plain or .gz): ask for its pages with their validators (If-None-Match, If-Modified-Since), follow a 304's previous links, label every record's change, and add a gone record for each of its URLs not reached")
	fs.BoolVar(&c.ChangesOnly, "changes-only", false, "with --since or --state, write only the records whose change is not unchanged")
	fs.StringVar(&o.state, "state", "", "keep the crawl's state in `DIR`: rerunning with the same DIR resumes it (needs --out FILE)")
	fs.StringVar(&o.frontier, "frontier", "memory", "where the crawl's queue and seen-set live: memory, or `URL` redis://HOST:PORT/DB to share one crawl between processes (see --crawl-id)")
	fs.StringVar(&o.crawlID, "crawl-id", "", "with --frontier redis://, the shared crawl's `NAME`: every process of a crawl gives the same one")
	fs.DurationVar(&o.leaseTTL, "lease-ttl", redis.DefaultLeaseTTL, "with --frontier redis://, how long a URL handed to a process stays its own; after it, a process that died loses it to the others")
	fs.StringVar(&o.out, "out", "-", "JSONL output `FILE` (- = stdout; a .gz suffix writes gzip)")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "per-request time limit, body included")
	fs.IntVar(&c.Retries, "retries", c.Retries, "retries for transient failures (network errors, timeouts, 408, 429, 5xx)")
	fs.Int64Var(&c.MaxBody, "max-body", c.MaxBody, "read at most `BYTES` of a body, after decompression")
	fs.IntVar(&c.MaxRedirects, "max-redirects", c.MaxRedirects, "longest redirect chain followed (0 = record a redirect, do not follow it)")
	fs.IntVar(&c.MaxURLLength, "max-url-length", c.MaxURLLength, "ignore links longer than `BYTES`")
	fs.IntVar(&c.MaxRepeats, "max-repeats", c.MaxRepeats, "ignore links whose path has one segment more than `N` times, a crawler trap (0 = no check)")
	fs.IntVar(&c.MaxHostPages, "max-host-pages", c.MaxHostPages, "fetch at most `N` URLs per host; the rest are recorded with an error (0 = no limit)")
	fs.StringVar(&c.UserAgent, "user-agent", c.UserAgent, "User-Agent header; its first word is matched in robots.txt")
	fs.BoolVar(&c.IgnoreRobots, "ignore-robots", c.IgnoreRobots, "do not fetch or obey robots.txt and meta robots nofollow")
	fs.DurationVar(&c.CrawlDelayCap, "crawl-delay-cap", c.CrawlDelayCap, "longest robots.txt Crawl-delay honoured (0 = Crawl-delay is not honoured)")
	fs.DurationVar(&c.BackoffBase, "backoff-base", c.BackoffBase, "first backoff of a host after a transient failure (doubles, with jitter; at most --backoff-max)")
	fs.DurationVar(&c.BackoffMax, "backoff-max", c.BackoffMax, "longest backoff of a host")
	fs.DurationVar(&c.RetryAfterMax, "retry-after-max", c.RetryAfterMax, "longest Retry-After honoured (0 = retry without waiting for it)")
	fs.DurationVar(&c.Grace, "grace", c.Grace, "on SIGINT/SIGTERM, how long in-flight fetches may finish (0 = abandon them at once)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "console", "log format on stderr: console or json")
	fs.StringVar(&o.progress, "progress", "auto", "progress line on stderr: auto (when stderr is a terminal), always or never")
	fs.BoolVar(&o.quiet, "quiet", false, "no summary at the end and no automatic progress line (logs are still written)")
	fs.StringVar(&o.report, "report", "", "write the summary as JSON to `FILE` when the crawl ends (replaced whole)")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics during the crawl (e.g. 127.0.0.1:9464)")
	fs.StringVar(&o.save, "save", "", "save every 2xx body under `DIR`/HOST[:PORT]/PATH (wget -x layout; the record gets saved and sha256)")
	fs.StringVar(&o.warc, "warc", "", "write every request and response, robots.txt included, as WARC/1.1 to `FILE` (.warc.gz: one gzip member per record; .warc: plain)")
	fs.Int64Var(&o.warcMaxSize, "warc-max-size", 0, "with --warc, start a new file FILE-00001.warc.gz, FILE-00002.warc.gz, ... before one would pass `BYTES` (0 = one file)")
	fs.Func("accept", "with comma-separated media types (application/pdf, image/*) and extensions (.pdf), which responses other than HTML pages are fetched and saved (repeatable; HTML pages are still fetched for their links)", func(s string) error {
		c.Accept = append(c.Accept, s)
		return nil
	})
	fs.Func("reject", "media types and extensions never fetched or saved, as for --accept (repeatable; wins over --accept)", func(s string) error {
		c.Reject = append(c.Reject, s)
		return nil
	})
	fs.Func("extract", "take a field from every HTML page into the record's fields: `NAME=SELECTOR` (CSS; the first match's whitespace-collapsed text), NAME=SELECTOR@ATTR (an attribute instead), NAME[]=SELECTOR (every match, as a list) (repeatable)", func(s string) error {
		r, err := parser.ParseRule(s)
		if err != nil {
			return err
		}
		o.extract = append(o.extract, r)
		return nil
	})
	fs.StringVar(&o.extractFile, "extract-file", "", "read --extract rules from `FILE`, one per line (blank lines and # comments skipped); they come before the --extract flags")
	fs.BoolVar(&c.Anchors, "anchors", false, "record each page's link elements in document order with their text (the record's anchors), for crawl links")
	fs.BoolVar(&c.AllowPrivate, "allow-private", false, "connect to loopback, private, link-local and other non-public addresses even when no seed is on one (without it, such URLs are records with error_kind private_address)")
	fs.BoolVar(&c.CheckLinks, "check-links", false, "request once each link of an in-scope page that the crawl does not follow (another host, --include/--exclude, --accept/--reject, past --depth) for its status: HEAD, then GET if HEAD gets an error; records say check (implies --anchors)")
	fs.BoolVar(&c.Sitemaps, "sitemaps", false, "read each seed host's sitemaps (its robots.txt's Sitemap lines, or /sitemap.xml when it names none; indexes, gzip and text sitemaps) and crawl their in-scope URLs as depth-0 URLs (source sitemap); each sitemap gets a record")
	fs.Func("sitemap-since", "with --sitemaps, skip sitemap entries whose lastmod is before `DATE` (YYYY-MM-DD or an RFC 3339 time); entries without a lastmod are read", func(s string) error {
		t, ok := parser.ParseW3CDate(s)
		if !ok {
			return fmt.Errorf("%q is not a date (YYYY-MM-DD or RFC 3339)", s)
		}
		c.SitemapSince = t
		return nil
	})
	fs.Func("require-field", "an HTML 2xx page where extract field `NAME` did not match gets an error (error_kind missing_field; its links are still followed) (repeatable)", func(s string) error {
		c.RequireFields = append(c.RequireFields, s)
		return nil
	})
	fs.Float64Var(&o.failOnErrorRate, "fail-on-error-rate", 0, "exit 4 when more than this share `R` (0 < R <= 1) of the records have an error (0 = off)")
	return fs
}

// warcOptions are the --warc output's options.
func (o *options) warcOptions() warc.Options {
	return warc.Options{MaxSize: o.warcMaxSize, Software: o.cfg.UserAgent, Command: append([]string{"crawl"}, o.args...)}
}

// regexpList appends each compiled pattern to *list.
func regexpList(list *[]*regexp.Regexp) func(string) error {
	return func(s string) error {
		re, err := regexp.Compile(s)
		if err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		*list = append(*list, re)
		return nil
	}
}

// newOptions is the command line's options before any flag is parsed: the
// crawl's Config starts from crawler.DefaultConfig().
func newOptions() *options {
	return &options{cfg: crawler.DefaultConfig()}
}

// parseArgs parses the command line. flag.ErrHelp means --help was asked.
func parseArgs(args []string, stdin io.Reader) (*options, error) {
	o := newOptions()
	fs := newFlagSet(o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q (seeds are given with --seed)", fs.Arg(0))
	}
	o.args = args
	switch {
	case o.warc != "" && !strings.HasSuffix(o.warc, ".warc") && !strings.HasSuffix(o.warc, ".warc.gz"):
		return nil, usagef("--warc %s: the name must end in .warc or .warc.gz", o.warc)
	case o.warcMaxSize < 0:
		return nil, usagef("--warc-max-size must not be negative")
	case o.warcMaxSize > 0 && o.warc == "":
		return nil, usagef("--warc-max-size needs --warc FILE")
	}
	if o.seedsFile != "" {
		seeds, err := readSeeds(o.seedsFile, stdin)
		if err != nil {
			return nil, usageError{err}
		}
		o.cfg.Seeds = append(o.cfg.Seeds, seeds...)
	}
	if !o.cfg.SitemapSince.IsZero() && !o.cfg.Sitemaps {
		return nil, usagef("--sitemap-since needs --sitemaps")
	}
	if err := o.loadSince(); err != nil {
		return nil, err
	}
	if o.cfg.CheckLinks {
		o.cfg.Anchors = true // crawl links says where and how each checked URL is linked
	}
	if err := o.buildExtractor(); err != nil {
		return nil, err
	}
	if len(o.cfg.Seeds) == 0 {
		return nil, usagef("no seed URL: give --seed URL or --seeds FILE")
	}
	switch o.progress {
	case "auto", "always", "never":
	default:
		return nil, usagef("--progress %q: want auto, always or never", o.progress)
	}
	if o.failOnErrorRate < 0 || o.failOnErrorRate > 1 || math.IsNaN(o.failOnErrorRate) {
		return nil, usagef("--fail-on-error-rate must be between 0 (off) and 1")
	}
	if err := checkFrontierFlags(o); err != nil {
		return nil, err
	}
	if err := o.cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	return o, nil
}

// loadSince reads the --since file into the crawl's history.
func (o *options) loadSince() error {
	switch {
	case o.since == "" && o.state == "" && o.cfg.ChangesOnly:
		return usagef("--changes-only needs --since FILE or --state DIR")
	case o.since == "":
		return nil
	case o.state != "":
		return usagef("--since and --state do not go together: --since is the previous crawl of a crawl without --state")
	case o.frontier != "" && o.frontier != "memory":
		return usagef("--since is not supported with --frontier redis://")
	}
	h, err := crawler.LoadHistory(o.since)
	if err != nil {
		return usageError{err}
	}
	o.cfg.Since = h
	return nil
}

// buildExtractor reads --extract-file and makes the crawl's Extractor from
// its rules and the --extract flags.
func (o *options) buildExtractor() error {
	rules := o.extract
	if o.extractFile != "" {
		f, err := os.Open(o.extractFile)
		if err != nil {
			return usagef("--extract-file: %v", err)
		}
		defer f.Close()
		fromFile, err := parser.ParseRules(f)
		if err != nil {
			return usagef("--extract-file %s: %v", o.extractFile, err)
		}
		rules = append(fromFile, rules...)
	}
	ex, err := parser.NewExtractor(rules)
	if err != nil {
		return usageError{err}
	}
	o.cfg.Extract = ex
	return nil
}

// checkFrontierFlags checks --frontier, --crawl-id and --lease-ttl.
func checkFrontierFlags(o *options) error {
	kind, err := parseFrontier(o.frontier)
	if err != nil {
		return usageError{err}
	}
	switch kind {
	case frontierRedis:
		if o.crawlID == "" {
			return usagef("--frontier %s needs --crawl-id NAME (the same in every process of the crawl)", o.frontier)
		}
		if o.state != "" {
			return usagef("--state and --frontier redis:// do not go together: a shared crawl keeps its state in Redis")
		}
		if o.leaseTTL <= 0 {
			return usagef("--lease-ttl must be greater than zero")
		}
	case frontierMemory:
		if o.crawlID != "" {
			return usagef("--crawl-id needs --frontier redis://HOST:PORT/DB")
		}
	}
	return nil
}

// readSeeds reads one URL per line from path (- = stdin), skipping blank
// lines and # comments.
func readSeeds(path string, stdin io.Reader) ([]string, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("seeds: %w", err)
		}
		defer f.Close()
		r = f
	}
	var seeds []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		seeds = append(seeds, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("seeds %s: %w", path, err)
	}
	return seeds, nil
}

// usage writes --help.
func usage(w io.Writer) {
	fmt.Fprint(w, `crawl: a fast, polite web crawler that writes one JSON line per URL.

Usage:
  crawl --seed URL [--seed URL ...] [--depth 2] [flags]
  crawl links [--json] [--blocked] FILE...
  crawl merge --frontier redis://HOST:PORT/DB --crawl-id NAME [--out FILE] [FILE...]
  crawl status --frontier redis://HOST:PORT/DB --crawl-id NAME
  crawl delete --frontier redis://HOST:PORT/DB --crawl-id NAME

Examples:
  # Crawl a site two links deep into a file, politely (robots.txt, 2 fetches per host):
  crawl --seed https://example.com/ --depth 2 --out pages.jsonl

  # One request per second per host, only the docs section, gzip output:
  crawl --seed https://example.com/docs/ --rate 1 --include '^https://example\.com/docs/' --out docs.jsonl.gz

  # Download every PDF a page links to, concurrently within the per-host
  # limits, one record each (saved and sha256 say where and what):
  crawl --seed https://example.com/reports/ --depth 1 --accept application/pdf --save reports/

  # Take fields from every page into the record's fields; a page without a
  # price is an error (error_kind missing_field):
  crawl --seed https://shop.example/ --depth 3 --extract 'name=h1' --extract 'price=.price' \
      --extract 'image=img.main@src' --extract 'tags[]=ul.tags li' --require-field price

  # Check every link, off-site ones too, and list the broken ones by page
  # (crawl links exits 1 when a link is broken, 0 when none is):
  crawl --seed https://docs.example/ --depth 5 --check-links --quiet --out links.jsonl.gz && crawl links links.jsonl.gz

  # Nightly from cron: many seeds, any host, 64 fetches in flight, metrics for
  # Prometheus, a JSON report, and exit 4 if more than 5% of the URLs failed:
  crawl --seeds seeds.txt --scope all --concurrency 64 --per-host 4 --max-pages 100000 \
      --metrics 127.0.0.1:9464 --report report.json --fail-on-error-rate 0.05 --quiet \
      --out pages.jsonl.gz

  # Resumable: killed or stopped at any moment, the same command continues
  # where it was, and every URL gets exactly one record:
  crawl --seed https://example.com/ --depth 5 --state /var/lib/crawl/example --out example.jsonl

  # Distributed: run the same command on several machines, each with its own
  # --out; they share one crawl through Redis and every URL is fetched by one
  # of them. Then look at the crawl, gather its records into one file, each
  # once (also those of a worker that was killed), and remove it from Redis:
  crawl --seeds seeds.txt --frontier redis://redis.internal:6379/0 --crawl-id news-0611 --out part-$(hostname).jsonl
  crawl status --frontier redis://redis.internal:6379/0 --crawl-id news-0611
  crawl merge --frontier redis://redis.internal:6379/0 --crawl-id news-0611 --out news-0611.jsonl.gz part-*.jsonl
  crawl delete --frontier redis://redis.internal:6379/0 --crawl-id news-0611

Records go to --out; everything else to stderr: logs, a progress line while
stderr is a terminal, and a summary when the crawl ends (also when it is
interrupted; --quiet leaves it out).

Flags:
`)
	fs := newFlagSet(newOptions())
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Exit status:
  0  the crawl completed (pages that failed are records with an "error")
  1  the crawl could not go on (e.g. the output could not be written)
  2  bad command line, or the --frontier server cannot be reached at start
  3  interrupted by SIGINT or SIGTERM; the records written are whole lines
     (with --state, run the same command again to resume)
  4  the crawl completed, but more records than --fail-on-error-rate allows
     had an error (everything was written: records, summary, report)
  5  the --state directory is in use by another running crawl, or another
     process on this machine writes the same --out of a shared crawl
  6  the crawl ran to its end without a single 2xx response
crawl merge exits 0 when every record of the crawl was written once, 1 when
records are missing (a worker's file not given, or a worker still running),
2 for bad input.
crawl status and crawl delete exit 0 when done, 1 when there is no such crawl
or Redis fails, 2 for a bad command line or an unreachable server.
`)
}
