package redis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/crawl-dev/crawl/frontier"
)

// A queued item is stored as one record in its host's list for its depth.
// Host and depth are implied by the list's key, so the record holds the rest:
//
//	[varint -Mode] | varint Attempts | varint Hops | uvarint len(URL) | URL | uvarint len(Key) | Key | Parent
//
// The Mode comes first, negated, only when it is not 0: Attempts is never
// negative, so a record without it reads as before Mode existed.
//
// A lease keeps the host and depth in front of the record, so that a script
// can put it back in the right list without decoding it:
//
//	depth ":" len(host) ":" host record

// errRecord reports a record that does not decode.
var errRecord = errors.New("malformed record")

// encodeRecord encodes it without its Host and Depth.
func encodeRecord(it frontier.Item) string {
	key := it.Key
	b := make([]byte, 0, 4*binary.MaxVarintLen64+len(it.URL)+len(key)+len(it.Parent))
	if it.Mode != 0 {
		b = binary.AppendVarint(b, -int64(it.Mode))
	}
	b = binary.AppendVarint(b, int64(max(it.Attempts, 0)))
	b = binary.AppendVarint(b, int64(it.Hops))
	b = binary.AppendUvarint(b, uint64(len(it.URL)))
	b = append(b, it.URL...)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = append(b, it.Parent...)
	return string(b)
}

// decodeRecord decodes a record of host at depth.
func decodeRecord(rec, host string, depth int) (frontier.Item, error) {
	it := frontier.Item{Host: host, Depth: depth}
	b := []byte(rec)
	attempts, n := binary.Varint(b)
	if n <= 0 {
		return frontier.Item{}, errRecord
	}
	b = b[n:]
	if attempts < 0 {
		if attempts < -255 {
			return frontier.Item{}, errRecord
		}
		it.Mode = uint8(-attempts)
		if attempts, n = binary.Varint(b); n <= 0 || attempts < 0 {
			return frontier.Item{}, errRecord
		}
		b = b[n:]
	}
	hops, n := binary.Varint(b)
	if n <= 0 {
		return frontier.Item{}, errRecord
	}
	b = b[n:]
	it.Attempts, it.Hops = int(attempts), int(hops)
	var s string
	var err error
	if s, b, err = lenPrefixed(b); err != nil {
		return frontier.Item{}, err
	}
	it.URL = s
	if s, b, err = lenPrefixed(b); err != nil {
		return frontier.Item{}, err
	}
	it.Key = s
	it.Parent = string(b)
	return it, nil
}

func lenPrefixed(b []byte) (string, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return "", nil, errRecord
	}
	b = b[n:]
	return string(b[:l]), b[l:], nil
}

// encodeLease prefixes a record with its host and depth, as the scripts
// store a lease.
func encodeLease(host string, depth int, rec string) string {
	return strconv.Itoa(depth) + ":" + strconv.Itoa(len(host)) + ":" + host + rec
}

// decodeLease splits a stored lease into host, depth and record.
func decodeLease(v string) (host string, depth int, rec string, err error) {
	ds, rest, ok := strings.Cut(v, ":")
	if !ok {
		return "", 0, "", errRecord
	}
	ls, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return "", 0, "", errRecord
	}
	depth, err = strconv.Atoi(ds)
	if err != nil || depth < 0 || depth > MaxDepth {
		return "", 0, "", errRecord
	}
	l, err := strconv.Atoi(ls)
	if err != nil || l < 0 || l > len(rest) {
		return "", 0, "", errRecord
	}
	return rest[:l], depth, rest[l:], nil
}

// FNV-1a, 64 bits: stable across processes and Go versions.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// seenSlot returns where the seen-set keeps key: the bucket (the top bits
// bits of its 64-bit FNV-1a hash) and the field (the remaining bits, as
// big-endian bytes).
func seenSlot(key string, bits int) (bucket uint64, field string) {
	sum := uint64(fnvOffset)
	for i := 0; i < len(key); i++ {
		sum ^= uint64(key[i])
		sum *= fnvPrime
	}
	bucket = sum >> (64 - bits)
	rest := 64 - bits
	nb := (rest + 7) / 8
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], sum<<bits>>bits)
	return bucket, string(buf[8-nb:])
}

// checkItem rejects an item the scripts cannot store.
func checkItem(it frontier.Item) error {
	if it.Depth < 0 || it.Depth > MaxDepth {
		return fmt.Errorf("item %q: depth %d out of range [0, %d]", it.URL, it.Depth, MaxDepth)
	}
	return nil
}
