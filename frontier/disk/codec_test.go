package disk

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/crawl-dev/crawl/frontier"
)

var codecItems = []frontier.Item{
	{},
	{URL: "http://a.test/", Host: "a.test"},
	{URL: "http://a.test/x?y=1", Key: "a.test/x", Host: "a.test", Depth: 2, Parent: "http://p.test/", Attempts: 3, Hops: 1},
	{URL: "ü\x00\xff", Depth: -1, Attempts: math.MaxInt64, Hops: math.MinInt64},
	{URL: "http://a.test/", Host: "a.test", Depth: 3, Mode: 1},
	{URL: "http://a.test/", Mode: 255, Attempts: 2},
}

func TestItemRoundTrip(t *testing.T) {
	for _, in := range codecItems {
		b := appendItem(nil, in)
		got, err := decodeItem(b)
		if err != nil || got != in {
			t.Errorf("decodeItem(appendItem(%+v)) = (%+v, %v), want the item", in, got, err)
		}
		// Every strict prefix is refused.
		for n := range len(b) {
			if _, err := decodeItem(b[:n]); !errors.Is(err, errDecode) {
				t.Errorf("decodeItem(%x, %d of %d bytes): %v, want errDecode", b[:n], n, len(b), err)
			}
		}
	}
}

func TestQueueKeyRoundTrip(t *testing.T) {
	tests := []struct {
		host  string
		depth int
		seq   uint64
	}{
		{"", 0, 0},
		{"a.test", 3, seqStart},
		{"a.test:8080", -2, math.MaxUint64},
		{string(make([]byte, 300)), math.MaxInt, 1},
	}
	for _, tt := range tests {
		k := queueKey(nil, tt.host, tt.depth, tt.seq)
		host, depth, seq, err := parseQueueKey(k)
		if err != nil || host != tt.host || depth != tt.depth || seq != tt.seq {
			t.Errorf("parseQueueKey(queueKey(%q, %d, %d)) = (%q, %d, %d, %v)", tt.host, tt.depth, tt.seq, host, depth, seq, err)
		}
	}
	// One host's keys sit together (hosts sort by length, then bytes),
	// ordered by depth, then sequence number.
	order := [][]byte{
		queueKey(nil, "a", -1, 5), queueKey(nil, "a", 0, 1), queueKey(nil, "a", 0, 2), queueKey(nil, "a", 1, 0),
		queueKey(nil, "b", 0, 0), queueKey(nil, "aa", 0, 0),
	}
	for i := 1; i < len(order); i++ {
		if bytes.Compare(order[i-1], order[i]) >= 0 {
			t.Errorf("queue key %x sorts after %x", order[i-1], order[i])
		}
	}
}

func TestDecodeCounters(t *testing.T) {
	tests := []struct {
		in      []byte
		want    counters
		wantErr bool
	}{
		{appendCounters(nil, counters{seen: 5, done: 2}), counters{seen: 5, done: 2}, false},
		{nil, counters{}, true},
		{[]byte{1}, counters{}, true},
		{[]byte{1, 2, 3}, counters{}, true},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0}, counters{}, true},
	}
	for _, tt := range tests {
		got, err := decodeCounters(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("decodeCounters(%x) = (%+v, %v), want (%+v, error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzDecodeItem: a stored item is untrusted input. Decoding never panics,
// and whatever decodes encodes back to the same bytes.
func FuzzDecodeItem(f *testing.F) {
	for _, it := range codecItems {
		f.Add(appendItem(nil, it))
	}
	f.Add([]byte{itemVersion, 0x80})
	f.Add([]byte{itemVersion, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := decodeItem(b)
		if err != nil {
			if !errors.Is(err, errDecode) {
				t.Fatalf("decodeItem(%x): %v, want errDecode", b, err)
			}
			return
		}
		if again := appendItem(nil, it); !bytes.Equal(again, b) {
			// Varints have one canonical form only when minimal; accept a
			// non-minimal input that decodes to the same item.
			if it2, err := decodeItem(again); err != nil || it2 != it {
				t.Fatalf("decodeItem(%x) = %+v, which encodes to %x", b, it, again)
			}
		}
	})
}

// FuzzParseQueueKey: a queue key read from disk never panics the parser,
// and a key that parses is rebuilt exactly.
func FuzzParseQueueKey(f *testing.F) {
	f.Add(queueKey(nil, "a.test", 1, seqStart))
	f.Add(queueKey(nil, "", 0, 0))
	f.Add([]byte{prefixQueue, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{prefixQueue, 0x01})
	f.Fuzz(func(t *testing.T, k []byte) {
		host, depth, seq, err := parseQueueKey(k)
		if err != nil {
			if !errors.Is(err, errDecode) {
				t.Fatalf("parseQueueKey(%x): %v, want errDecode", k, err)
			}
			return
		}
		again := queueKey(nil, host, depth, seq)
		if h2, d2, s2, err := parseQueueKey(again); err != nil || h2 != host || d2 != depth || s2 != seq {
			t.Fatalf("parseQueueKey(%x) = (%q, %d, %d), which does not round-trip", k, host, depth, seq)
		}
	})
}

// FuzzDecodeMeta: the counters and number values of the metadata never
// panic their decoders.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(appendCounters(nil, counters{seen: 3, done: 1}))
	f.Add([]byte{0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := decodeCounters(b); err == nil {
			if c.seen < 0 || c.done < 0 {
				t.Fatalf("decodeCounters(%x) = %+v, want non-negative counts", b, c)
			}
		}
		if _, err := decodeUint(b); err != nil && !errors.Is(err, errDecode) {
			t.Fatalf("decodeUint(%x): %v, want errDecode", b, err)
		}
	})
}
