package frontier

import (
	"context"
	"errors"
	"time"
)

// ErrDone is returned by Next when the crawl is finished: nothing is queued
// and nothing is leased.
var ErrDone = errors.New("frontier: crawl finished")

// ErrStaleLease is returned by Complete and Retry when the lease is no
// longer held (it was already completed or retried, or a backend reclaimed it
// after its deadline). The caller must drop its result: another worker owns
// the URL now, or its outcome is already final.
var ErrStaleLease = errors.New("frontier: lease is no longer held")

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("frontier: closed")

// ErrNotFinished is returned by Annotator.NextGeneration while the current
// generation still has items queued or leased.
var ErrNotFinished = errors.New("frontier: crawl not finished")

// Item is one URL to fetch together with what the crawler needs to know about
// how it was reached. The frontier treats URL, Host and Key as opaque strings:
// the crawler normalizes URLs and derives hosts and dedup keys before adding.
type Item struct {
	// URL is the normalized URL to request.
	URL string
	// Key is the dedup key. Two items with the same Key are one URL: the
	// second Add of a Key is ignored. Empty means URL.
	Key string
	// Host is the politeness key (scheme-less host[:port]); per-host due
	// times, delays and in-flight limits are kept per Host.
	Host string
	// Depth is the number of link hops from a seed (a seed is 0).
	Depth int
	// Parent is the URL of the page where the item was first found; empty
	// for seeds.
	Parent string
	// Attempts counts the requests already made for this URL. The crawler
	// increments it before Retry.
	Attempts int
	// Hops counts the redirects that led here from the last real link.
	Hops int
	// Mode is the crawler's own tag for how to request the URL (0 for an
	// ordinary page; the crawler uses others for link checks). Frontiers
	// store it and give it back unchanged; it plays no part in ordering
	// or deduplication.
	Mode uint8
}

// DedupKey returns the key the frontier deduplicates the item by.
func (it Item) DedupKey() string {
	if it.Key != "" {
		return it.Key
	}
	return it.URL
}

// Lease is an item handed out by Next. It is held until Complete or Retry is
// called with it. Backends that survive crashes give leases a deadline and
// reclaim expired ones; the memory backend never expires a lease.
type Lease struct {
	// ID identifies the lease within its frontier.
	ID uint64
	// Item is the leased item. The crawler may update Item.Attempts before
	// calling Retry; the frontier stores the item as passed back.
	Item Item
	// Ahead says the item was leased ahead of the level (Aheader): it
	// must be parked when its fetch is over, and completed only once
	// ripe. Ripe says a parked lease may now be completed: its depth is
	// final.
	Ahead, Ripe bool
}

// Policy is the per-host politeness a frontier enforces.
type Policy struct {
	// MaxInflight is how many leases of one host may be held at once.
	// Zero or less means 1.
	MaxInflight int
	// Delay is the minimum time between the starts of two fetches of one
	// host (1/rate). Zero means no delay.
	Delay time.Duration
}

// Stats is a snapshot of a frontier's counters.
type Stats struct {
	Queued   int // items waiting to be leased
	Inflight int // leases held, not parked: being fetched, parsed or written
	Parked   int // leases parked (Aheader): fetched ahead, waiting for their depth to be final
	Seen     int // distinct dedup keys ever added
	Done     int // items completed
}

// Frontier decides what to fetch next. It owns deduplication, the per-host
// queues, per-host due times and in-flight limits, and the pending count
// (queued plus leased) that tells when the crawl is finished.
//
// Ordering: items are handed out breadth-first. No item of depth d+1 is
// leased while an item of depth d or less is queued or leased, so every URL
// is first reached by a shortest path and a depth-limited crawl is complete
// at any concurrency. A child that Complete adds may reach a URL that is
// queued at a greater depth: a redirect target keeps its page's depth, so
// a page of depth d can reach, at depth d, a URL that a link of depth d
// queued at d+1. The child then takes the queued item's place, with its
// own fields, at its own depth (not counted as new), and the URL is leased
// once, there. (Under another Host the backend may keep the queued item
// instead; the crawler's keys include the host.) Add only queues unseen
// keys. Within one host, items of
// equal depth come out in the order they were added, except that Retry
// puts an item back at the front.
//
// All methods are safe for concurrent use.
type Frontier interface {
	// Add queues the items whose dedup keys were never added before and
	// returns how many were new. Seen is forever: a completed or failed
	// URL is never queued again by Add.
	Add(ctx context.Context, items ...Item) (added int, err error)

	// Next blocks until an item can be leased and returns its lease. An
	// item can be leased when its host is due (the host's Delay has passed
	// since its last lease and any Retry wait has passed), the host has
	// fewer than MaxInflight leases, and the breadth-first order allows it.
	// Next returns ErrDone when nothing is queued or leased, and ctx's error
	// when ctx ends first.
	Next(ctx context.Context) (Lease, error)

	// Complete ends a lease: the URL is done. In the same atomic step it
	// adds children as Add would, so the pending count never reads zero
	// between a page and its links. It returns how many children were new.
	Complete(ctx context.Context, l Lease, children []Item) (added int, err error)

	// Retry ends a lease without finishing the URL: l.Item goes back to the
	// front of its host's queue and the host is not due again for at least
	// wait (a Retry-After or a backoff applies to the host, not only the
	// URL). The crawler counts attempts in l.Item.Attempts.
	Retry(ctx context.Context, l Lease, wait time.Duration) error

	// SetHostDelay sets the minimum delay between fetch starts for one host,
	// replacing the Policy's Delay for that host (e.g. robots.txt's
	// Crawl-delay). The next lease of the host waits for the new delay.
	SetHostDelay(ctx context.Context, host string, d time.Duration) error

	// Stats returns the current counters.
	Stats(ctx context.Context) (Stats, error)

	// Close releases the frontier's resources. Leases still held are
	// abandoned: a persistent backend hands them out again when reopened.
	Close() error
}

// Aheader is implemented by frontiers that let a host run one level ahead
// of the others (Memory, frontier/disk): a host whose items of the level
// are all leased or done may have its items of the next depth fetched
// while the other hosts finish the level, so that a fast site never waits
// for a slow one. Its items are still completed breadth-first, so that
// every URL is completed at its shortest depth and its children are added
// only then:
//
//   - NextAhead is Next that, when nothing of the level can be leased,
//     may lease an item one deeper than the level from a host below its
//     in-flight limit. Its lease has Ahead set.
//   - When the fetch of an ahead lease is over (it is to be completed),
//     the caller parks it. Park frees its host's in-flight slot and keeps
//     the lease held, and pending. It returns the lease as it now stands
//     and ripe true when it may be completed at once.
//   - Otherwise Next (or NextAhead) hands the lease back, with Ahead and
//     Ripe set, once the level reaches its depth: the caller completes it
//     then, with the result of its fetch. Its Item is the item as leased,
//     with what a move changed.
//   - A Complete child that reaches, by a shorter path, the URL of an
//     ahead lease deeper than it, on its host, moves the lease: its Item's
//     Depth, Parent, Hops and Mode become the child's (a redirect target
//     keeps its page's depth). The caller must then follow the page's
//     links from the new depth (that is why an ahead lease is completed
//     with its children only once ripe), or fetch it again by Retry when
//     the new Mode asks for another request.
//
// A lease that Retry puts back is queued at its depth as moved. Leases
// still parked when the frontier closes are abandoned like any other.
type Aheader interface {
	NextAhead(ctx context.Context) (Lease, error)
	Park(ctx context.Context, l Lease) (lease Lease, ripe bool, err error)
}

// Done is one completion of a batch: a lease and the children found there.
type Done struct {
	Lease    Lease
	Children []Item
	// Annotation, when not nil, is stored by an Annotator frontier under
	// the lease item's dedup key, in the same atomic step as the
	// completion. Other frontiers ignore it.
	Annotation []byte
}

// Batcher is implemented by persistent frontiers that commit many
// completions and an opaque checkpoint in one durable step (frontier/disk).
// The crawler uses it for exactly-once output: it writes and syncs the
// records of a batch, then commits their completions with the output's end
// offset as the checkpoint, and on restart truncates the output to the last
// committed checkpoint.
type Batcher interface {
	// CompleteBatch completes every lease of done and adds its children,
	// and stores checkpoint, all in one durable step; nothing is committed
	// when it fails. A stale lease fails the whole batch (ErrStaleLease).
	// With no done, it stores the checkpoint alone.
	CompleteBatch(ctx context.Context, done []Done, checkpoint []byte) (added int, err error)
	// Checkpoint returns the last committed checkpoint (nil if none).
	Checkpoint() []byte
}

// Annotator is implemented by persistent frontiers that keep, per dedup
// key, one opaque value that outlives the crawl's generations
// (frontier/disk): the crawler's memory of a URL from one re-crawl to the
// next. Values are written by CompleteBatch (Done.Annotation).
//
// A generation is one run of a crawl from its seeds to its end. Running a
// finished crawl again starts the next one with NextGeneration: the URLs
// may be queued again, and the annotations written in earlier generations
// (validators, fingerprints, the generation a URL was last recorded in)
// tell the crawler what it knew of each.
type Annotator interface {
	// Generation is the number of the current generation: 1 for a new
	// state, incremented by NextGeneration.
	Generation() int
	// Annotation returns a copy of the value stored for key; nil when none.
	Annotation(ctx context.Context, key string) ([]byte, error)
	// Annotations calls fn for every stored key and value, in key order,
	// and stops at fn's first error, which it returns. fn must not call
	// the frontier. The value is only valid during the call.
	Annotations(ctx context.Context, fn func(key string, value []byte) error) error
	// NextGeneration starts the next generation of a finished crawl in
	// one durable step: it forgets the seen-set, the done count and the
	// checkpoint (annotations and SetHostDelay overrides stay), increments
	// the generation, and queues items (the seeds) as Add would. It fails
	// with ErrNotFinished while anything is queued or leased. checkpoint
	// is the new generation's initial checkpoint, stored in the same step;
	// nil means none (Batcher.Checkpoint then returns nil).
	NextGeneration(ctx context.Context, items []Item, checkpoint []byte) error
}

// Extender is implemented by frontiers whose leases expire unless renewed:
// shared frontiers (frontier/redis), where a lease not renewed within
// LeaseTTL may be reclaimed and handed to another process. The crawler
// renews every lease it holds every LeaseTTL/3 and, on such a frontier,
// completes a lease before it writes the URL's record, so that a URL whose
// lease was reclaimed is recorded by its new holder only.
type Extender interface {
	// Extend renews l for another LeaseTTL. A lease no longer held returns
	// ErrStaleLease: the caller must drop its result.
	Extend(ctx context.Context, l Lease) error
	// LeaseTTL is how long a lease is held without Extend.
	LeaseTTL() time.Duration
}

// RobotsStore is implemented by shared frontiers that keep robots.txt for
// every process of a crawl, so that one worker fetches it per origin
// (frontier/redis). Origins are "scheme://host[:port]".
type RobotsStore interface {
	// Robots returns the robots.txt of origin stored by any process, ok
	// false when none is stored. A nil body with ok means "allow all"
	// (the server answered 4xx).
	Robots(ctx context.Context, origin string) (body []byte, ok bool, err error)
	// ClaimRobots reserves the fetch of origin's robots.txt for ttl; false
	// means another worker holds the reservation.
	ClaimRobots(ctx context.Context, origin string, ttl time.Duration) (bool, error)
	// StoreRobots stores origin's robots.txt (nil body: allow all) for
	// ttl and ends the reservation.
	StoreRobots(ctx context.Context, origin string, body []byte, ttl time.Duration) error
}

// Journal is implemented by shared frontiers that keep, per worker, the
// records of the URLs it completed until it says they are durable in its
// own output (frontier/redis). A worker's death between a completion and
// the write of its record then loses nothing: the record is in the
// journal, where a restarted worker takes it back into its output (and
// crawl merge finds it when the worker never comes back). Entries are
// known by the ID of the lease they completed. Every entry and
// acknowledgement belongs to the worker the frontier was opened as; one
// process at a time may be that worker.
type Journal interface {
	// CompleteRecord is Complete that also, in the same atomic step,
	// puts rec in the worker's journal (nothing when rec is nil). A stale
	// lease puts nothing; a call repeated after a reply was lost finds
	// its own entry and succeeds.
	CompleteRecord(ctx context.Context, l Lease, children []Item, rec []byte) (added int, err error)
	// Acknowledge says the entries of the leases ids are durable in the
	// worker's output, which now ends at offset: they leave the journal.
	// It is idempotent.
	Acknowledge(ctx context.Context, ids []uint64, offset int64) error
	// Unacknowledged returns the offset of the worker's last
	// acknowledgement and the journal's entries, by lease ID; known is
	// false when this worker never joined the crawl.
	Unacknowledged(ctx context.Context) (offset int64, ids []uint64, recs [][]byte, known bool, err error)
}
