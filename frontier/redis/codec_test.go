package redis

import (
	"strings"
	"testing"

	"github.com/crawl-dev/crawl/frontier"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []frontier.Item{
		{URL: "http://a.test/", Host: "a.test"},
		{URL: "http://a.test/x?y=1", Key: "a.test/x", Host: "a.test", Depth: 2, Parent: "http://p.test/", Attempts: 2, Hops: 1},
		{URL: "http://a.test/", Key: "http://a.test/", Host: "a.test", Depth: MaxDepth},
		{URL: "", Host: "", Attempts: 3, Hops: -1},
		{URL: "http://a.test/", Host: "a.test", Attempts: 0, Mode: 1},
		{URL: "http://a.test/", Host: "a.test", Attempts: 2, Hops: 1, Mode: 255},
		{URL: "http://\x00:\n/é", Key: "k:1:2", Host: "h:3:x", Parent: strings.Repeat("p", 300), Attempts: 1 << 40},
	}
	for _, in := range tests {
		rec := encodeRecord(in)
		got, err := decodeRecord(rec, in.Host, in.Depth)
		if err != nil || got != in {
			t.Errorf("decodeRecord(encodeRecord(%+v)) = %+v, %v; want the item", in, got, err)
		}
		host, depth, rest, err := decodeLease(encodeLease(in.Host, in.Depth, rec))
		if err != nil || host != in.Host || depth != in.Depth || rest != rec {
			t.Errorf("decodeLease(encodeLease(%q, %d, rec)) = (%q, %d, %q, %v), want the same back", in.Host, in.Depth, host, depth, rest, err)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	records := []string{"", "\x02", "\x02\x02", "\x02\x02\x05abc", "\x02\x02\x00\x09k"}
	for _, rec := range records {
		if it, err := decodeRecord(rec, "h", 0); err == nil {
			t.Errorf("decodeRecord(%q) = %+v, want an error", rec, it)
		}
	}
	leases := []string{"", "1", "1:", "x:1:h", "-1:1:h", "1:-1:h", "1:5:h", "70000:1:h"}
	for _, v := range leases {
		if host, depth, _, err := decodeLease(v); err == nil {
			t.Errorf("decodeLease(%q) = (%q, %d), want an error", v, host, depth)
		}
	}
}

func TestSeenSlot(t *testing.T) {
	tests := []struct {
		bits      int
		wantBytes int
	}{{8, 7}, {16, 6}, {20, 6}, {24, 5}}
	for _, tt := range tests {
		b, f := seenSlot("http://a.test/", tt.bits)
		if b >= 1<<tt.bits || len(f) != tt.wantBytes {
			t.Errorf("seenSlot(bits %d) = bucket %d, field of %d bytes; want bucket < %d and %d bytes", tt.bits, b, len(f), 1<<tt.bits, tt.wantBytes)
		}
		b2, f2 := seenSlot("http://a.test/", tt.bits)
		if b2 != b || f2 != f {
			t.Errorf("seenSlot(bits %d) is not stable", tt.bits)
		}
	}
	// Bucket and field together are the whole hash: keys differing only in
	// one part still differ.
	seen := map[string]bool{}
	for i := range 5000 {
		b, f := seenSlot("http://a.test/"+strings.Repeat("x", i%50)+string(rune('a'+i%26))+string(rune(i)), 16)
		seen[string(rune(b))+"/"+f] = true
	}
	if len(seen) < 4990 {
		t.Errorf("%d distinct slots of 5000 keys, want (almost) all", len(seen))
	}
}

// FuzzDecode: decoding what Redis hands back never panics, and what
// decodes survives an encode and decode unchanged.
func FuzzDecode(f *testing.F) {
	f.Add(encodeLease("a.test", 2, encodeRecord(frontier.Item{URL: "http://a.test/x", Key: "k", Parent: "http://p/", Attempts: 1})))
	f.Add("1:1:h\x00\x00\x00\x00")
	f.Add("3:0:\x02")
	f.Fuzz(func(t *testing.T, v string) {
		host, depth, rec, err := decodeLease(v)
		if err != nil {
			return
		}
		h2, d2, r2, err := decodeLease(encodeLease(host, depth, rec))
		if err != nil || h2 != host || d2 != depth || r2 != rec {
			t.Errorf("lease %q: decoded (%q, %d, %q), re-encoded decodes to (%q, %d, %q, %v)", v, host, depth, rec, h2, d2, r2, err)
		}
		it, err := decodeRecord(rec, host, depth)
		if err != nil {
			return
		}
		back, err := decodeRecord(encodeRecord(it), host, depth)
		if err != nil || back != it {
			t.Errorf("record %q: decoded %+v, re-encoded decodes to %+v, %v", rec, it, back, err)
		}
	})
}
