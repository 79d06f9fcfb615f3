package disk

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/crawl-dev/crawl/frontier"
)

// Key layout. The first byte says what a key holds, so each kind is one
// contiguous key range:
//
//	m<name>                          meta: magic, version, fingerprint,
//	                                 counters, checkpoint, epoch, generation
//	a<dedup key>                     annotation (Done.Annotation), kept
//	                                 across generations
//	s<dedup key>                     seen-set of the current generation (exact:
//	                                 the whole key); the value is the place
//	                                 the item was queued at (appendPlace),
//	                                 empty in states written before places
//	q<uvarint len><host><depth><seq> queued item; depth and seq are 8 bytes
//	                                 big-endian, so one host's queue is one
//	                                 range, ordered by depth, then FIFO; the
//	                                 value is the item, or the one byte
//	                                 itemMoved for an item queued again at
//	                                 a shallower depth
//	l<lease id>                      leased item (8 bytes big-endian id)
//	d<host>                          SetHostDelay override, uvarint ns
//
// A seen key is the dedup key itself: the crawler's keys are URLs, which
// start with scheme and host, so one host's seen keys sit together. The
// annotations sit apart from the seen-set so that NextGeneration forgets
// the seen-set with one range deletion of the s range. A state without the
// generation key (written before generations existed) is in generation 1.
const (
	prefixMeta       = 'm'
	prefixAnnotation = 'a'
	prefixSeen       = 's'
	prefixQueue      = 'q'
	prefixLease      = 'l'
	prefixDelay      = 'd'
)

var (
	keyMagic       = []byte("mmagic")
	keyVersion     = []byte("mversion")
	keyFingerprint = []byte("mfingerprint")
	keyCounters    = []byte("mcounters")
	keyCheckpoint  = []byte("mcheckpoint")
	keyEpoch       = []byte("mepoch")
	keyGeneration  = []byte("mgeneration")
)

// magic marks a Pebble store as a frontier's.
const magic = "crawl-frontier-disk"

// errDecode is wrapped by every decoding error; callers wrap it again in
// ErrCorrupt.
var errDecode = errors.New("malformed entry")

// seqStart is the sequence number of the first item of a new bucket:
// pushes at the back count up from it, Retry pushes at the front count
// down.
const seqStart = 1 << 63

// rangeOf returns the bounds of the key range of one prefix byte.
func rangeOf(prefix byte) (lower, upper []byte) {
	return []byte{prefix}, []byte{prefix + 1}
}

func seenKey(dst []byte, key string) []byte {
	dst = append(dst, prefixSeen)
	return append(dst, key...)
}

func annotationKey(dst []byte, key string) []byte {
	dst = append(dst, prefixAnnotation)
	return append(dst, key...)
}

func queueKey(dst []byte, host string, depth int, seq uint64) []byte {
	dst = append(dst, prefixQueue)
	dst = binary.AppendUvarint(dst, uint64(len(host)))
	dst = append(dst, host...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(depth)^(1<<63))
	return binary.BigEndian.AppendUint64(dst, seq)
}

// parseQueueKey splits a queue key into its host, depth and sequence
// number.
func parseQueueKey(k []byte) (host string, depth int, seq uint64, err error) {
	if len(k) == 0 || k[0] != prefixQueue {
		return "", 0, 0, fmt.Errorf("queue key %q: %w", k, errDecode)
	}
	n, w := binary.Uvarint(k[1:])
	rest := k[1:]
	if w <= 0 {
		return "", 0, 0, fmt.Errorf("queue key %q: %w", k, errDecode)
	}
	rest = rest[w:]
	if n > uint64(len(rest)) || uint64(len(rest))-n != 16 {
		return "", 0, 0, fmt.Errorf("queue key %q: %w", k, errDecode)
	}
	host = string(rest[:n])
	rest = rest[n:]
	depth = int(binary.BigEndian.Uint64(rest) ^ (1 << 63))
	seq = binary.BigEndian.Uint64(rest[8:])
	return host, depth, seq, nil
}

func leaseKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixLease}, id)
}

func delayKey(host string) []byte {
	return append([]byte{prefixDelay}, host...)
}

// The first byte of an encoded item: itemVersion, or itemVersionMode for
// an item with a Mode, whose byte follows. Items without one are encoded
// as before Mode existed, so older state directories read the same. A
// queue value of the one byte itemMoved holds no item: its URL was queued
// again at a shallower depth, and Next skips it.
const (
	itemMoved       = 0
	itemVersion     = 1
	itemVersionMode = 2
)

// movedValue is the queue value of a moved item.
var movedValue = []byte{itemMoved}

func isMoved(v []byte) bool { return len(v) == 1 && v[0] == itemMoved }

// place is where a queued item was put: its host, depth and sequence
// number, the parts of its queue key.
type place struct {
	host  string
	depth int
	seq   uint64
}

// appendPlace encodes p as a seen value: depth as a zig-zag varint, seq as
// a uvarint, then the host.
func appendPlace(dst []byte, p place) []byte {
	dst = binary.AppendVarint(dst, int64(p.depth))
	dst = binary.AppendUvarint(dst, p.seq)
	return append(dst, p.host...)
}

// decodePlace decodes what appendPlace wrote; ok is false for anything
// else (the empty value of a state written before places).
func decodePlace(b []byte) (p place, ok bool) {
	depth, n := binary.Varint(b)
	if n <= 0 || int64(int(depth)) != depth {
		return place{}, false
	}
	seq, m := binary.Uvarint(b[n:])
	if m <= 0 {
		return place{}, false
	}
	return place{host: string(b[n+m:]), depth: int(depth), seq: seq}, true
}

// appendItem encodes it: a version byte (and the Mode byte, if not 0),
// Depth, Attempts and Hops as zig-zag varints, then URL, Key, Parent and
// Host, each with a uvarint length. Queued items are stored with Host ""
// and Depth 0: their key says both.
func appendItem(dst []byte, it frontier.Item) []byte {
	if it.Mode == 0 {
		dst = append(dst, itemVersion)
	} else {
		dst = append(dst, itemVersionMode, it.Mode)
	}
	dst = binary.AppendVarint(dst, int64(it.Depth))
	dst = binary.AppendVarint(dst, int64(it.Attempts))
	dst = binary.AppendVarint(dst, int64(it.Hops))
	for _, s := range [...]string{it.URL, it.Key, it.Parent, it.Host} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

// decodeItem decodes what appendItem wrote. It never panics and never
// allocates more than len(b) bytes of strings.
func decodeItem(b []byte) (frontier.Item, error) {
	d := decoder{b: b}
	var it frontier.Item
	switch v := d.byte(); v {
	case itemVersion:
	case itemVersionMode:
		if it.Mode = d.byte(); it.Mode == 0 {
			return frontier.Item{}, fmt.Errorf("item mode 0 in a version %d item: %w", v, errDecode)
		}
	default:
		return frontier.Item{}, fmt.Errorf("item version %d: %w", v, errDecode)
	}
	it.Depth = d.int()
	it.Attempts = d.int()
	it.Hops = d.int()
	it.URL = d.string()
	it.Key = d.string()
	it.Parent = d.string()
	it.Host = d.string()
	if d.err != nil {
		return frontier.Item{}, fmt.Errorf("item: %w", d.err)
	}
	if len(d.b) != 0 {
		return frontier.Item{}, fmt.Errorf("item: %d trailing bytes: %w", len(d.b), errDecode)
	}
	return it, nil
}

// counters is what the meta key "counters" holds.
type counters struct {
	seen, done int
}

func appendCounters(dst []byte, c counters) []byte {
	dst = binary.AppendUvarint(dst, uint64(c.seen))
	return binary.AppendUvarint(dst, uint64(c.done))
}

func decodeCounters(b []byte) (counters, error) {
	d := decoder{b: b}
	c := counters{seen: d.count(), done: d.count()}
	if d.err == nil && len(d.b) != 0 {
		d.err = errDecode
	}
	if d.err != nil {
		return counters{}, fmt.Errorf("counters: %w", d.err)
	}
	return c, nil
}

// decodeUint decodes a value that is one uvarint (version, epoch,
// generation, delay).
func decodeUint(b []byte) (uint64, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("number %x: %w", b, errDecode)
	}
	return v, nil
}

// decoder reads varints and strings from b; the first error sticks and
// every later read returns a zero value.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errDecode
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 || int64(int(v)) != v {
		d.err = errDecode
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

// count reads a uvarint that must fit a non-negative int.
func (d *decoder) count() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(int(^uint(0)>>1)) {
		d.err = errDecode
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) string() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	if n > len(d.b) {
		d.err = errDecode
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
