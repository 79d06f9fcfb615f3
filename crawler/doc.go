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
// # Shared frontiers and outages
//
// On a frontier.RobotsStore, robots.txt is shared by the crawl's processes:
// the worker that claims an origin fetches its robots.txt and stores it;
// the others read it from the store (or wait while the claim lasts).
//
// On a frontier.Extender (a frontier shared by several processes, whose
// leases expire unless renewed), Run also starts one renewer that extends
// every lease the crawler holds (leased by a worker, in a fetch, or waiting
// in the writer's queue) every LeaseTTL/3. A lease the frontier no longer
// holds (ErrStaleLease) is lost: another process owns the URL now, so its
// result is dropped and a warning is logged once. The writer then completes
// a lease before it writes the record, and writes it only if the completion
// succeeded: a reclaimed lease is never recorded twice, at the cost that a
// crash between the completion and the write loses that one record
// (renewal makes lapsed leases rare; writing first would duplicate a record
// at every lapse, and there is no shared output to cut back on restart).
// Other frontiers keep write-then-complete (or group commit).
//
// A frontier that fails for another reason than its own answers (ErrDone,
// ErrClosed, ErrStaleLease) or a context's end, such as Redis being down,
// pauses the crawl rather than ending it: Next, Complete and Retry are
// retried with exponential backoff (capped at BackoffMax) until ctx ends
// (Grace after it for the completions of records already fetched), Extend
// at the renewer's next tick. The outage is logged once as a warning and
// its end once. A failed completion is retried, so a record is written
// once. A completion applied by the frontier whose reply was lost comes
// back stale on the retry: on a shared frontier it counts as this crawler's
// own when the lease cannot have expired yet (less than LeaseTTL since it
// was granted or last renewed), and its record is written; past that, it is
// dropped (another process may have recorded the URL).
//
// A waiting host never holds a worker: politeness waits happen inside the
// frontier, which hands a worker whichever host is due.
package crawler
