// Package crawler is the crawl engine: a pool of fetch workers that lease
// URLs from a frontier, apply robots.txt and per-host politeness, fetch with
// bounded time and size, retry transient failures with backoff, parse HTML
// for links, and hand one record per URL to a record writer.
//
// # Ownership
//
// The frontier (package frontier) decides what is fetched next and when: it
// enforces per-host concurrency and delays and the breadth-first order. The
// crawler decides what a response means: robots.txt (RFC 9309, cached per
// origin for 24 hours, fetched with the host's own slot), Crawl-delay
// (capped), retries and Retry-After, redirects (recorded, their targets
// queued at the same depth and checked against scope and robots like any
// link), scope and filters, and the record. It knows no file format: records
// go to a RecordWriter.
//
// # Goroutines
//
// New starts nothing. Run starts Config.Concurrency workers and one record
// writer, and returns only when all have exited. A URL is "seen" when the
// frontier queues it and "done" when the record writer has written its
// record and completed it in the frontier; its links are queued in the same
// completion step. With a frontier.Batcher (a persistent frontier) the
// writer group-commits: it writes the records that are ready, syncs the
// output (a DurableWriter), and commits their completions with the output's
// end offset in one step, so a crash loses no record and duplicates none
// (ResumeOffset tells where to cut the output on restart). A transient failure with attempts left is not a record:
// the URL goes back to the front of its host's queue and the host waits.
//
// A waiting host never holds a worker: politeness waits happen inside the
// frontier, which hands a worker whichever host is due.
package crawler
