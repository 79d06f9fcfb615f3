package report

import (
	"slices"
	"sync/atomic"
	"time"
)

// latencyBounds are the upper bounds of the latency buckets: 1, 1.2, 1.5,
// 2, 2.5, 3, 4, 5, 6 and 8 times each power of ten from 100µs to 10s, and
// 100s; a last bucket holds what is slower. Neighbouring bounds differ by
// at most a third, so a quantile interpolated inside its bucket is off by
// at most about 15 %. The Prometheus histogram's buckets are a subset. The
// table is read-only.
var latencyBounds = func() [numLatencyBounds]time.Duration {
	mantissas := [...]time.Duration{10, 12, 15, 20, 25, 30, 40, 50, 60, 80}
	var b [numLatencyBounds]time.Duration
	i := 0
	for unit := 10 * time.Microsecond; unit <= 10*time.Second/10; unit *= 10 {
		for _, m := range mantissas {
			b[i] = m * unit
			i++
		}
	}
	b[i] = 100 * time.Second
	return b
}()

const (
	numLatencyBounds = 61
	// NumLatencyBuckets is the number of buckets of a latency histogram:
	// one per bound and one for everything slower than 100s.
	NumLatencyBuckets = numLatencyBounds + 1
)

// LatencyBounds returns the upper bounds of the latency buckets, in
// increasing order; bucket i holds durations d with
// LatencyBounds()[i-1] < d <= LatencyBounds()[i], the last bucket those
// above the last bound.
func LatencyBounds() []time.Duration { return slices.Clone(latencyBounds[:]) }

// bucketOf returns the bucket index of d.
func bucketOf(d time.Duration) int {
	i, _ := slices.BinarySearch(latencyBounds[:], d)
	return i
}

// histogram counts durations in the latency buckets. Safe for concurrent
// use; its zero value is empty.
type histogram struct {
	counts [NumLatencyBuckets]atomic.Int64
	sum    atomic.Int64 // nanoseconds
}

func (h *histogram) add(bucket int, d time.Duration) {
	h.counts[bucket].Add(1)
	h.sum.Add(int64(d))
}

// Histogram is a snapshot of a latency histogram.
type Histogram struct {
	// Counts holds the count of each bucket (see LatencyBounds); not
	// cumulative.
	Counts [NumLatencyBuckets]int64
	// Sum is the sum of all durations counted.
	Sum time.Duration
}

func (h *histogram) snapshot() Histogram {
	var s Histogram
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
	s.Sum = time.Duration(h.sum.Load())
	return s
}

// Count returns the number of durations counted.
func (h *Histogram) Count() int64 {
	var n int64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Quantile returns an estimate of the q-quantile (0 < q <= 1), interpolated
// linearly inside its bucket; 0 for an empty histogram. Durations above the
// last bound are reported as the last bound.
func (h *Histogram) Quantile(q float64) time.Duration {
	total := h.Count()
	if total == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := q * float64(total)
	var cum int64
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		if float64(cum+c) >= rank {
			if i == numLatencyBounds {
				return latencyBounds[numLatencyBounds-1]
			}
			var lower time.Duration
			if i > 0 {
				lower = latencyBounds[i-1]
			}
			frac := (rank - float64(cum)) / float64(c)
			return lower + time.Duration(frac*float64(latencyBounds[i]-lower))
		}
		cum += c
	}
	return latencyBounds[numLatencyBounds-1]
}

// Cumulative returns, for each bound in bounds (which must be bucket bounds
// from LatencyBounds, increasing), the number of durations at or below it,
// as a Prometheus histogram wants them. Bounds that are not bucket bounds
// are counted up to the largest bucket bound below them.
func (h *Histogram) Cumulative(bounds []time.Duration) []uint64 {
	out := make([]uint64, len(bounds))
	var cum int64
	i := 0
	for j, b := range bounds {
		for i < numLatencyBounds && latencyBounds[i] <= b {
			cum += h.Counts[i]
			i++
		}
		out[j] = uint64(cum)
	}
	return out
}
