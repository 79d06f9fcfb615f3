package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// defaultCache is the block cache when Options.CacheSize is 0.
const defaultCache = 16 << 20

// checkLayout tells whether dir holds no state yet (it has nothing but our
// lock file). A directory with other files and no store is another
// program's: it is refused rather than filled.
func checkLayout(dir string) (fresh bool, err error) {
	fi, err := os.Lstat(filepath.Join(dir, dbName))
	switch {
	case err == nil && fi.IsDir():
		return false, nil
	case err == nil:
		return false, fmt.Errorf("%s is not a directory: %w", filepath.Join(dir, dbName), ErrCorrupt)
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.Name() != lockName {
			return false, fmt.Errorf("directory holds %q but no frontier store: %w", e.Name(), ErrCorrupt)
		}
	}
	return true, nil
}

// openStore opens (fresh: creates) the Pebble store in path.
func openStore(path string, fresh bool, cacheSize int64) (*pebble.DB, error) {
	if cacheSize <= 0 {
		cacheSize = defaultCache
	}
	cache := pebble.NewCache(cacheSize)
	defer cache.Unref()
	opts := &pebble.Options{
		Cache:            cache,
		MemTableSize:     8 << 20,
		Logger:           quietLogger{},
		ErrorIfNotExists: !fresh,
	}
	// Bloom filters answer most seen-set lookups of new URLs without
	// reading a data block.
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(path, opts)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("open store: %w", err)
	default:
		return nil, fmt.Errorf("open store: %w: %w", ErrCorrupt, err)
	}
}

// quietLogger keeps Pebble silent: only cmd and crawler log. Fatalf, which
// Pebble calls when it cannot go on, panics as Pebble's default (exit)
// would stop the process too.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("frontier/disk: pebble: "+format, args...))
}

// loadMeta checks the store's metadata, writing it into a fresh store, and
// loads the counters and the checkpoint. It returns the epoch of the last
// Open.
func (d *Disk) loadMeta(fresh bool, fingerprint []byte) (epoch uint64, err error) {
	m, err := d.get(keyMagic)
	if err != nil {
		return 0, err
	}
	if m == nil {
		if !fresh {
			return 0, fmt.Errorf("store has no frontier metadata (another program's, or a first run that died while creating it; remove it to start afresh): %w", ErrCorrupt)
		}
		d.generation = 1
		return 0, d.initMeta(fingerprint)
	}
	if string(m) != magic {
		return 0, fmt.Errorf("store magic %q, want %q: %w", m, magic, ErrCorrupt)
	}
	v, err := d.getUint(keyVersion)
	if err != nil {
		return 0, err
	}
	if v != formatVersion {
		return 0, fmt.Errorf("format version %d, this build reads version %d: %w", v, formatVersion, ErrIncompatible)
	}
	fp, err := d.get(keyFingerprint)
	if err != nil {
		return 0, err
	}
	if len(fp) == 0 || fp[0] != 0 {
		return 0, fmt.Errorf("fingerprint %x: %w", fp, ErrCorrupt)
	}
	if !bytes.Equal(fp[1:], fingerprint) {
		return 0, fmt.Errorf("stored crawl fingerprint %x, this crawl's is %x: %w", fp[1:], fingerprint, ErrMismatch)
	}
	c, err := d.get(keyCounters)
	if err != nil {
		return 0, err
	}
	cs, err := decodeCounters(c)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	d.seen, d.done = cs.seen, cs.done
	if d.checkpoint, err = d.get(keyCheckpoint); err != nil {
		return 0, err
	}
	if d.generation, err = d.loadGeneration(); err != nil {
		return 0, err
	}
	return d.getUint(keyEpoch)
}

// loadGeneration reads the generation number: 1 in a state written before
// generations existed, which has no generation key.
func (d *Disk) loadGeneration() (int, error) {
	v, err := d.get(keyGeneration)
	if err != nil || v == nil {
		return 1, err
	}
	g, err := decodeUint(v)
	if err != nil || g == 0 || g > math.MaxInt32 {
		return 0, fmt.Errorf("generation %x: %w: %w", v, ErrCorrupt, errors.Join(errDecode, err))
	}
	return int(g), nil
}

// initMeta writes the metadata of an empty state.
func (d *Disk) initMeta(fingerprint []byte) error {
	b := d.db.NewBatch()
	// The fingerprint is stored behind one byte so that an empty one is
	// still a present key.
	for _, kv := range [][2][]byte{
		{keyMagic, []byte(magic)},
		{keyVersion, []byte{formatVersion}},
		{keyFingerprint, append([]byte{0}, fingerprint...)},
		{keyCounters, appendCounters(nil, counters{})},
		{keyEpoch, []byte{0}},
		{keyGeneration, []byte{1}},
	} {
		if err := b.Set(kv[0], kv[1], nil); err != nil {
			return joinClose(err, b)
		}
	}
	if err := d.db.Apply(b, pebble.Sync); err != nil {
		return joinClose(fmt.Errorf("write metadata: %w", err), b)
	}
	return b.Close()
}

// get returns a copy of the value of key, or nil if it is absent.
func (d *Disk) get(key []byte) ([]byte, error) {
	v, c, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, readErr(key, err)
	}
	v = bytes.Clone(v)
	if v == nil {
		v = []byte{}
	}
	if err := c.Close(); err != nil {
		return nil, readErr(key, err)
	}
	return v, nil
}

// getUint reads a meta value holding one uvarint; it must be present.
func (d *Disk) getUint(key []byte) (uint64, error) {
	v, err := d.get(key)
	if err != nil {
		return 0, err
	}
	n, err := decodeUint(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w: %w", key[1:], ErrCorrupt, err)
	}
	return n, nil
}

// readErr wraps a store read error, marking corruption as ErrCorrupt.
func readErr(key []byte, err error) error {
	if pebble.IsCorruptionError(err) {
		return fmt.Errorf("read %q: %w: %w", key, ErrCorrupt, err)
	}
	return fmt.Errorf("read %q: %w", key, err)
}

// joinClose closes b after err and returns both errors.
func joinClose(err error, b *pebble.Batch) error {
	return errors.Join(err, b.Close())
}
