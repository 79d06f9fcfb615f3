package frontier

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// check verifies Memory's internal invariants. It takes the lock.
func (m *Memory) check() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	pending := make(map[int]int)
	queued, inflight := 0, 0
	for name, h := range m.hosts {
		if h.name != name {
			return fmt.Errorf("host %q stored under %q", h.name, name)
		}
		n := 0
		for i, b := range h.buckets {
			if b.q.n == 0 {
				return fmt.Errorf("host %q: empty bucket of depth %d", name, b.depth)
			}
			if i > 0 && h.buckets[i-1].depth >= b.depth {
				return fmt.Errorf("host %q: buckets out of order", name)
			}
			n += b.q.n
			pending[b.depth] += b.q.n
		}
		if n != h.queued {
			return fmt.Errorf("host %q: queued = %d, buckets hold %d", name, h.queued, n)
		}
		queued += n
		inflight += h.inflight
		if err := m.checkState(h); err != nil {
			return fmt.Errorf("host %q: %w", name, err)
		}
	}
	for _, l := range m.leases {
		pending[l.depth]++
		if m.hosts[l.h.name] != l.h {
			return fmt.Errorf("lease of forgotten host %q", l.h.name)
		}
	}
	if queued != m.queued || inflight != len(m.leases) {
		return fmt.Errorf("queued %d / inflight %d, hosts hold %d / %d", m.queued, len(m.leases), queued, inflight)
	}
	total, level := 0, 0
	for d, n := range pending {
		if total == 0 || d < level {
			level = d
		}
		total += n
		if m.pending[d] != n {
			return fmt.Errorf("pending[%d] = %d, want %d", d, m.pending[d], n)
		}
	}
	if len(m.pending) != len(pending) || total != m.total {
		return fmt.Errorf("pending %v (total %d), want %v (total %d)", m.pending, m.total, pending, total)
	}
	if total > 0 && level != m.level {
		return fmt.Errorf("level = %d, want %d", m.level, level)
	}
	for _, q := range []hostHeap{m.ready, m.idle} {
		for i, h := range q {
			if h.index != i || m.hosts[h.name] != h {
				return fmt.Errorf("heap entry %d (%q) has index %d or is forgotten", i, h.name, h.index)
			}
			if p := (i - 1) / 2; i > 0 && q.less(i, p) {
				return fmt.Errorf("heap out of order at %d", i)
			}
		}
	}
	return nil
}

func (m *Memory) checkState(h *host) error {
	switch h.state {
	case stateReady:
		if h.index < 0 || h.index >= len(m.ready) || m.ready[h.index] != h {
			return errors.New("ready but not in the ready heap")
		}
		if h.queued == 0 || h.inflight >= m.maxInflight || h.headDepth() < m.level {
			return fmt.Errorf("ready with queued %d, inflight %d", h.queued, h.inflight)
		}
	case stateIdle:
		if h.index < 0 || h.index >= len(m.idle) || m.idle[h.index] != h {
			return errors.New("idle but not in the idle heap")
		}
		if h.queued != 0 || h.inflight != 0 {
			return errors.New("idle with work")
		}
	case stateParked:
		found := false
		for _, p := range m.parked[h.parkDepth] {
			found = found || p == h
		}
		if !found || h.queued == 0 || h.headDepth() != h.parkDepth || h.parkDepth <= m.level {
			return fmt.Errorf("parked at %d, level %d, found %v", h.parkDepth, m.level, found)
		}
	case stateNone:
		if h.queued > 0 && h.inflight < m.maxInflight {
			return errors.New("leasable work but in no index")
		}
		if h.queued == 0 && h.inflight == 0 {
			return errors.New("idle host in no index")
		}
	}
	return nil
}

// TestMemoryForgetsIdleHosts: hosts with nothing queued or leased are
// dropped once due, so memory does not grow with the hosts ever seen; delay
// overrides survive.
func TestMemoryForgetsIdleHosts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		const delay = 10 * time.Millisecond
		m := NewMemory(Policy{Delay: delay})
		for i := range 1000 {
			h := fmt.Sprintf("h%d.test", i)
			if _, err := m.Add(ctx, Item{URL: "http://" + h + "/", Host: h}); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.SetHostDelay(ctx, "h1.test", time.Second); err != nil {
			t.Fatal(err)
		}
		for {
			l, err := m.Next(ctx)
			if errors.Is(err, ErrDone) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Complete(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.check(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // fake time: every host is due now
		if _, err := m.Next(ctx); !errors.Is(err, ErrDone) {
			t.Fatalf("Next = %v, want ErrDone", err)
		}
		m.mu.Lock()
		hosts, idle, delays := len(m.hosts), len(m.idle), len(m.delays)
		m.mu.Unlock()
		if hosts != 0 || idle != 0 || delays != 1 {
			t.Errorf("after the crawl: %d hosts, %d idle, %d delays; want 0, 0, 1", hosts, idle, delays)
		}
		if err := m.check(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMemoryDoneContext: the non-blocking methods refuse a done ctx too, as
// a backend doing I/O would.
func TestMemoryDoneContext(t *testing.T) {
	m := NewMemory(Policy{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if n, err := m.Add(ctx, Item{URL: "u"}); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("Add(done ctx) = %d, %v; want 0, context.Canceled", n, err)
	}
	if err := m.SetHostDelay(ctx, "h", time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("SetHostDelay(done ctx) = %v, want context.Canceled", err)
	}
	if _, err := m.Stats(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stats(done ctx) = %v, want context.Canceled", err)
	}
}

// TestMemoryOddInput: any strings and depths are accepted without panics.
func TestMemoryOddInput(t *testing.T) {
	ctx := t.Context()
	m := NewMemory(Policy{MaxInflight: -3, Delay: -time.Second})
	items := []Item{
		{},
		{URL: "x", Depth: -5},
		{URL: "y", Host: "", Depth: 1 << 40},
		{URL: "z", Key: "x"}, // the key of the second item
	}
	if n, err := m.Add(ctx, items...); n != 3 || err != nil {
		t.Fatalf("Add = %d, %v; want 3, nil", n, err)
	}
	var got []int
	for {
		l, err := m.Next(ctx)
		if errors.Is(err, ErrDone) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l.Item.Depth)
		if _, err := m.Complete(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
		if err := m.check(); err != nil {
			t.Fatal(err)
		}
	}
	if want := []int{-5, 0, 1 << 40}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("leased depths %v, want %v", got, want)
	}
	if err := m.SetHostDelay(ctx, "", -time.Second); err != nil {
		t.Errorf("SetHostDelay(negative) = %v", err)
	}
}
