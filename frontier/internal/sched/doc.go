// Package sched is the scheduling core of the frontier backends that keep
// their scheduling state in the process (frontier's Memory, frontier/disk):
// per-host politeness, breadth-first gating by depth, the indexes that let
// Next find work without scanning hosts, the lease table and the wake-ups
// of blocked Next calls. It does not hold the items: a backend keeps them
// in storage of its own type Q, one Q per host and depth, and sched tells
// it which Q to put an item in or take the next one from.
//
// # What it owns
//
// A Scheduler[Q] owns, for every host with queued or leased work:
//
//   - the in-flight count and the due time: the last lease start plus the
//     host's delay (New's default or a SetDelay override), or the end of
//     the last Retry's wait, whichever is later;
//   - the shape of its queue: a bucket per depth, in ascending depth, with
//     how many items it holds and its Q. The backend's Q must keep them in
//     lease order: back pushes after the others, front pushes before;
//
// and for the whole frontier: the pending count (queued plus leased) by
// depth, whose smallest depth is the level, the only depth leased; the
// ready heap of hosts whose head is at the level, by due time; the lists
// of hosts parked because their head is deeper than the level, woken when
// the level moves on; the idle heap of hosts with nothing queued or leased
// whose due time is still to come, forgotten when it passes (so memory
// grows with the hosts with work, not the hosts ever seen); the leases
// (ID, host, depth); and the channel that wakes blocked Next calls.
//
// # Protocol
//
// Every method expects the backend's mutex held. The backend does its
// storage around these calls:
//
//   - add an unseen item: q, n := s.Push(host, depth, now), then store the
//     item at the back of q (q held n items before);
//   - lease: h, wait := s.Ready(now); if h is nil nothing is leasable
//     (if wait > 0, the first ready host is due in wait); otherwise depth,
//     q := h.Head(), take q's first item, and id := s.Lease(h, now);
//   - move a queued item to a shallower depth (an Add reached its URL by a
//     shorter path): push it anew at that depth, then s.Remove(host,
//     depth, now) counts the old copy out. The copy stays in its bucket's
//     storage, which then holds more items than the bucket counts: the
//     backend skips it when it takes the bucket's first item, and clears
//     the storage Remove returns when the bucket is gone;
//   - complete: check s.Held(id), push the page's links, then
//     s.Complete(id, now);
//   - retry: h, depth, q := s.Retry(id, wait, now); a nil h is a stale
//     lease; otherwise store the item at the front of q;
//   - block in Next: when nothing is leasable and s.Pending() > 0, call
//     s.Wait(ctx, mu, wait), which releases mu; Push, Complete, Retry and
//     SetDelay wake the waiters, and so does Broadcast;
//   - lease ahead (ahead.go): when Ready returns nil, h, wait :=
//     s.ReadyAhead(now) offers a host whose head is one deeper than the
//     level (s.Pick(now, true) tries Ready first); take its head item
//     and call s.Lease(h, now), which marks the lease ahead. When the fetch is over, s.Park(id, now) frees the host's slot
//     and says whether the lease is ripe (its depth reached by the level);
//     s.Ripe() hands back the ones that ripen later, before anything is
//     leased. A Complete child that reaches such a lease's URL by a
//     shorter path calls s.MoveLease(id, depth, now); the backend keeps
//     the item's new fields;
//   - close: Broadcast, then Release to drop the maps (the counters stay).
//
// A backend that fails half-way through a change (an I/O error after the
// Scheduler was told) must stop using the Scheduler: the disk backend
// makes such errors sticky.
//
// # Concurrency
//
// Nothing here is safe for concurrent use and nothing starts goroutines;
// Wait blocks on a channel and a timer of its own after releasing the
// backend's mutex. The package is internal to frontier: only its backends
// import it.
package sched
