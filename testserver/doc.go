// Package testserver serves deterministic test websites whose crawl results
// are known in advance, for integration tests and benchmarks of the
// crawler, in-process (on loopback, or in memory through Transport) or
// through cmd/testserver.
//
// Every site is one model from which both the handler (Site.Handler) and
// the expected results (Site.Expect, Site.ExpectCrawl, Site.Links) are
// derived. There are three kinds:
//
//   - New generates a synthetic site from a Config: a seeded PCG stream
//     decides every page, link and spelling, so one Config gives the same
//     site, byte for byte, on every machine.
//   - NewHostile builds fixtures that reproduce what broken and hostile
//     sites do (below), each served as such a site would serve it and each
//     with the outcome a crawl must record.
//   - NewRobotsSite builds a small site whose robots.txt misbehaves in one
//     RobotsMode. A crawler keys robots.txt by origin, so each mode is its
//     own site: serve each on its own listener or Transport host.
//
// A test serves a site, crawls it, and compares:
//
//	site := testserver.NewHostile(testserver.HostileConfig{})
//	rt := testserver.Transport{"site.test": site.Handler()} // or httptest.NewServer
//	// crawl http://site.test/ to depth 3 with 2 retries, then:
//	want := site.ExpectCrawl(testserver.Crawl{Seed: "/", MaxDepth: 3, Retries: 2})
//	err := want.Compare(records)                       // what was recorded
//	err = want.CheckRequests(site.Requests(), 2)       // what was requested
//	err = want.CheckLog(site.Log())                    // Retry-After, Crawl-delay
//	links := site.Links("/markup/base/", "http://site.test") // a record's links
//
// # Expectations
//
// Expectations follow the crawler's rules: URLs are keyed by their
// normalized path (with query); links are followed only from HTML 2xx pages
// (a[href], area[href], frame[src], iframe[src]) to the seed's host and
// only while the child's depth is within the limit; a redirect is recorded
// as its own 3xx record and its target is queued at the same depth; URLs
// disallowed by robots.txt are recorded with status 0 and an error and
// never requested; 4xx/5xx pages are recorded with an error and not parsed;
// non-HTML 2xx responses are recorded and not parsed; a URL reached through
// MaxRedirects redirects that redirects again is recorded with an error.
// The expected depth is the shortest link distance (redirects count 0).
//
// On hostile and robots sites the expectation also follows the crawler's
// other rules, with the limits given in Crawl: timeouts are errors
// ("timeout after"), retried like 408, 429 and 5xx (Outcome.Attempts,
// Outcome.RetryWait); a response that fails after its headers keeps its
// status; bodies are cut at MaxBody (Outcome.Truncated) and truncated HTML
// is still parsed; a redirect to itself or back to the URL that redirected
// to it is a "redirect loop", an unusable Location an "unusable location"
// error, a 3xx without Location an "http status 3xx" error; a link whose
// path repeats a segment more than MaxRepeats times is not followed, nor a
// link whose dedup key (session ids dropped: sid, phpsessid, jsessionid,
// ;jsessionid=) was seen; <meta name="robots" content="nofollow"> stops
// links; a robots.txt that answers 5xx, 429 or nothing makes every URL of
// the host an error without a request (Outcome.Robots). Expectation.Support
// counts robots.txt requests and Expectation.MinGap is the Crawl-delay.
// A per-host page budget (--max-host-pages) is not modelled: which URLs it
// cuts depends on timing; assert counts instead.
//
// # Downloads and exact bytes
//
// With Files, DownloadsPath (/downloads/, linked from "/") links every
// /doc/N.pdf, PDFs without an extension (/get?id=N), BigPDFPath (3 MiB),
// ZipPath, /img/0.png and /data/0.txt. With Encoded (not in AllFeatures:
// compressed responses make wire bytes differ from body bytes), page /p/N
// is gzip when N%7 == 1 and chunked when N%7 == 4. Site.Served returns the
// status, header and body bytes the handler sends for a URL, compressed
// when it compresses, and Site.Decoded the decompressed body, for tests of
// saved files and WARC records.
//
// # Generations and validators
//
// Config.Generation models a site between nightly re-crawls. Generation 0
// is the site New generates; generation g applies steps 1..g to it. Step k
// decides for every normal page /p/i still served as a page, from a hash
// of (Seed, i, k) rather than the generator's stream (so generation 0 and
// every step are the same whatever the generation):
//
//	changed  ~10%  the body is re-rendered with a "Revision k" paragraph; the page links
//	               to a new page /new/k/i (linking two normal pages) and half the time
//	               drops one of its links, so reachability within a depth changes
//	removed  ~3%   404 or 410 (half each) from step k on, a small HTML error page
//	moved    ~2%   301 from step k on to /renamed/i, a new page with its title and links
//
// "/" may change but is never removed or moved; a removed or moved page
// stays so, and links to it stay. A moved page goes to a new path rather
// than to another existing page, so that its target is reachable only
// through the redirect, as for every redirect of the site. Only normal
// pages change; files, feature pages, redirects and error pages do not.
// ExpectCrawl walks the generation's model (new pages, removed pages as
// 404/410 error records, moved pages as redirects whose target is queued at
// their depth, dropped links); Outcome.Revision is the step that last
// changed a 2xx body. ExpectChanges labels each URL of two expectations
// new, changed, unchanged, moved or gone; a re-crawler applies the same
// rules to what it fetches.
//
// Every 2xx page and file (not robots.txt, redirects or error pages) sends
// validators by a class fixed by a hash of Seed and path, in every
// generation; an ETag names the path and revision:
//
//	~65%  strong ETag and Last-Modified (2026-01-01 plus the revision in days)
//	~10%  none: only If-None-Match: * gets a 304
//	~10%  weak ETag W/"..." and Last-Modified
//	 ~5%  Last-Modified only
//	 ~5%  a lying ETag that changes every generation although the body does
//	      not: a conditional GET gets a 200 with the same body
//	 ~5%  a stuck Last-Modified that never moves, with a correct strong ETag:
//	      If-Modified-Since alone wrongly gets a 304 after a change
//
// A gzip representation (Encoded) has its own strong ETag (suffix -gzip,
// RFC 9110 §8.8.3); weak ETags are shared. Conditional GET and HEAD of
// these resources follow RFC 9110 §13: If-None-Match first (a list or "*",
// weak comparison, against the representation being sent), and only
// without it If-Modified-Since (one valid HTTP-date, one-second
// resolution, only with a Last-Modified). A 304 carries the 200's ETag,
// Last-Modified and Vary and no body, waits Latency like the 200, and is
// logged and counted like any request (Request.Status 304, Bytes 0).
// Outcome.ETag and Outcome.LastModified are what the 200 sends to a client
// that accepts gzip.
//
// # Hostile fixtures
//
// "/" links to one entry point of each; HostileConfig.Fixtures selects
// groups. Expected outcomes are for the defaults of Crawl:
//
//	slow      /slow/never        no answer until the request ends: status 0, timeout, retried
//	          /slow/drip         200, then one byte per Drip, flushed, forever: status 200, timeout, retried
//	          /slow/latency      answers after Latency: 200 unless Latency >= Timeout
//	size      /size/endless      HTML that never ends: 200, truncated, title read
//	          /size/large        LargeSize bytes of HTML (default 200 MB), streamed: 200, truncated
//	          /size/large.bin    the same as application/octet-stream
//	          /size/bomb         gzip, ~1 MiB inflating to BombSize (> 1 GiB) of <p>: 200, truncated
//	redirects /redir/self        302 to itself: "redirect loop"
//	          /redir/x, /redir/y a two-cycle (y's Location is relative): y is a "redirect loop"
//	          /redir/long/0..11  a chain past the limit: /redir/long/10 "too many redirects"
//	          /redir/out         to http://127.0.0.2:1/elsewhere: recorded, not followed
//	          /redir/garbage, /redir/bad-escape, /redir/non-http
//	                             Location http://[::1, http://%zz/, ftp://...: "unusable location"
//	          /redir/rel/from    307 with a relative Location to /redir/landing?via=relative
//	          /redir/no-location 302 without Location, /redir/not-modified 304: "http status N"
//	traps     /cal/Y/M           months linking to the previous and next month, forever: depth bounds it
//	          /grow/a/           href="a/" each level; /loop/x/ href="loop/x/": the repeat rule cuts both
//	          /deep/1/           href="2/", "3/"...: depth bounds it
//	          /session, /session/j, /session/php?page=1
//	                             link to themselves with a fresh ?sid=, ;jsessionid=, &PHPSESSID=: fetched once
//	retry     /retry/429-seconds, /retry/429-date, /retry/503-seconds
//	                             with Retry-After (RetryAfter, in seconds or as an HTTP-date)
//	          /retry/503, /retry/408: without; all retried to the end
//	          /retry/flaky       500 for the first FailFirst requests, then a page
//	          /retry/403, /retry/410: final at once
//	markup    /markup/malformed  unclosed tags, a stray </html>, unquoted attributes, a tag cut by EOF
//	          /markup/hidden     links in comments, <script>, <style>, <textarea>, <template>, <xmp>, after <plaintext>
//	          /markup/base/      <base href> to a subdirectory (and a second, ignored one)
//	          /markup/whitespace hrefs wrapped in spaces, tabs and newlines
//	          /markup/schemes    javascript:, mailto:, tel:, data:, ftp:, invalid URLs
//	          /markup/nofollow   meta robots nofollow: its link is recorded, not followed
//	charset   /charset/...       Shift_JIS, ISO-8859-1, windows-1252 by header, <meta charset>,
//	                             <meta http-equiv>, UTF-8/UTF-16 byte order marks, undeclared
//	types     /types/garbage     random bytes (NULs included) as text/html
//	          /types/doc.pdf, /types/img.png, /types/empty, /types/xhtml, /types/upper-case
//	          /types/no-type     HTML with no Content-Type header at all (a crawler must sniff it)
//
// Everything a correct crawl must not request (/trap/... pages named only
// by look-alikes, the next page of each trap) is served anyway, so a
// mistake shows up in the request log: Requests, Order, MaxInflight, and
// Log with timestamps for timing assertions (Gaps, MaxConcurrent).
//
// # Time and concurrency
//
// Every delay uses the time package (timers, time.Now), so sites behave
// exactly on fake time inside testing/synctest bubbles, and no handler
// starts a goroutine: a request's handler returns when its response is
// done, a Write fails or the request's context ends. Transport runs each
// request's handler in one goroutine that ends with it.
//
// A Site is immutable after it is built except for its request log and
// per-path counters (failures before success, session ids), which Reset
// restarts; every method is safe for concurrent use, and Handler serves any
// number of requests at once. Constructors start no goroutines.
//
// Files: site.go (Config, Site, the generated model), generate.go (the
// generator), generations.go (the change steps of Config.Generation),
// render.go and body.go (link spellings and bodies), handler.go (serving
// and request counts), conditional.go (validators and conditional
// requests), served.go (Served, Decoded), log.go (the request log),
// expect.go (expected results), changes.go (ExpectChanges), check.go
// (comparing a crawl with them), hostile.go
// (hostile fixtures and their model), hostile_fixtures.go,
// hostile_markup.go and hostile_traps.go (the fixtures), hostile_serve.go
// (serving them), hostile_expect.go (their expected results),
// hostile_robots.go (robots sites), transport.go (serving in memory).
package testserver
