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
// frontier queues it and "done" when its record is written and it is
// completed in the frontier; its links are queued in the same completion
// step. Each worker turns a lease into one typed Result (result.go), whose
// ownership, body included, moves to the record writer; the writer renders
// it (the JSONL record) and releases it. The order of writing and
// completing is one strategy, chosen in New from what the frontier can do
// (committer, in commit.go): group commit on a frontier.Batcher, complete
// then write on a frontier.Extender, write then complete otherwise.
// A transient failure with attempts left is not a result: the URL goes
// back to the front of its host's queue and the host waits.
//
// On a frontier.Aheader, a worker with nothing of the level to lease may
// fetch a URL of the next depth (ahead.go); its result is parked, bounded,
// until the frontier hands the lease back ripe, and only then goes to the
// writer, with its links followed from its final depth.
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
// result is dropped and a warning is logged once.
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
