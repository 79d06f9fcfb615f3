// Package frontiertest is the conformance suite every frontier backend must
// pass. A backend's test calls Run with a function that opens a fresh, empty
// frontier:
//
//	func TestConformance(t *testing.T) {
//		frontiertest.Run(t, func(t *testing.T, p frontier.Policy) frontier.Frontier {
//			return openEmptyBackend(t, p)
//		})
//	}
//
// The suite covers deduplication, the pending count and ErrDone, atomic
// Complete, breadth-first order, per-host in-flight limits and delays,
// Retry, SetHostDelay, stale leases, contexts, Close, and a concurrent
// stress run. Time-dependent tests assert lower bounds on real elapsed time
// and keep durations to tens of milliseconds, so they do not flake on a
// loaded machine. A backend that does no I/O can run the whole suite inside
// testing/synctest bubbles with RunOptions and Options.Synctest: the timed
// tests then run instantly and assert exact times.
//
// # Optional interfaces
//
// The crawler picks its commit order from the optional interfaces of
// package frontier that a frontier implements, so a backend declares them
// in Options (Batcher, Extender, RobotsStore, Annotator) and calls
// RunOptions:
//
//	frontiertest.RunOptions(t, frontiertest.Options{Extender: true, RobotsStore: true}, open)
//
// The Interfaces test fails if the frontier open returns lacks a declared
// interface (a wrapper that does not forward it) or has one not declared.
// Each declared interface then gets its tests: Batch* (CompleteBatch is
// atomic, a stale lease fails the whole batch, Checkpoint), Extend* and
// LeaseExpiry (Extend renews a held lease and refuses an ended one; an
// expired lease is handed out again and its late calls are stale),
// Robots* (claims, stores, allow-all and expiry), and Annotation* and
// NextGeneration* (annotations stored with CompleteBatch, kept across
// generations and listed in key order; the next generation of a finished
// crawl forgets the seen-set, the counters and the checkpoint, and is
// refused while the crawl is not finished). The lease tests wait for
// real leases to expire, so an Extender must be opened with a short
// LeaseTTL (see Options.Extender). Open cannot reopen a frontier, so that
// a Batcher's checkpoint survives a reopen is left to the backend's own
// tests; so is that annotations and the generation survive one.
//
// The suite closes each frontier it opens (a second Close answering
// ErrClosed is fine); open may register more cleanup with t.Cleanup. Tests
// run one after another, never in parallel. The package is for tests only;
// nothing in it is safe to call outside a test.
package frontiertest
