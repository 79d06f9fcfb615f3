// Package frontier decides what a crawl fetches next.
//
// # What a frontier owns
//
// A Frontier owns four things the crawler must not keep on its own:
//
//   - the seen-set: every dedup key ever added, so a URL is queued at most
//     once per crawl. Seen is not done: a URL is done when its lease is
//     completed;
//   - the per-host queues of URLs waiting to be fetched;
//   - per-host politeness: the time a host is next due (its Delay after the
//     last lease start, or the end of a Retry wait, whichever is later) and
//     its in-flight limit;
//   - the pending count, queued plus leased, which tells when the crawl is
//     finished: Next returns ErrDone only when it is zero.
//
// The crawler normalizes URLs and derives Item.Host and Item.Key before
// adding; the frontier treats them as opaque strings. It fetches nothing,
// logs nothing and imports no sibling package.
//
// # Breadth-first guarantee
//
// Items are leased breadth-first: no item of depth d+1 is leased while an
// item of depth d or less is queued or leased. Because a page's links are
// added (by Complete) before any page of the next depth is leased, every
// URL is first added, and so recorded, with its shortest depth from a seed,
// and a crawl limited to depth N records every page within N hops, at any
// concurrency. The price: one slow or Retry-blocked host holds back the next
// depth for every host, so the crawler should cap Retry waits.
//
// A redirect target keeps its page's depth (the crawler queues it as a
// child of the same depth), and so do the URLs a seed read as a sitemap
// lists: such a child of a page of depth d may reach a URL that a link of
// another page of depth d already queued at d+1. Complete then moves that
// item to depth d, with the child's fields. Breadth-first order makes the
// move exact: while a lease of depth d is held, nothing deeper than d has
// been leased, so the URL is still queued and is leased once, at its
// shortest depth. Every backend does it; the conformance suite's
// ShorterPathWins and Stress (a random graph with redirects, checked
// against a 0-1 breadth-first search) check it.
//
// # The memory backend
//
// NewMemory returns a Memory, which keeps everything in the process. It
// starts no goroutines: a blocked Next waits on a channel and a timer of
// its own and returns when it can lease, when the crawl is finished, when
// its ctx ends or when the frontier is closed. Next never scans all hosts:
// hosts with leasable work sit in a heap ordered by due time; hosts at
// their in-flight limit or whose next item is deeper than the current
// level are parked until a lease ends or the level moves on. Hosts with
// nothing queued or leased are forgotten once due, so memory grows with the
// seen-set (about 38 bytes a URL) and the queue (about 66 bytes a URL plus
// its strings), not with the number of hosts ever seen; SetHostDelay
// overrides are kept for the whole crawl. That scheduling is not Memory's
// own: it is frontier/internal/sched, which frontier/disk shares; Memory
// adds the seen-set and a ring of entries per host and depth.
//
// # Concurrency
//
// Every method of every backend is safe for concurrent use; any number of
// goroutines may block in Next at once. A Lease is a value: copy it freely,
// but end it once.
//
// # Writing a backend
//
// A backend lives in its own package (frontier/redis, frontier/disk),
// implements Frontier, and runs the conformance suite from its tests
// (RunOptions, with its optional interfaces declared, when it has any):
//
//	func TestConformance(t *testing.T) {
//		frontiertest.Run(t, func(t *testing.T, p frontier.Policy) frontier.Frontier {
//			return openEmptyBackend(t, p) // a fresh, empty frontier
//		})
//	}
//
// What each method must guarantee:
//
//   - Add: enqueue-if-unseen in one atomic step per item, so two concurrent
//     Adds of one key queue it once; return how many keys were new.
//   - Next: if ctx is already done, return ctx.Err() and lease nothing.
//     Lease only an item whose host is due and below MaxInflight and whose
//     depth is the smallest pending depth; set the host's next due time to
//     the lease start plus its delay in the same step. Block otherwise,
//     and return ErrDone when nothing is queued or leased; every blocked
//     Next must notice the change.
//   - Complete: drop the lease, count the item done and add the children in
//     one atomic step (the pending count never reads zero between a page and
//     its links). A lease no longer held returns ErrStaleLease and changes
//     nothing.
//   - Retry: drop the lease and queue l.Item at the front of its host's
//     queue at its depth; the host is not due before now+wait. Stale leases
//     as in Complete.
//   - SetHostDelay: replace the Policy delay for one host, remembered even
//     while the host has nothing queued; the next lease of the host is due
//     at its last lease start plus the new delay.
//   - Stats and Close: Close wakes every blocked Next with ErrClosed, and
//     every method called after Close returns ErrClosed.
//
// A backend of this module that keeps its scheduling state in the process
// (which hosts have work, their due times and in-flight counts, the level,
// the leases) does not write it again: it uses frontier/internal/sched, as
// Memory and frontier/disk do. The Scheduler there decides what is leased
// and when, and wakes blocked Next calls; the backend keeps the seen-set
// and the items, in a storage type of its own with one value per host and
// depth (Memory: a ring of entries; disk: the bounds of a run of store
// keys), and puts items in or takes them out where the Scheduler says
// (the protocol is in that package's doc). A backend whose scheduling
// state lives elsewhere, shared between processes (Redis), keeps it there
// and meets the same guarantees on its own.
//
// Backends that survive crashes give leases a deadline, hand expired ones
// out again, and answer ErrStaleLease to their late Complete or Retry.
//
// The optional interfaces choose the crawler's commit order, once, by type
// assertion on the frontier it is given:
//
//   - Batcher (frontier/disk): group commit. The crawler writes and syncs a
//     batch's records, then commits their completions and the output's
//     checkpoint in one CompleteBatch, for exactly-once output.
//   - Extender (frontier/redis): complete first, then write. Leases expire,
//     so the crawler renews them and records a URL only once its Complete
//     succeeded.
//   - neither: write the record, then Complete.
//
// Annotator (frontier/disk) keeps one opaque value per dedup key across
// the generations of a crawl that is run again after it finished (nightly
// re-crawls): CompleteBatch stores a Done's Annotation with its
// completion, and NextGeneration forgets the seen-set, the counters and
// the checkpoint and queues the seeds again.
//
// Aheader (Memory, frontier/disk) lets a host run one level ahead of the
// others: NextAhead leases an item one deeper than the level when nothing
// of the level can be leased, Park ends its fetch and frees its host's
// slot, and Next hands it back, ripe, once the level reaches its depth; a
// Complete child that reaches its URL by a shorter path moves it. The
// crawler then fetches ahead and completes breadth-first. In
// frontier/internal/sched the Scheduler does this bookkeeping
// (Pick, ReadyAhead, Park, Ripe, MoveLease); the backend keeps the
// items of its ahead leases, as moves leave them, and must make a move
// survive what its leases survive (disk rewrites the lease's key).
//
// RobotsStore (frontier/redis) shares robots.txt between processes. A
// wrapper around a frontier (logging, metrics) must forward every optional
// interface of the frontier it wraps: one that hides Extend switches a
// shared crawl to the order that records a reclaimed URL twice. Declare
// what a backend implements in frontiertest.Options; the suite fails when
// the frontier's interfaces differ from the declaration and tests each
// declared one.
// Time-dependent behaviour is checked with lower bounds on real elapsed time;
// a backend that does no I/O can also run the suite inside testing/synctest
// bubbles (frontiertest.RunOptions with Synctest set) for exact times.
package frontier
