package crawler

import (
	"bytes"
	"cmp"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/parser"
	"github.com/crawl-dev/crawl/store"
)

// Result is one URL's final outcome, after retries: what was asked, what
// came back, what the page says and why it failed, as typed values. A
// worker builds it and hands it, body included, to the record writer,
// whose sinks render it (the JSONL record, a saved file, WARC records) in
// the order the commit strategy gives (commit.go); the body is released
// when the last of them is done.
type Result struct {
	lease frontier.Lease // the URL's lease: its Item is the URL as queued
	base  int            // the depth of seeds in the frontier (sitemapLevels with Config.Sitemaps)

	// URL is the requested URL, parsed; nil only when the frontier handed
	// out an item that does not parse.
	URL *url.URL
	// Start is when the final attempt started (or when the URL was
	// decided without a request); Duration is the time it took.
	Start    time.Time
	Duration time.Duration
	// Response is what the final request got back; nil when no response
	// arrived (a network error, robots.txt, the host's budget).
	Response *Response
	// Page is the parsed HTML page; nil for anything else.
	Page *parser.Page
	// Target is a redirect's resolved Location; empty otherwise.
	Target string
	// Kind and Err say why the URL failed; KindNone and "" on success.
	Kind ErrorKind
	Err  string
	// Truncated says the body was cut at MaxBody, or the page at maxTags
	// for parsing.
	Truncated bool
	// Saved is the path, relative to Config.Save, of the saved body, and
	// SHA256 the hex sha256 of the bytes saved; empty when not saved.
	Saved, SHA256 string
	// Fingerprint is the hex SHA-256 of the decoded body of a 2xx
	// response read whole (for a 304, the previous record's); empty
	// otherwise.
	Fingerprint string

	prior       *Prior // the previous crawl's record of the URL; nil if none
	generation  int
	conditional bool // the request carried the prior validators
	notModified bool // a 304 to a conditional request: the prior page stands

	children []frontier.Item // URLs to queue with the completion
	follows  followKind      // what follow still has to decide the children from
	location string          // a redirect's Location, for follow
	sitemap  *parser.Sitemap // what a sitemap listed (modeSitemap, 2xx)
	mapErr   error           // why the sitemap could not be read whole
	// silent is a completion without a record: an origin's sitemaps
	// found (modeSitemapFind), its children the sitemaps to read.
	silent   bool
	captures []*capture     // requests for the WARC output, in order
	warcAt   *store.WARCRef // where the final response's WARC record is
}

// followKind says what a result's children come from (Crawler.follow).
type followKind uint8

const (
	followNone     followKind = iota
	followLinks               // a page's links, or a 304's previous page's
	followRedirect            // a redirect's Location
	followSitemap             // a sitemap's entries
)

// recorded reports whether the result is a URL's outcome, with a record;
// otherwise it only carries captures for the WARC output.
func (r *Result) recorded() bool { return r.lease.Item.URL != "" }

// Response is the response to a URL's final request.
type Response struct {
	Status int
	Header http.Header
	// MediaType is the Content-Type's media type, lower case, without
	// parameters (sniffed when the header is missing).
	MediaType string
	// Bytes is the number of body bytes read, after decoding.
	Bytes int64

	body *bytes.Buffer // the decoded body of an HTML response; nil otherwise
}

// Item returns the URL's frontier item: URL, depth, parent, attempts.
func (r *Result) Item() frontier.Item { return r.lease.Item }

// Body returns the decoded body kept for the result (the HTML pages'), or
// nil. It is valid until the result is released.
func (r *Result) Body() []byte {
	if r.Response == nil || r.Response.body == nil {
		return nil
	}
	return r.Response.body.Bytes()
}

// release gives the result's body back to the pool. The result must not
// be used after it.
//
// Captures still held are released; their spool files, unlinked when
// made, go with them (the record writer releases captures itself, and
// logs failures).
func (r *Result) release() {
	for _, cp := range r.captures {
		_ = cp.release() // best effort on a dropped result, see above
	}
	r.captures = nil
	if r.Response != nil {
		putBuf(r.Response.body)
		r.Response.body = nil
	}
}

// fail sets the result's error and returns the result.
func (r *Result) fail(kind ErrorKind, msg string) *Result {
	r.Kind, r.Err = kind, msg
	return r
}

// record renders the result as its JSONL record.
func (r *Result) record() *store.Record {
	it := &r.lease.Item
	rec := &store.Record{
		URL:         it.URL,
		FinalURL:    it.URL,
		Depth:       max(0, it.Depth-r.base),
		Parent:      it.Parent,
		FetchedAt:   r.Start.UTC(),
		Attempts:    it.Attempts,
		DurationMS:  float64(r.Duration.Microseconds()) / 1000,
		Links:       []string{},
		Error:       r.Err,
		Truncated:   r.Truncated,
		Saved:       r.Saved,
		SHA256:      r.SHA256,
		WARC:        r.warcAt,
		Check:       isCheck(it),
		Change:      r.change(),
		Generation:  r.generation,
		Fingerprint: r.Fingerprint,
	}
	if r.Err != "" {
		rec.ErrorKind = r.Kind.String()
	}
	if at := r.capturedAt(rec.Change); !at.IsZero() {
		rec.CapturedAt = &at
	}
	switch {
	case it.Mode == modeSitemap || r.sitemap != nil:
		n := 0
		if r.sitemap != nil {
			n = len(r.sitemap.Entries)
		}
		rec.SitemapURLs = &n
	case it.Mode == modeSitemapPage:
		rec.Source = "sitemap"
		rec.Parent, rec.Lastmod = splitLastmod(it.Parent)
	}
	if r.Target != "" {
		rec.FinalURL = r.Target
	}
	if resp := r.Response; resp != nil {
		rec.Status = resp.Status
		rec.ContentType = resp.MediaType
		rec.Bytes = resp.Bytes
		rec.ETag, rec.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	}
	if r.notModified {
		// A 304 may leave validators out: the previous ones still hold.
		rec.ETag = cmp.Or(rec.ETag, r.prior.ETag)
		rec.LastModified = cmp.Or(rec.LastModified, r.prior.LastModified)
	}
	if it.Mode == modeGone {
		r.goneRecord(rec)
	}
	if r.Page != nil {
		rec.Title = r.Page.Title
		rec.Links = r.Page.Links
		if len(r.Page.Anchors) > 0 {
			rec.Anchors = make([]store.Anchor, len(r.Page.Anchors))
			for i, a := range r.Page.Anchors {
				rec.Anchors[i] = store.Anchor{URL: a.URL, Text: a.Text}
			}
		}
		rec.Fields = r.Page.Fields
		rec.NoFollow = r.Page.NoFollow
	}
	return rec
}

// bufPool recycles HTML body buffers. Buffers that grew past maxPooledBuf
// are dropped so that one huge page does not pin memory.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuf = 1 << 20

func putBuf(b *bytes.Buffer) {
	if b != nil && b.Cap() <= maxPooledBuf {
		b.Reset()
		bufPool.Put(b)
	}
}

// capturedAt is the record's captured_at: for an unchanged 2xx or 304, when
// the previous record's content was fetched in full; zero otherwise.
func (r *Result) capturedAt(change string) time.Time {
	if change != ChangeUnchanged || r.prior == nil || r.Response == nil {
		return time.Time{}
	}
	if s := r.Response.Status; !r.notModified && (s < 200 || s >= 300) {
		return time.Time{}
	}
	return r.prior.captured().UTC()
}
