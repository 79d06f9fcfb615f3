package parser

import (
	"bytes"
	"fmt"
	"iter"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
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
	// Anchors are the page's links as written, one per a[href],
	// area[href], frame[src] and iframe[src] that resolves to a link, in
	// document order, duplicates kept: each with its URL (as in Links)
	// and text. At most maxAnchors.
	Anchors []Anchor
	// Fields are the values the Extractor given to Parse took, by rule
	// name: a string, or a []string for a NAME[] rule; a rule that
	// matched nothing has no key. Nil without an Extractor or matches.
	Fields map[string]any
}

// An Anchor is one link element of a page: where it leads and what it
// says.
type Anchor struct {
	// URL is the link, absolute and normalized, as in Page.Links.
	URL string
	// Text is what a reader sees of the link, whitespace-collapsed and at
	// most maxAnchorText bytes: an <a>'s text, else the alt of an image
	// in it, else its title; an <area>'s alt; a frame's title.
	Text string
}

// Limits on Page.Anchors, so that a page of links cannot make its record
// unbounded.
const (
	maxAnchors    = 10000
	maxAnchorText = 256
)

// Parse parses an HTML body. contentType is the response's Content-Type
// header (may be empty); pageURL is the absolute http(s) URL the body came
// from. The body is decoded to UTF-8 first (see Page.Charset). Any bytes
// parse: malformed HTML is repaired as browsers do and hrefs that are not
// valid http(s) URLs are skipped. Parse fails only when pageURL is not an
// absolute http(s) URL or the body cannot be decoded. ex, if not nil,
// takes Page.Fields from the same parse of the document.
func Parse(body []byte, contentType string, pageURL *url.URL, ex *Extractor) (*Page, error) {
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
	var (
		refs               []ref
		haveTitle, hasBase bool
		baseHref           string
	)
	x := ex.start()
	for n := range elements(doc.Nodes[0]) {
		x.visit(n)
		switch n.DataAtom {
		case atom.Title:
			if !haveTitle && n.Namespace == "" {
				haveTitle = true
				p.Title = collapseSpace(strings.ToValidUTF8(childText(n), "\uFFFD"))
			}
		case atom.Base:
			if href, ok := attr(n, "href"); ok && !hasBase && n.Namespace == "" {
				hasBase = true
				baseHref = href
			}
		case atom.Meta:
			if name, ok := attr(n, "name"); ok && strings.EqualFold(strings.TrimSpace(name), "robots") {
				content, _ := attr(n, "content")
				readRobots(p, content)
			}
		case atom.A, atom.Area:
			if href, ok := attr(n, "href"); ok {
				refs = append(refs, ref{href, n})
			}
		case atom.Frame, atom.Iframe:
			if src, ok := attr(n, "src"); ok {
				refs = append(refs, ref{src, n})
			}
		}
	}

	hosts := make(hostCache, 4)
	base, baseForm := pageURL, pageForm
	if hasBase {
		// An invalid or non-http(s) <base href> leaves the page URL in force.
		if b, ok := resolveURL(pageURL, baseHref); ok {
			if s, err := fetchForm(b, hosts); err == nil {
				base, baseForm = b, s
			}
		}
	}
	p.Base = baseForm
	p.Links, p.Anchors = resolveLinks(newLinkResolver(base, baseForm, hosts), refs)
	p.Fields = x.result()
	return p, nil
}

// A ref is a link element and its href or src, as written.
type ref struct {
	href string
	n    *html.Node
}

// resolveLinks resolves and normalizes refs, skipping invalid and
// non-http(s) ones: the links, keeping the first of duplicates, and the
// anchors, keeping all (up to maxAnchors).
func resolveLinks(r *linkResolver, refs []ref) ([]string, []Anchor) {
	if len(refs) == 0 {
		return []string{}, nil // links encode as [] rather than null
	}
	links := make([]string, 0, len(refs))
	anchors := make([]Anchor, 0, min(len(refs), maxAnchors))
	seen := make(map[string]struct{}, len(refs))
	nodes := maxTextNodes
	for _, ref := range refs {
		link, ok := r.resolve(ref.href)
		if !ok {
			continue
		}
		if len(anchors) < maxAnchors {
			anchors = append(anchors, Anchor{URL: link, Text: anchorText(ref.n, &nodes)})
		}
		if _, dup := seen[link]; dup {
			continue
		}
		seen[link] = struct{}{}
		links = append(links, link)
	}
	if len(anchors) == 0 {
		anchors = nil
	}
	return links, anchors
}

// anchorText is the text of link element n for Anchor.Text. Its walk
// takes the nodes it visits off *nodes, the page's budget: SVG's <a> may
// nest, so that one subtree is not walked again for each.
func anchorText(n *html.Node, nodes *int) string {
	var t string
	switch n.DataAtom {
	case atom.A:
		if t = collapsedText(n, maxAnchorText, nodes); t == "" {
			for m := range elements(n) {
				if m.DataAtom == atom.Img {
					if alt, ok := attr(m, "alt"); ok {
						t = alt
						break
					}
				}
			}
		}
		if t == "" {
			t, _ = attr(n, "title")
		}
	case atom.Area:
		t, _ = attr(n, "alt")
	default:
		t, _ = attr(n, "title")
	}
	return cut(strings.ToValidUTF8(collapseSpace(t), "\uFFFD"), maxAnchorText)
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

// elements yields the element nodes under root in document order, without
// descending into an HTML <template>, whose contents x/net/html keeps as
// ordinary children but browsers never render or follow. The walk follows
// parent pointers, so it needs no stack however deep the tree.
func elements(root *html.Node) iter.Seq[*html.Node] {
	return func(yield func(*html.Node) bool) {
		n := root
		for n != nil {
			if n.Type == html.ElementNode && !yield(n) {
				return
			}
			if n.FirstChild != nil && !(n.DataAtom == atom.Template && n.Namespace == "") {
				n = n.FirstChild
				continue
			}
			for n != root && n.NextSibling == nil {
				n = n.Parent
			}
			if n == root {
				return
			}
			n = n.NextSibling
		}
	}
}

// attr returns the value of n's attribute key and whether n has it.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
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
	var c collapser
	c.write(s, len(s))
	return c.b.String()
}
