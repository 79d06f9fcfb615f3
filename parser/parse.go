package parser

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Page is what a crawler needs from one HTML document.
type Page struct {
	// Title is the text of the first <title> element, decoded to UTF-8, with
	// ASCII whitespace collapsed to single spaces and trimmed.
	Title string
	// Links are the absolute, normalized http(s) URLs of the page's
	// a[href], area[href], frame[src] and iframe[src], without fragments, in
	// document order, each once; never nil. A fragment-only href ("#top")
	// yields the page's own URL.
	Links []string
	// Base is the effective base URL used to resolve links, normalized: the
	// first <base href> resolved against the page URL if that gives an
	// http(s) URL, else the page URL.
	Base string
	// Charset is the name of the encoding the body was decoded from, as
	// golang.org/x/net/html/charset names it ("utf-8", "windows-1252",
	// "shift_jis"...).
	Charset string
	// NoFollow is set when a <meta name="robots"> says nofollow or none.
	NoFollow bool
	// NoIndex is set when a <meta name="robots"> says noindex or none.
	NoIndex bool
}

// pageSelector matches every element Parse reads, so that one walk of the
// tree finds them all, in document order. It is compiled once and, being a
// pure function, safe for concurrent use.
var pageSelector = cascadia.MustCompile(
	"title, base[href], meta[name], a[href], area[href], frame[src], iframe[src]")

// Parse parses an HTML body. contentType is the response's Content-Type
// header (may be empty); pageURL is the absolute http(s) URL the body came
// from. The body is decoded to UTF-8 first (see Page.Charset). Any bytes
// parse: malformed HTML is repaired as browsers do and hrefs that are not
// valid http(s) URLs are skipped. Parse fails only when pageURL is not an
// absolute http(s) URL or the body cannot be decoded.
func Parse(body []byte, contentType string, pageURL *url.URL) (*Page, error) {
	if pageURL == nil {
		return nil, fmt.Errorf("parse page: %w", errNoBaseURL)
	}
	pageForm, err := fetchForm(new(url.URL).ResolveReference(pageURL), nil)
	if err != nil {
		return nil, fmt.Errorf("parse page %s: %w", pageURL, err)
	}
	text, name, err := decodeUTF8(body, contentType)
	if err != nil {
		return nil, fmt.Errorf("parse page %s: %w", pageForm, err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parse page %s: %w", pageForm, err)
	}

	p := &Page{Charset: name, Base: pageForm}
	nodes := doc.FindMatcher(pageSelector).Nodes
	var (
		refs               = make([]string, 0, len(nodes))
		haveTitle, hasBase bool
		baseHref           string
	)
	for _, n := range nodes {
		if inTemplate(n) {
			continue // template contents are not part of the document
		}
		switch n.DataAtom {
		case atom.Title:
			if !haveTitle && n.Namespace == "" {
				haveTitle = true
				p.Title = collapseSpace(strings.ToValidUTF8(childText(n), "\uFFFD"))
			}
		case atom.Base:
			if !hasBase && n.Namespace == "" {
				hasBase = true
				baseHref = attr(n, "href")
			}
		case atom.Meta:
			if strings.EqualFold(strings.TrimSpace(attr(n, "name")), "robots") {
				readRobots(p, attr(n, "content"))
			}
		case atom.A, atom.Area:
			refs = append(refs, attr(n, "href"))
		case atom.Frame, atom.Iframe:
			refs = append(refs, attr(n, "src"))
		}
	}

	hosts := make(hostCache, 4)
	base := pageURL
	if hasBase {
		// An invalid or non-http(s) <base href> leaves the page URL in force.
		if b, ok := resolveURL(pageURL, baseHref); ok {
			if s, err := fetchForm(b, hosts); err == nil {
				base, p.Base = b, s
			}
		}
	}
	p.Links = resolveLinks(base, refs, hosts)
	return p, nil
}

// resolveLinks resolves and normalizes refs against base, skipping invalid
// and non-http(s) ones and keeping the first of duplicates.
func resolveLinks(base *url.URL, refs []string, hosts hostCache) []string {
	if len(refs) == 0 {
		return []string{} // encodes as [] rather than null
	}
	links := make([]string, 0, len(refs))
	seen := make(map[string]struct{}, len(refs))
	for _, ref := range refs {
		u, ok := resolveURL(base, ref)
		if !ok {
			continue
		}
		link, err := fetchForm(u, hosts)
		if err != nil {
			continue
		}
		if _, dup := seen[link]; dup {
			continue
		}
		seen[link] = struct{}{}
		links = append(links, link)
	}
	return links
}

// readRobots applies a robots meta content value ("noindex, nofollow") to p.
func readRobots(p *Page, content string) {
	for tok := range strings.SplitSeq(content, ",") {
		switch strings.ToLower(strings.TrimSpace(tok)) {
		case "none":
			p.NoIndex, p.NoFollow = true, true
		case "noindex":
			p.NoIndex = true
		case "nofollow":
			p.NoFollow = true
		}
	}
}

// inTemplate reports whether n is inside an HTML <template>, whose contents
// x/net/html keeps as ordinary children but browsers never render or follow.
func inTemplate(n *html.Node) bool {
	for a := n.Parent; a != nil; a = a.Parent {
		if a.DataAtom == atom.Template && a.Namespace == "" {
			return true
		}
	}
	return false
}

// attr returns the value of n's attribute key, or "".
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// childText concatenates the text nodes directly under n (a <title> holds
// only text).
func childText(n *html.Node) string {
	c := n.FirstChild
	if c == nil {
		return ""
	}
	if c.NextSibling == nil && c.Type == html.TextNode {
		return c.Data
	}
	var b strings.Builder
	for ; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// collapseSpace replaces each run of ASCII whitespace with one space and
// trims it from both ends ("strip and collapse ASCII whitespace" in the HTML
// standard, which document.title applies).
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
