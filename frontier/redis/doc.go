// Package redis is a frontier.Frontier kept in Redis (7.0 or later), so
// that several crawler processes can share one crawl.
//
// Open joins the crawl named by a crawl id, creating it if it is new; every
// process that opens the same id over the same Redis sees one seen-set,
// one set of host queues, one pending count and one per-host politeness
// state. The semantics are those of the memory backend (see the frontier
// package doc), enforced across processes: breadth-first level gating
// (the pending count per depth lives in Redis, and Next leases only items
// of the lowest pending depth), per-host MaxInflight and Delay,
// SetHostDelay overrides, and Retry to the front of the host's queue with
// the host blocked until the server's time plus the wait.
//
// # Leases
//
// A lease has a deadline, Options.LeaseTTL after it is granted; Extend
// renews it. Any caller of Next, in any process, reclaims an expired
// lease atomically: its item goes back to the front of its host's queue
// and the host's in-flight count drops, and a late Complete, Retry or
// Extend of it returns frontier.ErrStaleLease. Lease IDs come from a
// counter in Redis and are unique within the crawl. A lease past its
// deadline that nobody has reclaimed yet is still held.
//
// # Data model
//
// Every key of a crawl starts with "fr:{crawlID}:", so a crawl is one
// Redis Cluster slot and several crawls share a server:
//
//	meta        hash  policy, seen-set bucket bits, epoch; pending, queued,
//	                  seen, done and reclaimed counters
//	pd, lv      hash, zset  pending count per depth; depths with pending items
//	ready       zset  hosts with a leasable head, scored depth*2^37 + due
//	leases      zset  lease id -> deadline
//	inflight    hash  lease id -> depth, host and item record
//	ids         counter of lease ids
//	h:<host>    hash  inflight, last lease start, blocked-until, delay
//	d:<host>    zset  the depths at which the host has queued items
//	q:<d>:<host> list the host's queued records of depth d, in lease order
//	s:<bucket>  hash  seen-set: bucket = top bits of the dedup key's 64-bit
//	                  FNV-1a hash, field = the other bits, value = the
//	                  depth the URL was last queued at, empty once it is
//	                  done (and in crawls begun before depths were kept)
//	moved       hash  "depth dedup-key" -> how many copies of a URL in a
//	                  queue of that depth were moved to a shallower depth
//	                  (a Complete's child reached the URL by a shorter
//	                  path); counted out at once, dropped from their
//	                  queue when Next meets them
//	leased      hash  dedup key -> leases of the URL in flight; a move
//	                  never takes a URL in flight (or done)
//	workers     set   the names of the workers with a journal
//	j:<worker>  hash  the worker's journal: lease id -> record
//	w:<worker>  hash  acked (entries acknowledged), off (its output's offset)
//
// Each operation is one Lua script (EVALSHA), so it is atomic: Add is
// enqueue-if-unseen per item, Complete drops the lease, enqueues the
// children and decrements the pending count in one step. Scripts declare
// every key they touch; where a key depends on state (the host Next picks,
// the host of a lease), the Go side reads first and the script checks
// again, answering "not leasable" or "moved" when the state changed. All
// times are the Redis server's TIME in milliseconds: machine clocks never
// decide, and delays are rounded up to whole milliseconds.
//
// # Journals
//
// A Frontier is also a frontier.Journal, for the worker Options.Worker
// names: CompleteRecord puts the URL's record in j:<worker> in the step
// that completes it, and Acknowledge drops the entries once the worker's
// output holds them durably. A completion repeated after its reply was
// lost finds its entry and succeeds, so a worker never takes its own
// completion for another's. What a journal holds is what the worker
// completed and cannot yet show in its output: after kill -9 it is all
// that is missing from the output, and a restarted worker (Unacknowledged)
// or ReadJournals (crawl merge) takes it from there. A worker that never
// acknowledges (its output is stdout) leaves every record in Redis, about
// the size of its JSON line each.
//
// # Blocking and batching
//
// Next reads the server time, the pending count, the level, the first
// ready hosts and the first lease deadline in one round trip. It leases
// when it can, returns frontier.ErrDone when the crawl's pending count is
// zero (so every process sees the end), and otherwise waits until the
// first ready host or lease deadline is due, at most Options.PollInterval,
// or until a change made through the same Frontier wakes it. It never
// spins and honours its ctx. The Next calls of one Frontier share their
// round trips: one at a time looks and claims, in one script run, an item
// for itself and for every call waiting behind it (up to 64), from as
// many ready hosts as that takes; Close puts back what it claimed for
// calls that gave up. Complete calls share them too: those that arrive
// while a batch is in Redis go together in the next, each atomic on its
// own, with its own answer.
//
// # Operating
//
// Run Redis with maxmemory-policy noeviction (an evicted seen bucket
// would crawl its URLs again) and with appendonly yes if the crawl must
// survive a Redis restart. Measured on 2 cores (BenchmarkMemoryPerURL):
// a queued URL costs about 83 bytes with a 35-byte URL and parent, a seen
// URL about 13 bytes while each seen bucket holds tens of keys (before
// the seen-set kept each URL's depth, one or two bytes more) (more, with
// few URLs per bucket: 50 bytes at 3 a bucket). Close deletes nothing;
// Delete removes a crawl's keys with SCAN and UNLINK in batches, through
// the one server the client talks to (a standalone server, or the node a
// Cluster client routes SCAN to, which is not necessarily the crawl's).
//
// # robots.txt
//
// A Frontier is also a frontier.RobotsStore: robots.txt files are kept
// under r:ORIGIN (a first byte 'A' for "allow all", 'F' then the file),
// and ClaimRobots is a SET NX with a deadline under rc:ORIGIN, so one
// worker of the crawl fetches each origin's file.
//
// # Concurrency
//
// Every method is safe for concurrent use, from any number of goroutines
// and processes. A Frontier starts no goroutines; the caller owns the
// client and closes it after Close.
package redis
