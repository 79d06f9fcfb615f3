// Package store owns the crawl's output: the Record type, one per URL whose
// outcome is final, and its JSON Lines (JSONL) writer and reader.
//
// # Format
//
// The output is UTF-8 text, one JSON object per line, each line ending in
// "\n". Fields, in the order they are written:
//
//	url           string   the requested URL, normalized
//	final_url     string   the URL the response came from; for a redirect
//	                       (3xx), its resolved Location target
//	status        int      HTTP status of the final response; 0 if none
//	depth         int      link hops from a seed; a seed is 0
//	parent        string   page where the URL was first found; "" for seeds
//	content_type  string   media type of the response, without parameters
//	title         string   HTML title, decoded to UTF-8
//	links         [string] absolute, normalized http(s) links of the page, in
//	                       document order, no duplicates; [] when none
//	bytes         int      body bytes read (after decompression)
//	duration_ms   number   milliseconds spent on the final attempt
//	fetched_at    string   RFC 3339 time in UTC, with nanoseconds, of the
//	                       start of the final attempt
//	attempts      int      requests made for the URL
//	error         string   why the URL failed; absent on success
//	error_kind    string   the error's class (timeout, dns,
//	                       connection_refused, connection_reset, tls,
//	                       robots_disallowed, robots_unavailable,
//	                       too_many_redirects, redirect_loop, host_budget,
//	                       http_4xx, http_5xx, blocked, missing_field,
//	                       other); absent on success
//	truncated     bool     true when the body was cut at the size limit;
//	                       absent otherwise
//
// Strings are escaped as encoding/json escapes them, minus HTML escaping:
// <, > and & appear as they are. Invalid UTF-8 in a string is written as
// U+FFFD, one per invalid byte, so every line is valid JSON and valid UTF-8.
// Readers must ignore fields they do not know: fields may be added.
//
// # Writing
//
// Open creates the output ("-" for stdout, ".gz" for gzip) and NewWriter
// wraps any io.Writer. A Writer buffers about 64 KiB and hands whole lines
// to the file; Flush pushes them out (a gzip sync flush included), Close
// flushes and closes. A process killed mid-write can leave at most one torn
// line at the end of an uncompressed file; Read reports it as ErrTornLine.
//
// # Concurrency
//
// A Writer is not safe for concurrent use: one goroutine owns it. Read and
// ReadFile call fn on the caller's goroutine. The package starts no
// goroutines, keeps no global state and does not log.
package store
