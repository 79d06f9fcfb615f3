package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier"
)

var _ frontier.Frontier = (*Frontier)(nil)

// MaxDepth is the largest Item.Depth the backend stores; Add and Complete
// refuse deeper items.
const MaxDepth = 1<<16 - 1

// maxWorkerName bounds Options.Worker.
const maxWorkerName = 1024

// Defaults of Options.
const (
	DefaultLeaseTTL       = 60 * time.Second
	DefaultPollInterval   = 20 * time.Millisecond
	DefaultSeenBucketBits = 16
)

// Options tunes a Frontier. The zero value is usable.
type Options struct {
	// LeaseTTL is how long a lease is held without Extend; after it, any
	// caller of Next may hand the item out again. Zero means
	// DefaultLeaseTTL.
	LeaseTTL time.Duration
	// PollInterval bounds how long a blocked Next waits before it looks at
	// Redis again (changes made through this Frontier wake it at once;
	// changes by other processes are seen within PollInterval). Zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// SeenBucketBits is log2 of the number of hashes the seen-set is
	// spread over (8 to 24). The seen-set is compact (about 13 bytes a URL)
	// while each hash holds tens of keys and no more than the server's
	// hash-max-listpack-entries (128 by default): 2^16 buckets suit crawls
	// of 1 to 8 million URLs. It is fixed when the crawl is created; later
	// Opens use the crawl's. Zero means DefaultSeenBucketBits.
	SeenBucketBits int
	// Worker names this process in the crawl's journals (frontier.Journal):
	// a worker restarted under the same name takes back the records its
	// last run completed but had not acknowledged. One process at a time
	// may use a name. Empty means a random name, for a worker that will
	// not be restarted.
	Worker string
}

// Frontier is a frontier.Frontier kept in Redis, shared by every process
// that opens the same crawl id. All methods are safe for concurrent use.
type Frontier struct {
	c      goredis.UniversalClient
	keys   keys
	sc     *scripts
	ttl    time.Duration
	poll   time.Duration
	bits   int
	epoch  int64 // the crawl's start, ms of the server clock
	policy frontier.Policy
	worker string

	mu     sync.Mutex
	closed bool
	// wake is closed and replaced on every change made through this
	// Frontier, waking the Next calls blocked here.
	wake chan struct{}

	// The claim of Next (next.go): claimer is closed when the Next call
	// claiming for all ends its turn (nil when none is); waiting counts the
	// calls waiting for it; claimed holds what it leased for them.
	// cclosed is set by Close, after which no claim starts.
	cmu     sync.Mutex
	claimer chan struct{}
	waiting int
	claimed []frontier.Lease
	cclosed bool

	// The completion batches (batch.go): batch holds the completions
	// waiting for one; committing is true while one runs; turn wakes the
	// waiting calls when it ends.
	bmu        sync.Mutex
	turn       *sync.Cond
	batch      []*completion
	committing bool
}

// Open opens the crawl crawlID in the Redis behind client, creating it if
// it does not exist. The crawl's policy is fixed when it is created: Open
// fails if p differs from it. crawlID is 1 to 128 bytes of ASCII letters,
// digits, '.', '_' and '-'. Open starts no goroutines; the caller keeps
// ownership of client.
func Open(ctx context.Context, client goredis.UniversalClient, crawlID string, p frontier.Policy, opts Options) (*Frontier, error) {
	if err := checkCrawlID(crawlID); err != nil {
		return nil, err
	}
	p.MaxInflight = max(1, p.MaxInflight)
	p.Delay = max(0, p.Delay)
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.SeenBucketBits == 0 {
		opts.SeenBucketBits = DefaultSeenBucketBits
	}
	if opts.Worker == "" {
		var b [8]byte
		rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
		opts.Worker = "anonymous-" + hex.EncodeToString(b[:])
	}
	if len(opts.Worker) > maxWorkerName {
		return nil, fmt.Errorf("open crawl %s: worker name of %d bytes, more than %d", crawlID, len(opts.Worker), maxWorkerName)
	}
	if opts.SeenBucketBits < 8 || opts.SeenBucketBits > 24 {
		return nil, fmt.Errorf("open crawl %s: SeenBucketBits %d out of range [8, 24]", crawlID, opts.SeenBucketBits)
	}
	f := &Frontier{
		c: client, keys: newKeys(crawlID), sc: newScripts(),
		ttl: opts.LeaseTTL, poll: opts.PollInterval, policy: p, worker: opts.Worker,
		wake: make(chan struct{}),
	}
	f.turn = sync.NewCond(&f.bmu)
	v, err := f.sc.open.Run(ctx, client, []string{f.keys.meta},
		p.MaxInflight, ceilMS(p.Delay), opts.SeenBucketBits).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("open crawl %s: %w", crawlID, err)
	}
	if len(v) != 4 {
		return nil, fmt.Errorf("open crawl %s: unexpected reply %v", crawlID, v)
	}
	if int(v[0]) != p.MaxInflight || v[1] != ceilMS(p.Delay) {
		return nil, fmt.Errorf("open crawl %s: policy {MaxInflight:%d Delay:%v} differs from the crawl's {MaxInflight:%d Delay:%v}",
			crawlID, p.MaxInflight, p.Delay, v[0], time.Duration(v[1])*time.Millisecond)
	}
	f.bits, f.epoch = int(v[2]), v[3]
	if f.bits < 8 || f.bits > 24 {
		return nil, fmt.Errorf("open crawl %s: stored bucket bits %d out of range", crawlID, f.bits)
	}
	return f, nil
}

func checkCrawlID(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("crawl id %q: want 1 to 128 bytes", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("crawl id %q: byte %q is not a letter, digit, '.', '_' or '-'", id, c)
		}
	}
	return nil
}

// ceilMS is d in milliseconds, rounded up, at least 0.
func ceilMS(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// keys names a crawl's keys. Every key starts with "fr:{crawlID}:", so a
// crawl is one Redis Cluster slot and Delete finds its keys by prefix.
type keys struct {
	prefix string
	meta   string // hash: config, pending, queued, seen, done, reclaimed
	pd     string // hash: depth -> pending count
	lv     string // zset: depths with pending items; the lowest is the level
	ready  string // zset: hosts with a leasable head, by depth and due time
	leases string // zset: lease id -> deadline (ms)
	infl   string // hash: lease id -> depth:len(host):host record
	ids    string // counter of lease ids
	// workers is the set of the names of the workers with a journal.
	workers string
	// moved is the hash of queued copies moved to a shallower depth:
	// "depth dedup-key" -> how many wait to be dropped.
	moved string
	// leased is the hash of the URLs in flight: dedup key -> leases.
	leased string
}

func newKeys(crawlID string) keys {
	p := "fr:{" + crawlID + "}:"
	return keys{
		prefix: p, meta: p + "meta", pd: p + "pd", lv: p + "lv", ready: p + "ready",
		leases: p + "leases", infl: p + "inflight", ids: p + "ids", workers: p + "workers",
		moved: p + "moved", leased: p + "leased",
	}
}

// journal is the list of a worker's unacknowledged records.
func (k keys) journal(worker string) string { return k.prefix + "j:" + worker }

// worker is the hash of a worker's acknowledgement: acked (entries ever
// acknowledged), off (its output's offset then).
func (k keys) worker(worker string) string { return k.prefix + "w:" + worker }

// host is the hash of a host's politeness: inflight, last (ms), blocked
// (ms), delay (ms, a SetHostDelay override).
func (k keys) host(h string) string { return k.prefix + "h:" + h }

// depths is the zset of the depths at which a host has queued items.
func (k keys) depths(h string) string { return k.prefix + "d:" + h }

// queue is the list of a host's queued records of one depth.
func (k keys) queue(h string, depth int) string {
	return k.prefix + "q:" + strconv.Itoa(depth) + ":" + h
}

// seen is one bucket of the seen-set.
func (k keys) seen(bucket uint64) string {
	return k.prefix + "s:" + strconv.FormatUint(bucket, 16)
}

// check returns ErrClosed after Close and the wake channel otherwise.
func (f *Frontier) check() (<-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, frontier.ErrClosed
	}
	return f.wake, nil
}

// broadcast wakes the Next calls blocked in this process.
func (f *Frontier) broadcast() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return // Close closed the channel
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

// Stats returns the crawl's counters, shared by all its processes.
func (f *Frontier) Stats(ctx context.Context) (frontier.Stats, error) {
	if _, err := f.check(); err != nil {
		return frontier.Stats{}, err
	}
	return readStats(ctx, f.c, f.keys)
}

// ErrNoCrawl is returned by ReadStats for a crawl id with no state in Redis.
var ErrNoCrawl = errors.New("no such crawl")

// ReadStats returns the counters of crawl crawlID without opening it (Open
// would create a missing crawl, and needs its policy): for status commands.
// A crawl with no state is ErrNoCrawl.
func ReadStats(ctx context.Context, c goredis.UniversalClient, crawlID string) (frontier.Stats, error) {
	if err := checkCrawlID(crawlID); err != nil {
		return frontier.Stats{}, err
	}
	s, err := readStats(ctx, c, newKeys(crawlID))
	if errors.Is(err, errMissing) {
		return frontier.Stats{}, fmt.Errorf("%w: %s", ErrNoCrawl, crawlID)
	}
	return s, err
}

var errMissing = errors.New("stats: crawl state is missing (deleted?)")

func readStats(ctx context.Context, c goredis.UniversalClient, k keys) (frontier.Stats, error) {
	pipe := c.Pipeline()
	m := pipe.HMGet(ctx, k.meta, "queued", "seen", "done")
	n := pipe.HLen(ctx, k.infl)
	if _, err := pipe.Exec(ctx); err != nil {
		return frontier.Stats{}, fmt.Errorf("stats: %w", err)
	}
	var s frontier.Stats
	for i, p := range []*int{&s.Queued, &s.Seen, &s.Done} {
		str, ok := m.Val()[i].(string)
		if !ok {
			return frontier.Stats{}, errMissing
		}
		v, err := strconv.Atoi(str)
		if err != nil {
			return frontier.Stats{}, fmt.Errorf("stats: %w", err)
		}
		*p = v
	}
	s.Inflight = int(n.Val())
	return s, nil
}

// Close makes every blocked Next of this Frontier return ErrClosed and
// every later call return ErrClosed. It deletes nothing and does not close
// the client: other processes may go on, and leases still held here are
// handed out again when their deadline passes, except those Next claimed
// for calls that did not take them, which Close puts back at once (within
// closeTimeout). Closing twice returns ErrClosed.
func (f *Frontier) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return frontier.ErrClosed
	}
	f.closed = true
	close(f.wake)
	f.mu.Unlock()

	// No claim starts from now on; wait for the one under way, whose
	// leases join the claimed list.
	f.cmu.Lock()
	f.cclosed = true
	for f.claimer != nil {
		done := f.claimer
		f.cmu.Unlock()
		<-done
		f.cmu.Lock()
	}
	left := f.claimed
	f.claimed = nil
	f.cmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var errs []error
	for _, l := range left {
		err := f.requeue(ctx, l.ID, l.Item.Host, l.Item.Depth, "retry", 0, encodeRecord(l.Item))
		if err != nil && !errors.Is(err, frontier.ErrStaleLease) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close: put back the claimed leases: %w", err)
	}
	return nil
}

// closeTimeout bounds how long Close spends putting claimed leases back.
const closeTimeout = 5 * time.Second

// Delete removes every key of the crawl crawlID. It scans by the crawl's
// key prefix and unlinks in batches, so it does not block Redis; run it
// when no process uses the crawl.
func Delete(ctx context.Context, client goredis.UniversalClient, crawlID string) error {
	if err := checkCrawlID(crawlID); err != nil {
		return err
	}
	const batch = 500
	match := newKeys(crawlID).prefix + "*" // crawl ids hold no glob characters
	var cursor uint64
	for {
		ks, next, err := client.Scan(ctx, cursor, match, batch).Result()
		if err != nil {
			return fmt.Errorf("delete crawl %s: %w", crawlID, err)
		}
		if len(ks) > 0 {
			if err := client.Unlink(ctx, ks...).Err(); err != nil {
				return fmt.Errorf("delete crawl %s: %w", crawlID, err)
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}
