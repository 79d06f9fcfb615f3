package frontier

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"testing"
	"testing/synctest"
	"time"
)

// check verifies Memory's internal invariants: the scheduler's, that every
// ring holds as many live entries as the scheduler counts, and that every
// queued item is in one. It takes the lock.
func (m *Memory) check() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	if err := m.s.Check(m.live); err != nil {
		return err
	}
	if n := m.s.Queued() + m.s.Inflight() + m.s.Parked(); m.s.Pending() != n {
		return fmt.Errorf("pending %d, want queued+inflight+parked = %d", m.s.Pending(), n)
	}
	placed := 0
	for _, p := range m.seen {
		if p.depth != notQueued {
			placed++
		}
	}
	if placed != m.s.Queued() {
		return fmt.Errorf("%d items placed, %d queued", placed, m.s.Queued())
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
		hosts, idle, delays := m.s.Sizes()
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

// live counts the entries of r that are not left behind: those the
// scheduler counts.
func (m *Memory) live(host string, depth int, r *ring) int {
	n := 0
	for i := range r.n {
		e := r.buf[(r.head+i)%len(r.buf)]
		if m.seen[maphash.String(m.seed, e.dedupKey())] == m.placeOf(host, depth) {
			n++
		}
	}
	return n
}
