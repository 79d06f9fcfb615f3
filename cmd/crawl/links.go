package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/parser"
	"github.com/crawl-dev/crawl/store"
)

// crawl links FILE...: the broken links of a crawl's outputs, grouped by
// the page that links to them, with the link text. A link's URL is looked
// up among the records (a redirect's final_url is followed to the record
// of its target); a URL the outputs have no record of was not checked and
// is left out.

// maxRedirectChain bounds how many redirect records a link is followed
// through; the crawl itself stops sooner (--max-redirects).
const maxRedirectChain = 64

// linkClass says what an error_kind means for a link to the URL
// (crawler.VerdictOf); a kind this version does not know is other: broken.
func linkClass(kind string) crawler.LinkVerdict {
	k, _ := crawler.ParseErrorKind(kind)
	return crawler.VerdictOf(k)
}

// outcomeOf is what the outputs say about one URL.
type outcomeOf struct {
	url, final   string
	status       int
	kind, errMsg string
}

// source is a page and its links.
type source struct {
	url     string
	anchors []store.Anchor
}

// badLink is one link of a page whose target is broken or blocked.
type badLink struct {
	URL       string `json:"url"`
	Text      string `json:"text,omitempty"`
	FinalURL  string `json:"final_url,omitempty"` // where its redirects led, if anywhere
	Status    int    `json:"status"`
	ErrorKind string `json:"error_kind"`
	Error     string `json:"error"`
	Verdict   string `json:"verdict"` // broken or blocked
}

// pageLinks is one line of crawl links --json.
type pageLinks struct {
	Page  string    `json:"page"`
	Links []badLink `json:"links"`
}

// brokenLinksError makes crawl links exit 1.
type brokenLinksError struct{ links, urls, pages int }

func (e brokenLinksError) Error() string {
	return fmt.Sprintf("%d broken %s to %d %s on %d %s", e.links, plural(e.links, "link", "links"),
		e.urls, plural(e.urls, "URL", "URLs"), e.pages, plural(e.pages, "page", "pages"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// runLinks is crawl links.
func runLinks(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("crawl links", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "write one JSON object per page instead of text")
	blocked := fs.Bool("blocked", false, "also list links whose target was blocked (403, 429, 999, robots.txt)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, "Usage:\n  crawl links [--json] [--blocked] FILE...\n\nFILE is a crawl's --out (plain or .gz; - is stdin).\nExit status: 0 no broken link, 1 broken links, 2 bad input.\n\nFlags:\n")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return usageError{fmt.Errorf("crawl links: %w", err)}
	}
	if fs.NArg() == 0 {
		return usagef("crawl links needs at least one FILE (a crawl's --out)")
	}
	outcomes := make(map[string]*outcomeOf)
	sources := make(map[string]source)
	for _, path := range fs.Args() {
		if err := readOutput(path, stdin, outcomes, sources); err != nil {
			return usageError{fmt.Errorf("crawl links: %w", err)}
		}
	}
	pages := badLinks(sources, outcomes, *blocked)
	return writeLinks(stdout, pages, *asJSON)
}

// readOutput reads one output file into the outcomes and the pages with
// links, both by dedup key: a later record of a URL replaces an earlier
// one, in one file or across files (a page that lost its links has none).
func readOutput(path string, stdin io.Reader, outcomes map[string]*outcomeOf, sources map[string]source) error {
	fn := func(r *store.Record) error {
		key := parser.DedupKey(r.URL)
		outcomes[key] = &outcomeOf{url: r.URL, final: r.FinalURL, status: r.Status, kind: r.ErrorKind, errMsg: r.Error}
		delete(sources, key)
		if r.Check {
			return nil
		}
		anchors := r.Anchors
		if len(anchors) == 0 {
			for _, l := range r.Links {
				anchors = append(anchors, store.Anchor{URL: l})
			}
		}
		if len(anchors) > 0 {
			sources[key] = source{url: r.URL, anchors: anchors}
		}
		return nil
	}
	if path == "-" {
		if err := store.Read(stdin, fn); err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
		return nil
	}
	return store.ReadFile(path, fn)
}

// badLinks returns, for each source page that has any, its broken links
// (and blocked ones if asked), pages sorted by URL, links in document
// order without repeating a URL and text.
func badLinks(bySource map[string]source, outcomes map[string]*outcomeOf, withBlocked bool) []pageLinks {
	sources := slices.SortedFunc(maps.Values(bySource), func(a, b source) int { return strings.Compare(a.url, b.url) })
	var pages []pageLinks
	for _, src := range sources {
		type seenKey struct{ url, text string }
		seen := make(map[seenKey]bool)
		var links []badLink
		for _, a := range src.anchors {
			if seen[seenKey{a.URL, a.Text}] {
				continue
			}
			seen[seenKey{a.URL, a.Text}] = true
			o, final := resolve(a.URL, outcomes)
			if o == nil {
				continue // not checked
			}
			v := linkClass(o.kind)
			if v == crawler.LinkOK || (v == crawler.LinkBlocked && !withBlocked) {
				continue
			}
			bl := badLink{URL: a.URL, Text: a.Text, Status: o.status, ErrorKind: o.kind, Error: o.errMsg, Verdict: v.String()}
			if parser.DedupKey(final) != parser.DedupKey(a.URL) {
				bl.FinalURL = final
			}
			links = append(links, bl)
		}
		if len(links) > 0 {
			pages = append(pages, pageLinks{Page: src.url, Links: links})
		}
	}
	return pages
}

// resolve returns the outcome a link to u comes to, following redirect
// records to their targets, and the URL of that outcome; nil when the
// outputs hold no record of u, or a redirect's target has none. Redirects
// that come back to a URL of the chain are a redirect_loop, as a browser
// fails them (the crawl stops such a cycle without an error once it is
// longer than two hops: every URL in it is already seen).
func resolve(u string, outcomes map[string]*outcomeOf) (*outcomeOf, string) {
	key := parser.DedupKey(u)
	o := outcomes[key]
	var chain []string
	for range maxRedirectChain {
		if o == nil || o.kind != "" || o.status < 300 || o.status > 399 || o.final == "" || o.final == o.url {
			break
		}
		chain = append(chain, key)
		key = parser.DedupKey(o.final)
		if slices.Contains(chain, key) {
			loop := &outcomeOf{url: o.final, status: o.status, kind: crawler.KindRedirectLoop.String(), errMsg: "redirect loop: " + o.final}
			return loop, loop.url
		}
		o = outcomes[key]
	}
	if o == nil || (o.kind == "" && o.status >= 300 && o.status <= 399) {
		return nil, "" // a redirect whose target was not recorded, or a chain longer than any crawl follows
	}
	return o, o.url
}

// writeLinks writes the report and returns brokenLinksError when it has
// a broken link.
func writeLinks(stdout io.Writer, pages []pageLinks, asJSON bool) error {
	w := bufio.NewWriter(stdout)
	var e brokenLinksError
	urls := make(map[string]bool)
	for _, p := range pages {
		broken := 0
		for _, l := range p.Links {
			if l.Verdict == crawler.LinkBroken.String() {
				broken++
				urls[parser.DedupKey(l.URL)] = true // two spellings of one URL are one
			}
		}
		if broken > 0 {
			e.pages++
			e.links += broken
		}
		if asJSON {
			b, err := json.Marshal(p)
			if err != nil {
				return err
			}
			w.Write(b)
			w.WriteByte('\n')
			continue
		}
		fmt.Fprintln(w, p.Page)
		for _, l := range p.Links {
			status := "-"
			if l.Status != 0 {
				status = strconv.Itoa(l.Status)
			}
			fmt.Fprintf(w, "  %-7s %s %s  %s", l.Verdict, status, l.ErrorKind, l.URL)
			if l.FinalURL != "" {
				fmt.Fprintf(w, " -> %s", l.FinalURL)
			}
			fmt.Fprintf(w, "  %s\n", strconv.Quote(l.Text))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	e.urls = len(urls)
	if e.links > 0 {
		return e
	}
	return nil
}
