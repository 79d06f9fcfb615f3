package testserver

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// SitemapSite serves a generated site with a set of sitemaps, for crawl
// --sitemaps. Its robots.txt is the site's with two Sitemap lines, for
// /sitemaps/index.xml and /sitemaps/pages.txt; every other path the site
// does not serve is the site's own.
//
// The fixtures, under /sitemaps/ (N is the site's page count):
//
//	index.xml     a sitemap index of the eight below (old.xml with a lastmod of 2019)
//	pages.xml     a urlset: /p/N-10 .. /p/N-6, the last two with a lastmod of 2020 and
//	              the others of 2026; two URLs on other hosts, one that is no URL, and
//	              /p/N-1 again
//	pages.xml.gz  a gzip-compressed urlset (served as application/gzip): /p/N-15 .. /p/N-11
//	pages.txt     a text sitemap: /p/N-5 .. /p/N-1
//	old.xml       a urlset: /p/N-20 .. /p/N-16
//	broken.xml    /p/N-22 and /p/N-21, then malformed XML
//	bomb.xml.gz   /p/N-23, then SitemapBombSize bytes of padding, gzip-compressed
//	nested.xml    an index of nested2.xml, an index of nested3.xml (/p/N-24): one
//	              level deeper than the crawler reads
//	missing.xml   404
type SitemapSite struct {
	site   *Site
	origin string
	files  map[string]sitemapFile
}

// SitemapBombSize is the uncompressed padding of /sitemaps/bomb.xml.gz: a
// crawl with a smaller MaxBody cuts it.
const SitemapBombSize = 4 << 20

// SitemapSince is a date between the fixtures' old and new lastmods.
var SitemapSince = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type sitemapFile struct {
	status int
	ctype  string
	body   []byte
	// listed are the site paths the file lists, and lastmods theirs.
	listed   []string
	lastmods []string
	entries  int    // entries the crawler reads (URLs or sitemaps)
	kind     string // the record's error_kind
	index    bool
	old      bool // listed in the index with an old lastmod
}

// SitemapOutcome is what a crawl must record for one sitemap.
type SitemapOutcome struct {
	Status    int
	URLs      int    // sitemap_urls
	ErrorKind string // "" for none
	Truncated bool
}

// NewSitemapSite adds the sitemaps to site, served at origin
// ("http://host:port", the origin the crawler requests: sitemaps hold
// absolute URLs). The site needs at least 30 pages.
func NewSitemapSite(site *Site, origin string) *SitemapSite {
	n := site.Pages()
	s := &SitemapSite{site: site, origin: origin, files: map[string]sitemapFile{}}
	pages := func(from, to int) []string {
		var ps []string
		for i := from; i <= to; i++ {
			ps = append(ps, fmt.Sprintf("/p/%d", n-i))
		}
		return ps
	}
	urlset := func(paths, lastmods []string, extra ...string) []byte {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
		for i, p := range paths {
			fmt.Fprintf(&b, "  <url><loc>%s%s</loc>", origin, p)
			if i < len(lastmods) && lastmods[i] != "" {
				fmt.Fprintf(&b, "<lastmod>%s</lastmod>", lastmods[i])
			}
			b.WriteString("<changefreq>daily</changefreq></url>\n")
		}
		for _, loc := range extra {
			fmt.Fprintf(&b, "  <url><loc>%s</loc></url>\n", loc)
		}
		b.WriteString("</urlset>\n")
		return []byte(b.String())
	}
	gz := func(body []byte) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write(body)
		_ = w.Close()
		return b.Bytes()
	}
	xml := "application/xml"

	p := pages(6, 10)
	slices.Reverse(p) // N-10 first
	lm := []string{"2026-06-01", "2026-06-02T10:00:00+02:00", "2026-06-03", "2020-01-01", "2020-02-01"}
	s.files["pages.xml"] = sitemapFile{status: 200, ctype: xml, listed: p, lastmods: lm, entries: 9,
		body: urlset(p, lm, "http://127.0.0.9:1/elsewhere", "https://other.example/page", "not a url", origin+fmt.Sprintf("/p/%d", n-1))}
	gp := pages(11, 15)
	s.files["pages.xml.gz"] = sitemapFile{status: 200, ctype: "application/gzip", listed: gp, entries: 5, body: gz(urlset(gp, nil))}
	tp := pages(1, 5)
	var txt strings.Builder
	for _, path := range tp {
		fmt.Fprintf(&txt, "%s%s\n", origin, path)
	}
	s.files["pages.txt"] = sitemapFile{status: 200, ctype: "text/plain", listed: tp, entries: 5, body: []byte(txt.String())}
	op := pages(16, 20)
	s.files["old.xml"] = sitemapFile{status: 200, ctype: xml, listed: op, entries: 5, body: urlset(op, nil), old: true}
	bp := pages(21, 22)
	broken := urlset(bp, nil)
	broken = append(broken[:bytes.LastIndex(broken, []byte("</urlset>"))], "<url><loc>"+origin+"/p/1</lo"...)
	s.files["broken.xml"] = sitemapFile{status: 200, ctype: xml, listed: bp, entries: 2, kind: "sitemap", body: broken}
	s.files["bomb.xml.gz"] = sitemapFile{status: 200, ctype: "application/gzip", listed: pages(23, 23), entries: 1, kind: "sitemap"}
	index := func(names ...string) []byte {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
		for _, name := range names {
			fmt.Fprintf(&b, "  <sitemap><loc>%s/sitemaps/%s</loc>", origin, name)
			if s.files[name].old {
				b.WriteString("<lastmod>2019-05-05</lastmod>")
			}
			b.WriteString("</sitemap>\n")
		}
		b.WriteString("</sitemapindex>\n")
		return []byte(b.String())
	}
	s.files["nested3.xml"] = sitemapFile{status: 200, ctype: xml, listed: pages(24, 24), entries: 1, body: urlset(pages(24, 24), nil)}
	s.files["nested2.xml"] = sitemapFile{status: 200, ctype: xml, entries: 1, kind: "sitemap", index: true, body: index("nested3.xml")}
	s.files["nested.xml"] = sitemapFile{status: 200, ctype: xml, entries: 1, index: true, body: index("nested2.xml")}
	s.files["missing.xml"] = sitemapFile{status: 404, ctype: "text/plain", kind: "http_4xx", body: []byte("not found\n")}
	names := []string{"pages.xml", "pages.xml.gz", "old.xml", "broken.xml", "bomb.xml.gz", "nested.xml", "missing.xml", "pages.txt"}
	s.files["index.xml"] = sitemapFile{status: 200, ctype: xml, entries: len(names), index: true, body: index(names...)}
	return s
}

// Handler serves the site, its robots.txt with Sitemap lines, and the
// sitemaps.
func (s *SitemapSite) Handler() http.Handler {
	next := s.site.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			_, _, body, _ := s.site.Served("/robots.txt")
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write(body)
			fmt.Fprintf(w, "\nSitemap: %s/sitemaps/index.xml\nsitemap: %s/sitemaps/pages.txt # and a comment\n", s.origin, s.origin)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/sitemaps/")
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		f, ok := s.files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body := f.body
		if name == "bomb.xml.gz" {
			body = bombFor(s.origin, s.files[name].listed[0])
		}
		w.Header().Set("Content-Type", f.ctype)
		w.WriteHeader(f.status)
		_, _ = w.Write(body)
	})
}

// bombFor is the bomb with its one URL.
func bombFor(origin, path string) []byte {
	// Two gzip members, which readers read as one stream: the URL, then
	// the padding, compressed once for every site.
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	fmt.Fprintf(w, "<urlset><url><loc>%s%s</loc></url>", origin, path)
	_ = w.Close()
	b.Write(bombPadding())
	return b.Bytes()
}

var bombPadding = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	pad := bytes.Repeat([]byte(" "), 64<<10)
	for range SitemapBombSize / len(pad) {
		_, _ = w.Write(pad)
	}
	_, _ = w.Write([]byte("</urlset>"))
	_ = w.Close()
	return b.Bytes()
})

// Sources returns the site paths a crawl must queue at depth 0 from the
// sitemaps: in scope, in a sitemap the crawler reads, and (with since not
// zero) not older than since. Sorted.
func (s *SitemapSite) Sources(since time.Time) []string {
	var out []string
	for name, f := range s.files {
		if f.index || f.kind == "http_4xx" || name == "nested3.xml" || (f.old && !since.IsZero()) {
			continue
		}
		for i, p := range f.listed {
			if !since.IsZero() && i < len(f.lastmods) && strings.HasPrefix(f.lastmods[i], "2020") {
				continue
			}
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Lastmods returns the lastmod a page's record carries, by path, for the
// pages listed with one.
func (s *SitemapSite) Lastmods() map[string]string {
	out := map[string]string{}
	for _, f := range s.files {
		for i, p := range f.listed {
			if i < len(f.lastmods) && f.lastmods[i] != "" {
				out[p] = f.lastmods[i]
			}
		}
	}
	return out
}

// Sitemaps returns what a crawl with sitemaps must record for each sitemap,
// by path, for a crawl whose MaxBody is below SitemapBombSize; with since
// not zero, old.xml is never requested. nested3.xml is never requested.
func (s *SitemapSite) Sitemaps(since time.Time) map[string]SitemapOutcome {
	out := map[string]SitemapOutcome{}
	for name, f := range s.files {
		if name == "nested3.xml" || (f.old && !since.IsZero()) {
			continue
		}
		out["/sitemaps/"+name] = SitemapOutcome{Status: f.status, URLs: f.entries, ErrorKind: f.kind, Truncated: name == "bomb.xml.gz"}
	}
	return out
}
