package store

import "time"

// Record is the final outcome of one URL: one JSON object on one line of the
// output. It is written once per URL, after retries, never once per attempt.
type Record struct {
	// URL is the requested URL, normalized.
	URL string `json:"url"`
	// FinalURL is the URL the response came from. For a redirect (3xx with
	// a Location) it is the resolved target, which the crawl queues and
	// records as a URL of its own.
	FinalURL string `json:"final_url"`
	// Status is the HTTP status of the response; 0 if there was none.
	Status int `json:"status"`
	// Depth is the number of link hops from a seed (a seed is 0).
	Depth int `json:"depth"`
	// Parent is the page where the URL was first found; empty for seeds.
	Parent string `json:"parent"`
	// ContentType is the response's media type, without parameters.
	ContentType string `json:"content_type"`
	// Title is the HTML title, decoded to UTF-8.
	Title string `json:"title"`
	// Links are the absolute, normalized http(s) links of the page in
	// document order, without duplicates. Nil is written as [].
	Links []string `json:"links"`
	// Anchors are the page's link elements in document order, duplicates
	// kept, each with where it leads and its text; absent when none.
	Anchors []Anchor `json:"anchors,omitempty"`
	// Bytes is the number of body bytes read (after decompression).
	Bytes int64 `json:"bytes"`
	// DurationMS is the time spent on the final attempt (request, body
	// and parsing), in milliseconds. It must be finite: a Writer rejects NaN and infinities.
	DurationMS float64 `json:"duration_ms"`
	// FetchedAt is when the final attempt started. It is written in UTC,
	// RFC 3339 with nanoseconds; a Writer rejects years outside 0-9999.
	FetchedAt time.Time `json:"fetched_at"`
	// Attempts is the number of requests made for the URL.
	Attempts int `json:"attempts"`
	// Error says why the URL failed; absent on success.
	Error string `json:"error,omitempty"`
	// ErrorKind classifies Error for counting and alerting, in snake_case:
	// timeout, dns, connection_refused, connection_reset, tls,
	// robots_disallowed, robots_unavailable, too_many_redirects,
	// redirect_loop, host_budget, http_4xx, http_5xx, blocked (403, 429
	// or 999: the site refuses the crawler), private_address (refused by
	// the address policy, crawl --allow-private), missing_field or
	// other. Absent on
	// success. Readers should treat a kind they do not know as other.
	ErrorKind string `json:"error_kind,omitempty"`
	// Truncated is true when the body was cut at the size limit.
	Truncated bool `json:"truncated,omitempty"`
	// Saved is where the body was saved (crawl --save DIR), as a
	// slash-separated path relative to DIR; absent when not saved.
	Saved string `json:"saved,omitempty"`
	// SHA256 is the hex sha256 of the body as saved; absent when not saved.
	SHA256 string `json:"sha256,omitempty"`
	// WARC locates the response record of the URL's final request in the
	// WARC output (crawl --warc); absent without one.
	WARC *WARCRef `json:"warc,omitempty"`
	// Check is true for a link check (crawl --check-links): a link the
	// crawl does not follow, requested only for its status (HEAD, or GET
	// when HEAD was answered with an error), never parsed; absent
	// otherwise.
	Check bool `json:"check,omitempty"`
	// Fields are the values taken from an HTML page by crawl --extract
	// rules, by name: a string, or a list of strings for a NAME[] rule. A
	// rule that matched nothing has no key; absent without rules or
	// matches.
	Fields map[string]any `json:"fields,omitempty"`
	// Source is "sitemap" for a URL queued from a sitemap (crawl
	// --sitemaps; Parent is the sitemap); absent otherwise.
	Source string `json:"source,omitempty"`
	// Lastmod is the sitemap's lastmod for the URL, as the sitemap wrote
	// it (a W3C datetime); absent when it had none.
	Lastmod string `json:"lastmod,omitempty"`
	// SitemapURLs is set on a sitemap's own record: how many entries it
	// listed (URLs, or sitemaps for an index), before scope and filters;
	// 0 when it could not be read. Absent on other records.
	SitemapURLs *int `json:"sitemap_urls,omitempty"`
	// ETag and LastModified are the response's validators (its ETag and
	// Last-Modified headers, as sent); absent when the server sent none.
	// A later crawl sends them back as If-None-Match and
	// If-Modified-Since (crawl --since, a --state generation).
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Fingerprint is the hex SHA-256 of the decoded body of a 2xx
	// response whose body was read (up to the size limit, when
	// Truncated); for a 304, the previous record's; absent otherwise.
	// Two crawls of a page with one fingerprint got the same bytes.
	Fingerprint string `json:"fingerprint,omitempty"`
	// NoFollow is true for an HTML page whose <meta name="robots"> says
	// nofollow: its Links were not followed. Absent otherwise.
	NoFollow bool `json:"nofollow,omitempty"`
	// Change says how the URL's outcome compares with the previous
	// crawl's record of it (crawl --since, or the previous --state
	// generation): new, changed, unchanged,
	// moved (it now redirects) or gone (now 404 or 410, or no longer
	// reachable within the depth: such a record has no request, status
	// 0, and the depth and parent of its previous record). Every record
	// of a crawl without a previous one is new. The crawler always sets
	// it; absent only in records written by other programs.
	Change string `json:"change,omitempty"`
	// Generation numbers the crawls of one site: 1 for a first crawl,
	// one more than the previous crawl's for crawl --since and for each
	// --state generation. The crawler
	// always sets it.
	Generation int `json:"generation,omitempty"`
	// CapturedAt is, for an unchanged 2xx or 304 (Change "unchanged"),
	// when the content it stands for was last fetched in full: the
	// fetched_at of the first record of its run of unchanged ones, carried
	// from night to night. A WARC revisit record refers to that capture.
	// Absent otherwise (the record is its own capture).
	CapturedAt *time.Time `json:"captured_at,omitempty"`
}

// An Anchor is one link element of a page.
type Anchor struct {
	// URL is the link, absolute and normalized, as in Links.
	URL string `json:"url"`
	// Text is the link's text (else an image's alt, else its title),
	// whitespace-collapsed, at most 256 bytes; absent when empty.
	Text string `json:"text,omitempty"`
}

// WARCRef locates a WARC record: the file's base name and the byte offset
// where the record (its gzip member, for .warc.gz) starts.
type WARCRef struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
}
