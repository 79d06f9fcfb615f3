package parser

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// Sitemap limits of the sitemaps protocol (sitemaps.org): a file lists at
// most 50,000 URLs and is at most 50 MB (52,428,800 bytes) uncompressed.
const (
	SitemapMaxEntries = 50_000
	SitemapMaxBytes   = 50 << 20
)

// sitemapMaxLoc bounds one <loc> (and one line of a text sitemap); longer
// ones are skipped. The protocol allows 2,048 characters.
const sitemapMaxLoc = 8 << 10

// A Sitemap is what one sitemap file lists.
type Sitemap struct {
	// Index is true for a sitemap index: its entries are sitemaps.
	Index bool
	// Entries are the <loc> values in document order (of <url> in a
	// urlset, of <sitemap> in an index, or a text sitemap's lines), as
	// written, trimmed; entries past the limit are not read.
	Entries []SitemapEntry
	// Bytes is how much of the file was read, uncompressed.
	Bytes int64
}

// A SitemapEntry is one URL, or one sitemap of an index.
type SitemapEntry struct {
	Loc string
	// Lastmod is the entry's <lastmod> as written (a W3C datetime),
	// empty when it had none or one that does not parse.
	Lastmod string
	// Modified is Lastmod parsed; zero when Lastmod is empty.
	Modified time.Time
}

// ErrSitemapCut says a sitemap went past maxBytes (uncompressed) or
// maxEntries; the entries before the cut are returned with it.
var ErrSitemapCut = errors.New("sitemap cut")

// ReadSitemap reads a sitemap from r as it arrives: an XML urlset or
// sitemap index (namespaces are not checked, any encoding the XML
// declaration names is decoded), or a text sitemap of one URL per line,
// gzip-compressed or not (told by its first bytes, whatever the file is
// called or served as). It reads at most maxBytes uncompressed and keeps at
// most maxEntries entries. On an error (malformed XML or gzip, a read
// failure, a cut) it returns the entries read before it with the error:
// what was good is kept.
func ReadSitemap(r io.Reader, maxBytes int64, maxEntries int) (*Sitemap, error) {
	sm := &Sitemap{}
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return sm, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	lr := &capReader{r: br, left: maxBytes}
	in := bufio.NewReader(lr)
	var err error
	if first, _ := firstNonSpace(in); first == '<' {
		err = readXMLSitemap(in, sm, maxEntries)
	} else {
		err = readTextSitemap(in, sm, maxEntries)
	}
	sm.Bytes = lr.n
	if lr.cut {
		return sm, fmt.Errorf("%w at %d bytes", ErrSitemapCut, maxBytes)
	}
	return sm, err
}

// firstNonSpace returns the first byte after leading whitespace and a
// byte order mark, without consuming it.
func firstNonSpace(r *bufio.Reader) (byte, error) {
	for {
		b, err := r.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = r.ReadByte()
			continue
		case 0xEF:
			if bom, _ := r.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
				_, _ = r.Discard(3)
				continue
			}
		}
		return b[0], nil
	}
}

func readXMLSitemap(r io.Reader, sm *Sitemap, maxEntries int) error {
	d := xml.NewDecoder(r)
	d.CharsetReader = charset.NewReaderLabel
	// Elements must nest, but a raw '&' or an HTML entity in a URL (a
	// common mistake) does not void the file.
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var (
		entry   *SitemapEntry // the <url> or <sitemap> being read
		field   string        // "loc" or "lastmod" while inside one
		text    strings.Builder
		rootSet bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !rootSet {
				return errors.New("sitemap: no urlset or sitemapindex element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("sitemap: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			switch {
			case !rootSet:
				switch name {
				case "urlset":
				case "sitemapindex":
					sm.Index = true
				default:
					return fmt.Errorf("sitemap: root element is <%s>, not <urlset> or <sitemapindex>", name)
				}
				rootSet = true
			case entry == nil && (name == "url" && !sm.Index || name == "sitemap" && sm.Index):
				entry = &SitemapEntry{}
			case entry != nil && field == "" && (name == "loc" || name == "lastmod"):
				field = name
				text.Reset()
			}
		case xml.CharData:
			if field != "" && text.Len() < sitemapMaxLoc {
				text.Write(t)
			}
		case xml.EndElement:
			name := t.Name.Local
			switch {
			case field != "" && name == field:
				v := strings.TrimSpace(text.String())
				if field == "loc" {
					entry.Loc = v
				} else if m, ok := ParseW3CDate(v); ok {
					entry.Lastmod, entry.Modified = v, m
				}
				field = ""
			case entry != nil && field == "" && (name == "url" || name == "sitemap"):
				if entry.Loc != "" && len(entry.Loc) < sitemapMaxLoc {
					if len(sm.Entries) == maxEntries {
						return fmt.Errorf("%w: more than %d entries", ErrSitemapCut, maxEntries)
					}
					sm.Entries = append(sm.Entries, *entry)
				}
				entry = nil
			}
		}
	}
}

// readTextSitemap reads one URL per line; blank lines are skipped.
func readTextSitemap(r *bufio.Reader, sm *Sitemap, maxEntries int) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), sitemapMaxLoc)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if !utf8.ValidString(line) {
			return errors.New("sitemap: a text sitemap must be UTF-8")
		}
		if len(sm.Entries) == maxEntries {
			return fmt.Errorf("%w: more than %d entries", ErrSitemapCut, maxEntries)
		}
		sm.Entries = append(sm.Entries, SitemapEntry{Loc: line})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("sitemap: a line longer than %d bytes", sitemapMaxLoc)
		}
		return fmt.Errorf("sitemap: %w", err)
	}
	return nil
}

// w3cLayouts are the W3C datetime forms the sitemaps protocol allows.
var w3cLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
	"2006-01",
	"2006",
}

// ParseW3CDate parses a W3C datetime (YYYY, YYYY-MM, YYYY-MM-DD, or a date
// with hh:mm, hh:mm:ss or hh:mm:ss.s and a time zone), as sitemaps and
// crawl --sitemap-since write dates. Dates without a zone are UTC.
func ParseW3CDate(s string) (time.Time, bool) {
	for _, layout := range w3cLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// capReader reads at most left bytes of r, and remembers whether r had
// more.
type capReader struct {
	r    *bufio.Reader
	left int64
	n    int64 // bytes read
	cut  bool  // r had more than the cap
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		if _, err := c.r.Peek(1); err == nil {
			c.cut = true
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.n += int64(n)
	return n, err
}
