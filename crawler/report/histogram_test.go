package report

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestLatencyBounds(t *testing.T) {
	b := LatencyBounds()
	if len(b) != numLatencyBounds || b[0] != 100*time.Microsecond || b[len(b)-1] != 100*time.Second {
		t.Fatalf("bounds %v..%v (%d), want 100µs..100s (%d)", b[0], b[len(b)-1], len(b), numLatencyBounds)
	}
	for i := 1; i < len(b); i++ {
		if ratio := float64(b[i]) / float64(b[i-1]); ratio <= 1 || ratio > 4.0/3+1e-9 {
			t.Errorf("bounds %v, %v: ratio %.3f, want in (1, 4/3]", b[i-1], b[i], ratio)
		}
	}
	for _, want := range []time.Duration{time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 250 * time.Millisecond, 10 * time.Second} {
		if i := bucketOf(want); b[i] != want {
			t.Errorf("%v is not a bound (the Prometheus buckets need it)", want)
		}
	}
}

func TestBucketOf(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{0, 0},
		{-time.Second, 0},
		{100 * time.Microsecond, 0},
		{100*time.Microsecond + 1, 1},
		{120 * time.Microsecond, 1},
		{time.Millisecond, 10},
		{time.Millisecond + 1, 11},
		{80 * time.Second, 59},
		{100 * time.Second, 60},
		{100*time.Second + 1, 61},
		{time.Duration(math.MaxInt64), 61},
	}
	for _, tt := range tests {
		if got := bucketOf(tt.d); got != tt.want {
			t.Errorf("bucketOf(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestQuantile(t *testing.T) {
	fill := func(ds ...time.Duration) Histogram {
		var h histogram
		for _, d := range ds {
			h.add(bucketOf(d), d)
		}
		return h.snapshot()
	}
	var uniform []time.Duration
	for i := 1; i <= 1000; i++ {
		uniform = append(uniform, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		name string
		h    Histogram
		q    float64
		want time.Duration
	}{
		{"empty", Histogram{}, 0.5, 0},
		{"uniform p50", fill(uniform...), 0.50, 500 * time.Millisecond},
		{"uniform p95", fill(uniform...), 0.95, 950 * time.Millisecond},
		{"uniform p99", fill(uniform...), 0.99, 990 * time.Millisecond},
		{"one", fill(7 * time.Millisecond), 0.5, 7 * time.Millisecond},
		{"slow tail", fill(append(make([]time.Duration, 0), 5*time.Millisecond, 5*time.Millisecond, 5*time.Millisecond, 2*time.Second)...), 0.99, 2 * time.Second},
		{"overflow", fill(time.Hour), 0.5, 100 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.h.Quantile(tt.q)
			if err := math.Abs(float64(got-tt.want)) / float64(max(tt.want, 1)); err > 0.15 {
				t.Errorf("Quantile(%v) = %v, want %v within 15%%", tt.q, got, tt.want)
			}
		})
	}
	h := fill(uniform...)
	if h.Count() != 1000 || h.Sum != 500500*time.Millisecond {
		t.Errorf("count %d, sum %v; want 1000, 500.5s", h.Count(), h.Sum)
	}
	for q := 0.05; q < 1; q += 0.05 {
		if h.Quantile(q) > h.Quantile(q+0.05) {
			t.Errorf("Quantile(%v) > Quantile(%v)", q, q+0.05)
		}
	}
}

func TestCumulative(t *testing.T) {
	var h histogram
	for _, d := range []time.Duration{50 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 3 * time.Millisecond, time.Second, time.Hour} {
		h.add(bucketOf(d), d)
	}
	s := h.snapshot()
	bounds := []time.Duration{time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Second}
	got := s.Cumulative(bounds)
	if want := []uint64{2, 2, 4, 5}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Cumulative(%v) = %v, want %v", bounds, got, want)
	}
}
