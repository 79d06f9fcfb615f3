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

// sitemapMaxDepth bounds how deep a sitemap's elements nest: the format
// needs three levels, extensions (image, video, news) a few more, and each
// open element costs the XML decoder memory.
const sitemapMaxDepth = 16

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
	in := bufio.NewReaderSize(lr, sitemapMaxLoc)
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
		entry *SitemapEntry // the <url> or <sitemap> being read
		field string        // "loc" or "lastmod" while inside one
		text  strings.Builder
		depth int    // open elements; the root is 1, an entry 2, its fields 3
		space string // the root's namespace: fields of other namespaces (image:loc) are not the entry's
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if space == "" {
				return errors.New("sitemap: no urlset or sitemapindex element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("sitemap: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > sitemapMaxDepth {
				return fmt.Errorf("sitemap: elements nested more than %d deep", sitemapMaxDepth)
			}
			name := t.Name.Local
			switch {
			case depth == 1:
				switch name {
				case "urlset":
				case "sitemapindex":
					sm.Index = true
				default:
					return fmt.Errorf("sitemap: root element is <%s>, not <urlset> or <sitemapindex>", name)
				}
				space = t.Name.Space
				if space == "" {
					space = " " // a root without a namespace: set, and matching only fields without one
				}
			case depth == 2 && (name == "url" && !sm.Index || name == "sitemap" && sm.Index):
				entry = &SitemapEntry{}
			case depth == 3 && entry != nil && (name == "loc" || name == "lastmod") && sameSpace(t.Name.Space, space):
				field = name
				text.Reset()
			}
		case xml.CharData:
			if field != "" && text.Len() < sitemapMaxLoc {
				text.Write(t)
			}
		case xml.EndElement:
			switch {
			case depth == 3 && field != "":
				v := strings.TrimSpace(text.String())
				if field == "loc" {
					entry.Loc = v
				} else if m, ok := ParseW3CDate(v); ok {
					entry.Lastmod, entry.Modified = v, m
				}
				field = ""
			case depth == 2 && entry != nil:
				if entry.Loc != "" && len(entry.Loc) < sitemapMaxLoc {
					if len(sm.Entries) == maxEntries {
						return fmt.Errorf("%w: more than %d entries", ErrSitemapCut, maxEntries)
					}
					sm.Entries = append(sm.Entries, *entry)
				}
				entry = nil
			}
			depth--
		}
	}
}

// sameSpace reports whether a field's namespace is its root's (" " stands
// for a root without one).
func sameSpace(field, root string) bool {
	return field == root || root == " " && field == ""
}

// readTextSitemap reads one URL per line; blank lines are skipped, and so
// are lines longer than sitemapMaxLoc or not UTF-8 (the rest is read).
func readTextSitemap(r *bufio.Reader, sm *Sitemap, maxEntries int) error {
	long := false // in the middle of a line too long to keep
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = true
			continue
		}
		if len(chunk) > 0 && !long {
			line := strings.TrimSpace(string(chunk))
			switch {
			case line == "" || len(line) >= sitemapMaxLoc || !utf8.ValidString(line):
			case len(sm.Entries) == maxEntries:
				return fmt.Errorf("%w: more than %d entries", ErrSitemapCut, maxEntries)
			default:
				sm.Entries = append(sm.Entries, SitemapEntry{Loc: line})
			}
		}
		long = false
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sitemap: %w", err)
		}
	}
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
