package testserver_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/crawl-dev/crawl/testserver"
)

// memClient returns a client that serves host from site in memory and
// does not follow redirects.
func memClient(site *testserver.Site, host string) *http.Client {
	return &http.Client{
		Transport:     testserver.Transport{host: site.Handler()},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// page is what a browser-like client reads from one response.
type page struct {
	status    int
	ctype     string // media type, sniffed when absent
	title     string
	links     []string
	html      bool
	bodyBytes int64
	truncated bool
	err       error // the request or the body failed (timeout)
}

// get fetches u within timeout, reads at most maxBody bytes of the body
// (inflating gzip), and parses HTML 2xx bodies.
func get(ctx context.Context, client *http.Client, u string, timeout time.Duration, maxBody int64) page {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return page{err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return page{err: err}
	}
	defer resp.Body.Close()
	p := page{status: resp.StatusCode}
	rawType := resp.Header.Get("Content-Type")
	p.ctype = mediaType(rawType)
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			p.err = err
			return p
		}
		body = zr
	}
	var buf bytes.Buffer
	p.bodyBytes, p.err = buf.ReadFrom(io.LimitReader(body, maxBody+1))
	if p.bodyBytes > maxBody {
		p.bodyBytes, p.truncated = maxBody, true
		buf.Truncate(int(maxBody))
	}
	if p.err != nil {
		return p
	}
	if p.ctype == "" && buf.Len() > 0 {
		p.ctype = mediaType(http.DetectContentType(buf.Bytes()))
	}
	p.html = (p.ctype == "text/html" || p.ctype == "application/xhtml+xml") && p.status >= 200 && p.status < 300
	if p.html {
		p.title, p.links, p.err = parsePage(buf.Bytes(), rawType, resp.Request.URL)
	}
	return p
}

func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
		return strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

// decode decodes an HTML body to UTF-8 as browsers do (byte order mark,
// Content-Type charset, <meta> prescan, then a guess), taking an uncertain
// windows-1252 guess for UTF-8 when the whole body is valid UTF-8.
func decode(body []byte, contentType string) ([]byte, error) {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if name == "windows-1252" && !certain && utf8.Valid(body) {
		return bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return bytes.TrimPrefix(out, []byte("\xef\xbb\xbf")), nil
}

// parsePage parses a body with the HTML5 tree builder and returns the first
// title (white space collapsed) and the normalized http(s) links of
// a[href], area[href], frame[src] and iframe[src] outside <template>,
// resolved against the first <base href>, without duplicates.
func parsePage(body []byte, contentType string, pageURL *url.URL) (string, []string, error) {
	title, links, _, err := parseFollow(body, contentType, pageURL)
	return title, links, err
}

// parseFollow is parsePage that also reports a <meta name="robots"> that
// says nofollow or none.
func parseFollow(body []byte, contentType string, pageURL *url.URL) (string, []string, bool, error) {
	text, err := decode(body, contentType)
	if err != nil {
		return "", nil, false, err
	}
	doc, err := html.Parse(bytes.NewReader(text))
	if err != nil {
		return "", nil, false, fmt.Errorf("parse %s: %w", pageURL, err)
	}
	var title, baseHref string
	haveTitle, haveBase, nofollow := false, false, false
	var hrefs []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Template:
				return
			case atom.Title:
				if !haveTitle {
					haveTitle = true
					var b strings.Builder
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.TextNode {
							b.WriteString(c.Data)
						}
					}
					title = strings.Join(strings.Fields(b.String()), " ")
				}
			case atom.Meta:
				name, _ := attr(n, "name")
				content, _ := attr(n, "content")
				content = strings.ToLower(content)
				if strings.EqualFold(strings.TrimSpace(name), "robots") &&
					(strings.Contains(content, "nofollow") || strings.Contains(content, "none")) {
					nofollow = true
				}
			case atom.Base:
				if v, ok := attr(n, "href"); ok && !haveBase {
					haveBase, baseHref = true, v
				}
			case atom.A, atom.Area:
				if v, ok := attr(n, "href"); ok {
					hrefs = append(hrefs, v)
				}
			case atom.Frame, atom.Iframe:
				if v, ok := attr(n, "src"); ok {
					hrefs = append(hrefs, v)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	base := pageURL
	if haveBase {
		if b, err := pageURL.Parse(cleanHref(baseHref)); err == nil {
			base = b
		}
	}
	var links []string
	seen := map[string]bool{}
	for _, h := range hrefs {
		ref, err := base.Parse(cleanHref(h))
		if err != nil || ref.Host == "" || !validPort(ref.Port()) {
			continue
		}
		u, ok := normalize(ref)
		if !ok || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		links = append(links, u.String())
	}
	return title, links, nofollow, nil
}

// validPort reports whether a URL's port is empty or in 0-65535, as the
// WHATWG URL parser requires.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return p == "" || (err == nil && n >= 0 && n <= 65535)
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// TestHostileLinksMatchModel fetches every fixture of the hostile site (and
// a few generated trap pages) in memory, on fake time, parses the HTML ones
// as a browser would and checks titles and links against the model
// (Site.Links and the expected titles): the markup, base and charset
// fixtures say what they claim.
func TestHostileLinksMatchModel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		site := testserver.NewHostile(testserver.HostileConfig{})
		client := memClient(site, "site.test")
		want := site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: 100, Retries: 5})
		paths := append(site.Paths(), "/cal/2026/11", "/cal/1/1", "/cal/99999/12", "/grow/a/a/", "/deep/1/2/3/", "/loop/x/loop/x/")
		htmlPages := 0
		for _, p := range paths {
			site.Reset() // the flaky page fails its first requests
			var got page
			for range 6 { // retries, for the flaky page
				got = get(t.Context(), client, "http://site.test"+p, 5*time.Second, 1<<20)
				if got.err != nil || got.status < 500 {
					break
				}
			}
			wantLinks := site.Links(p, "http://site.test")
			if got.err != nil || !got.html {
				if wantLinks != nil {
					t.Errorf("%s: not an HTML page (%d %s, %v), but the model has links %q", p, got.status, got.ctype, got.err, wantLinks)
				}
				continue
			}
			htmlPages++
			if !reflect.DeepEqual(got.links, wantLinks) {
				t.Errorf("%s: links\ngot  %q\nwant %q", p, got.links, wantLinks)
			}
			if o, ok := want.Records[p]; ok && o.Title != "" && got.title != o.Title {
				t.Errorf("%s: title %q, want %q", p, got.title, o.Title)
			}
		}
		if htmlPages < 60 {
			t.Errorf("only %d HTML pages parsed", htmlPages)
		}
	})
}
