package disk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/internal/sched"
)

var _ frontier.Frontier = (*Disk)(nil)

var (
	// ErrLocked is returned by Open when another Disk, in this process or
	// another, holds the directory.
	ErrLocked = errors.New("frontier state directory is in use by another crawl")
	// ErrIncompatible is returned by Open when the directory was written in
	// a format version this build does not read.
	ErrIncompatible = errors.New("frontier state has an incompatible format version")
	// ErrCorrupt is returned when the directory does not hold a readable
	// frontier state: it belongs to another program, or its files are
	// damaged. Open returns it, and so does any method that reads a damaged
	// entry.
	ErrCorrupt = errors.New("frontier state is corrupt or not a frontier state")
	// ErrMismatch is returned by Open when the directory holds the state of
	// a crawl with another Options.Fingerprint.
	ErrMismatch = errors.New("frontier state belongs to another crawl")
)

// formatVersion is the version of the key layout and encodings written by
// this build (codec.go). Open refuses other versions with ErrIncompatible.
const formatVersion = 1

// Names inside the state directory.
const (
	lockName = "lock"
	dbName   = "db"
)

// Options configures Open. The zero value is a durable frontier with a
// 16 MiB block cache and no fingerprint.
type Options struct {
	// Fingerprint identifies the crawl the directory belongs to (the
	// crawler passes a hash of its seeds and flags). It is stored when the
	// directory is created; reopening with another fingerprint fails with
	// ErrMismatch. Nil and empty are the same fingerprint.
	Fingerprint []byte
	// CacheSize is the store's block cache in bytes; 0 means 16 MiB.
	CacheSize int64
	// NoSync returns from Add and Complete without waiting for the disk:
	// a crash, even of the process alone, may lose the last commits,
	// though the state reopens consistent. For tests and benchmarks.
	NoSync bool
}

// Done is one completion in a CompleteBatch: the lease that ends and the
// links found on its page.
type Done = frontier.Done

var (
	_ frontier.Batcher   = (*Disk)(nil)
	_ frontier.Annotator = (*Disk)(nil)
)

// Disk is a Frontier whose queue and seen-set live in a Pebble store in one
// directory; only the scheduling state (hosts with queued work, due times,
// in-flight counts, pending counts by depth) is held in memory. All methods
// are safe for concurrent use.
type Disk struct {
	dir    string
	db     *pebble.DB
	lock   io.Closer
	noSync bool
	// policy is Open's, for the scheduler NextGeneration starts afresh.
	policy frontier.Policy

	// ops counts the calls using the store without d.mu (waiting for a
	// WAL sync, iterating the annotations); Close waits for them before
	// closing the store.
	ops sync.WaitGroup
	// synced is the count of applied writes known to be on disk.
	synced atomic.Uint64

	mu     sync.Mutex
	closed bool
	// err is the first write or read error; once set every method returns
	// it, because memory and disk may disagree. Reopening recovers.
	err error
	// s holds the hosts with queued or leased work, their due times, the
	// breadth-first level, the leases and the wake-ups of waiting Next
	// calls; a span locates each bucket's items in the store.
	s          *sched.Scheduler[span]
	seen, done int
	checkpoint []byte
	// generation is the current generation (Annotator); epoch counts the
	// Opens and generations, and numbers their lease IDs apart.
	generation int
	epoch      uint64
	// applied counts the writes applied since Open.
	applied uint64
	// kbuf and vbuf are scratch space for keys and values.
	kbuf, vbuf []byte
	// seenCache answers seen lookups of keys known to be seen.
	seenCache seenCache
	// ahead holds the items of the leases taken ahead of the level
	// (NextAhead), as a move left them, by lease ID; aheadKey finds those
	// leases by dedup key (ahead.go). Nil until the first.
	ahead    map[uint64]frontier.Item
	aheadKey map[string]uint64
}

// Open opens the frontier state in dir, creating dir and an empty state if
// dir does not exist or is empty, and locks it for this Disk. Items that
// were leased when the last process holding dir ended go back to the front
// of their host queues. Open starts the store's background goroutines
// (flushes, compactions); Close stops them.
//
// Errors wrap ErrLocked (dir is held by another Disk), ErrCorrupt (dir holds
// something else, or damaged files), ErrIncompatible (another format
// version) or ErrMismatch (another crawl's Fingerprint).
func Open(dir string, p frontier.Policy, opts Options) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open frontier state %s: %w", dir, err)
	}
	// Refuse another program's directory before leaving a lock file in it.
	if _, err := checkLayout(dir); err != nil {
		return nil, fmt.Errorf("open frontier state %s: %w", dir, err)
	}
	lock, err := lockFile(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("open frontier state %s: %w", dir, err)
	}
	d := &Disk{
		dir:    dir,
		lock:   lock,
		noSync: opts.NoSync,
		policy: p,
		s:      newScheduler(p),
	}
	if err := d.open(opts); err != nil {
		if d.db != nil {
			err = errors.Join(err, d.db.Close())
		}
		err = errors.Join(err, lock.Close())
		return nil, fmt.Errorf("open frontier state %s: %w", dir, err)
	}
	return d, nil
}

// newScheduler returns the empty scheduling state of a Disk enforcing p.
func newScheduler(p frontier.Policy) *sched.Scheduler[span] {
	return sched.New[span](p.MaxInflight, p.Delay)
}

// open opens the store, checks its metadata and rebuilds the scheduling
// state.
func (d *Disk) open(opts Options) error {
	fresh, err := checkLayout(d.dir)
	if err != nil {
		return err
	}
	d.db, err = openStore(filepath.Join(d.dir, dbName), fresh, opts.CacheSize)
	if err != nil {
		return err
	}
	epoch, err := d.loadMeta(fresh, opts.Fingerprint)
	if err != nil {
		return err
	}
	return d.recover(epoch)
}

// Finished tells whether the crawl is over: nothing is queued or leased and
// at least one URL is done in the current generation. Right after Open it
// tells whether the stored crawl had already completed; NextGeneration
// then starts it again.
func (d *Disk) Finished() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.s.Pending() == 0 && d.done > 0
}

// Checkpoint returns the checkpoint committed by the last CompleteBatch
// that had one, or nil. After Open it is the one the previous process
// committed last.
func (d *Disk) Checkpoint() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.checkpoint)
}

// Close waits for the commits in progress, flushes and closes the store and
// releases the directory. Leases still held stay leased on disk and go back
// to their queues when the directory is reopened. Every blocked Next
// returns ErrClosed; closing twice returns ErrClosed.
func (d *Disk) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return frontier.ErrClosed
	}
	d.closed = true
	failed := d.err != nil
	d.s.Broadcast()
	d.mu.Unlock()

	d.ops.Wait()
	var err error
	if !failed {
		// A flush makes the next Open replay no log.
		err = d.db.Flush()
	}
	err = errors.Join(err, d.db.Close(), d.lock.Close())
	d.mu.Lock()
	d.s.Release()
	d.mu.Unlock()
	if err != nil {
		return fmt.Errorf("close frontier state %s: %w", d.dir, err)
	}
	return nil
}

// fail records err as the Disk's sticky error, wakes every waiting Next and
// returns the sticky error.
func (d *Disk) fail(err error) error {
	if d.err == nil {
		d.err = err
		d.s.Broadcast()
	}
	return d.err
}

// usable returns the error a method must return before doing anything.
func (d *Disk) usable() error {
	if d.closed {
		return frontier.ErrClosed
	}
	return d.err
}

// enter takes d.mu for a method called with ctx, unless ctx is done or the
// Disk is closed or failed: then it returns the error the method must
// return, with d.mu released.
func (d *Disk) enter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	if err := d.usable(); err != nil {
		d.mu.Unlock()
		return err
	}
	return nil
}
