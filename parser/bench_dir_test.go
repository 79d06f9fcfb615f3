package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// benchDirEnv names the directory of real HTML pages BenchmarkParseDir
// reads, e.g. Debian's python3-doc: /usr/share/doc/python3.11/html.
const benchDirEnv = "CRAWL_BENCH_HTML_DIR"

// Limits on what BenchmarkParseDir loads into memory.
const (
	maxDirPageBytes  = 10 << 20  // a page larger than this is skipped, like --max-body cuts it
	maxDirTotalBytes = 512 << 20 // loading stops once the pages hold this much
)

// dirPage is one page of the benchmark directory, with the URL a crawl of
// the directory served at the root of a host would give it.
type dirPage struct {
	url  *url.URL
	body []byte
}

// loadDirPages reads every *.html file under dir, within the limits above.
func loadDirPages(tb testing.TB, dir string) (pages []dirPage, total int64) {
	tb.Helper()
	errFull := errors.New("total size limit reached")
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(path) != ".html" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("stat %s: %w", path, err)
		}
		if info.Size() > maxDirPageBytes {
			return nil
		}
		if total+info.Size() > maxDirTotalBytes {
			return errFull
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read page: %w", err)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return fmt.Errorf("page path %s: %w", path, err)
		}
		u, err := url.Parse("http://127.0.0.1:8099/" + filepath.ToSlash(rel))
		if err != nil {
			return fmt.Errorf("page URL for %s: %w", rel, err)
		}
		pages = append(pages, dirPage{url: u, body: body})
		total += int64(len(body))
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		tb.Fatalf("load %s: %v", dir, err)
	}
	if len(pages) == 0 {
		tb.Fatalf("no *.html files under %s", dir)
	}
	return pages, total
}

// BenchmarkParseDir measures one pass over every page of a directory of
// real HTML ($CRAWL_BENCH_HTML_DIR), so that a crawl's CPU time can be set
// against the cost of parsing each page it fetched once. One iteration is
// the whole page set; ns/page is the mean per page. The sub-benchmarks:
//
//   - tokenize: html.Tokenizer over the bytes, no tree (the kind of pass
//     a scanning crawler such as wget2 makes);
//   - scan: the tokenizer plus reading the name of every start tag and the
//     attributes of the tags Parse reads (a, area, base, frame, iframe,
//     meta, title): what a streaming link extractor without a tree costs;
//   - goquery: goquery.NewDocumentFromReader alone (the tree-building floor
//     of any goquery-based crawler);
//   - parse: Parse, everything the crawler does with a page's body.
func BenchmarkParseDir(b *testing.B) {
	dir := os.Getenv(benchDirEnv)
	if dir == "" {
		b.Skipf("set %s to a directory of *.html pages (e.g. /usr/share/doc/python3.11/html)", benchDirEnv)
	}
	pages, total := loadDirPages(b, dir)
	benchmarks := []struct {
		name string
		fn   func(p dirPage) error
	}{
		{"tokenize", func(p dirPage) error {
			z := html.NewTokenizer(bytes.NewReader(p.body))
			for z.Next() != html.ErrorToken {
			}
			if err := z.Err(); err != io.EOF {
				return fmt.Errorf("tokenize %s: %w", p.url, err)
			}
			return nil
		}},
		{"scan", scanLinks},
		{"goquery", func(p dirPage) error {
			_, err := goquery.NewDocumentFromReader(bytes.NewReader(p.body))
			return err
		}},
		{"parse", func(p dirPage) error {
			_, err := Parse(p.body, "text/html; charset=utf-8", p.url, nil)
			return err
		}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(total)
			for b.Loop() {
				for _, p := range pages {
					if err := bm.fn(p); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(pages)), "pages")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pages)), "ns/page")
		})
	}
}

// scanLinks tokenizes a page and reads the attributes of the elements Parse
// reads, building no tree; it fails if the page has none of them.
func scanLinks(p dirPage) error {
	z := html.NewTokenizer(bytes.NewReader(p.body))
	found := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return fmt.Errorf("scan %s: %w", p.url, err)
			}
			if found == 0 {
				return fmt.Errorf("scan %s: no title, link or meta", p.url)
			}
			return nil
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			switch atom.Lookup(name) {
			case atom.A, atom.Area, atom.Base, atom.Frame, atom.Iframe, atom.Meta, atom.Title:
				found++
				for more {
					_, _, more = z.TagAttr()
				}
			}
		}
	}
}
