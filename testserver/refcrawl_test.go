package testserver_test

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/crawl-dev/crawl/testserver"
)

// refCrawler is a tiny breadth-first crawler written from the crawler's
// rules, independently of the site's model. It keeps Expect honest: if the
// handler and Expect disagree, the reference crawl differs from Expect.
type refCrawler struct {
	client       *http.Client
	host         string // the seed's host:port; scope "host"
	disallow     []string
	maxDepth     int
	maxRedirects int
	records      map[string]testserver.Outcome
	// pages are the HTML 2xx pages fetched, for a re-crawl; prev those of
	// the crawl before it, whose validators a re-crawl sends (nil: none).
	pages, prev map[string]refPage
	// notModified lists the URLs that answered 304.
	notModified []string
}

// refPage is what a crawler keeps of a page to re-crawl it: its record
// (with the validators it was served with) and its links.
type refPage struct {
	o     testserver.Outcome
	links []*url.URL
}

const refAgent = "refcrawler/1.0"

type refItem struct {
	u     *url.URL
	depth int
	hops  int
}

// refCrawl crawls base+seed to maxDepth and returns its records keyed by
// normalized path with query.
func refCrawl(t *testing.T, base, seed string, maxDepth, maxRedirects int) map[string]testserver.Outcome {
	t.Helper()
	return refRecrawl(t, base, seed, maxDepth, maxRedirects, nil).records
}

// refRecrawl is refCrawl as a re-crawl: a page of prev with validators is
// requested with If-None-Match and If-Modified-Since (both, so that the
// ETag decides), and a 304 is recorded as the previous record at its new
// depth, with the previous links followed. It returns the crawler, whose
// pages feed the next re-crawl.
func refRecrawl(t *testing.T, base, seed string, maxDepth, maxRedirects int, prev map[string]refPage) *refCrawler {
	t.Helper()
	bu, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse base %q: %v", base, err)
	}
	c := &refCrawler{
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		host:         strings.ToLower(bu.Host),
		maxDepth:     maxDepth,
		maxRedirects: maxRedirects,
		records:      make(map[string]testserver.Outcome),
		pages:        make(map[string]refPage),
		prev:         prev,
	}
	if err := c.robots(base + "/robots.txt"); err != nil {
		t.Fatal(err)
	}
	su, err := url.Parse(base + seed)
	if err != nil {
		t.Fatalf("parse seed: %v", err)
	}
	su, _ = normalize(su)
	seen := map[string]bool{su.String(): true}
	level := []refItem{{u: su}}
	for len(level) > 0 {
		var next []refItem
		for i := 0; i < len(level); i++ {
			it := level[i]
			links, redirect, err := c.fetch(it)
			if err != nil {
				t.Fatal(err)
			}
			if redirect != nil {
				if !seen[redirect.String()] {
					seen[redirect.String()] = true
					level = append(level, refItem{u: redirect, depth: it.depth, hops: it.hops + 1})
				}
				continue
			}
			if it.depth+1 > maxDepth {
				continue
			}
			for _, l := range links {
				if !seen[l.String()] {
					seen[l.String()] = true
					next = append(next, refItem{u: l, depth: it.depth + 1})
				}
			}
		}
		level = next
	}
	return c
}

// robots reads the * group of robots.txt (or the group naming refcrawler).
func (c *refCrawler) robots(u string) error {
	resp, err := c.client.Get(u)
	if err != nil {
		return fmt.Errorf("get robots.txt: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil // 4xx: everything allowed
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read robots.txt: %w", err)
	}
	c.disallow, _ = refRobots(body, "refcrawler")
	return nil
}

func key(u *url.URL) string {
	k := u.EscapedPath()
	if u.RawQuery != "" {
		k += "?" + u.RawQuery
	}
	return k
}

// fetch fetches one item and records it. It returns the in-scope links of
// an HTML 2xx page, or the in-scope target of a redirect to queue.
func (c *refCrawler) fetch(it refItem) (links []*url.URL, redirect *url.URL, err error) {
	k := key(it.u)
	if refDisallowed(k, c.disallow) {
		c.records[k] = testserver.Outcome{Depth: it.depth, Err: true, Robots: true}
		return nil, nil, nil
	}
	req, err := http.NewRequest(http.MethodGet, it.u.String(), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("request %s: %w", it.u, err)
	}
	req.Header.Set("User-Agent", refAgent)
	old, seen := c.prev[k]
	if seen && old.o.ETag != "" {
		req.Header.Set("If-None-Match", old.o.ETag)
	}
	if seen && old.o.LastModified != "" {
		req.Header.Set("If-Modified-Since", old.o.LastModified)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("get %s: %w", it.u, err)
	}
	defer resp.Body.Close()
	o := testserver.Outcome{Depth: it.depth, Status: resp.StatusCode, Err: resp.StatusCode >= 400}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			o.ContentType = mt
		}
	}
	if resp.StatusCode == http.StatusNotModified && seen {
		o = old.o
		o.Depth = it.depth
		o.ETag, o.LastModified = resp.Header.Get("Etag"), resp.Header.Get("Last-Modified")
		c.records[k] = o
		c.pages[k] = refPage{o: o, links: old.links}
		c.notModified = append(c.notModified, k)
		return old.links, nil, nil
	}
	if resp.StatusCode == http.StatusOK {
		o.ETag, o.LastModified = resp.Header.Get("Etag"), resp.Header.Get("Last-Modified")
	}
	defer func() { c.records[k] = o }()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		loc, err := it.u.Parse(resp.Header.Get("Location"))
		if err != nil {
			return nil, nil, fmt.Errorf("location of %s: %w", it.u, err)
		}
		target, ok := normalize(loc)
		if !ok {
			return nil, nil, fmt.Errorf("location of %s: %q is not http(s)", it.u, loc)
		}
		if target.Host != c.host {
			o.Redirect = target.String()
			return nil, nil, nil
		}
		o.Redirect = key(target)
		if it.hops+1 > c.maxRedirects {
			o.Err = true
			return nil, nil, nil
		}
		return nil, target, nil
	case resp.StatusCode >= 400 || o.ContentType != "text/html":
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", it.u, err)
		}
		if resp.StatusCode == http.StatusOK {
			c.pages[k] = refPage{o: o}
		}
		return nil, nil, nil
	}
	title, hrefs, baseHref, err := parseHTML(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", it.u, err)
	}
	o.Title = title
	base := it.u
	if baseHref != "" {
		if b, err := it.u.Parse(cleanHref(baseHref)); err == nil {
			base = b
		}
	}
	for _, h := range hrefs {
		ref, err := base.Parse(cleanHref(h))
		if err != nil {
			continue
		}
		if u, ok := normalize(ref); ok && u.Host == c.host {
			links = append(links, u)
		}
	}
	c.pages[k] = refPage{o: o, links: links}
	return links, nil, nil
}

// cleanHref strips what the WHATWG URL parser strips: leading and trailing
// C0 controls and spaces, and tabs and newlines anywhere.
func cleanHref(h string) string {
	h = strings.Trim(h, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	return strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(h)
}

// normalize applies the crawler's normalization; it reports false for
// non-http(s) URLs.
func normalize(u *url.URL) (*url.URL, bool) {
	v := *u
	v.Scheme = strings.ToLower(v.Scheme)
	if v.Scheme != "http" && v.Scheme != "https" {
		return nil, false
	}
	v.Host = strings.ToLower(v.Host)
	if (v.Scheme == "http" && strings.HasSuffix(v.Host, ":80")) || (v.Scheme == "https" && strings.HasSuffix(v.Host, ":443")) {
		v.Host = v.Host[:strings.LastIndexByte(v.Host, ':')]
	}
	v.Fragment, v.RawFragment = "", ""
	v.RawPath = "" // re-escape from the decoded path: unreserved escapes go
	if v.Path == "" {
		v.Path = "/"
	}
	return &v, true
}

// parseHTML returns the title, the followable link targets and the first
// <base href> of a document, using the HTML tokenizer: comments, <script>,
// <style> and <textarea> contents are not markup.
func parseHTML(r io.Reader) (title string, hrefs []string, base string, err error) {
	z := html.NewTokenizer(r)
	inTitle, haveTitle := false, false
	for {
		switch z.Next() {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return title, hrefs, base, nil
			}
			return "", nil, "", z.Err()
		case html.TextToken:
			if inTitle {
				title += string(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "title" {
				inTitle = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if tag == "title" && !haveTitle {
				inTitle, haveTitle = true, true
			}
			want := ""
			switch tag {
			case "a", "area", "base":
				want = "href"
			case "frame", "iframe":
				want = "src"
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if want == "" || string(k) != want {
					continue
				}
				if tag == "base" {
					if base == "" {
						base = string(v)
					}
				} else {
					hrefs = append(hrefs, string(v))
				}
			}
		}
	}
}

func TestReferenceCrawlMatchesExpect(t *testing.T) {
	configs := []struct {
		name string
		cfg  testserver.Config
		seed string
		maxR int
	}{
		{"plain", testserver.Config{}, "/", 10},
		{"all", testserver.Config{Features: testserver.AllFeatures}, "/", 10},
		{"all-seed7", testserver.Config{Pages: 250, Links: 6, Seed: 7, Features: testserver.AllFeatures}, "/", 10},
		{"all-from-page", testserver.Config{Seed: 3, Features: testserver.AllFeatures}, "/p/40", 10},
		{"all-3-redirects", testserver.Config{Seed: 5, Features: testserver.AllFeatures}, "/", 3},
		{"plain-gen1", testserver.Config{Pages: 300, Links: 4, Generation: 1}, "/", 10},
		{"all-gen3", testserver.Config{Pages: 250, Links: 6, Seed: 7, Features: testserver.AllFeatures, Generation: 3}, "/", 10},
		{"encoded-gen2-from-page", testserver.Config{Seed: 3, Features: testserver.AllFeatures | testserver.Encoded, Generation: 2}, "/p/40", 10},
	}
	for _, tc := range configs {
		t.Run(tc.name, func(t *testing.T) {
			site := testserver.New(tc.cfg)
			srv := httptest.NewServer(site.Handler())
			defer srv.Close()
			for depth := 0; depth <= 3; depth++ {
				site.Reset()
				got := refCrawl(t, srv.URL, tc.seed, depth, tc.maxR)
				want := site.ExpectCrawl(testserver.Crawl{Seed: tc.seed, MaxDepth: depth, MaxRedirects: tc.maxR})
				if err := want.Compare(got); err != nil {
					t.Errorf("depth %d: %v", depth, err)
				}
				if !reflect.DeepEqual(got, withoutRevisions(want.Records)) {
					t.Errorf("depth %d: reference records differ from Expect in fields Compare skips", depth)
				}
				if err := want.CheckRequests(site.Requests(), 0); err != nil {
					t.Errorf("depth %d: %v", depth, err)
				}
				if order := site.Order(); len(order) == 0 || order[0] != "/robots.txt" {
					t.Errorf("depth %d: first request = %v, want /robots.txt", depth, order[:min(1, len(order))])
				}
			}
		})
	}
}
