package sched

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fifo is the storage of the tests: the URLs of one bucket in lease order.
type fifo []string

func size(_ string, _ int, q *fifo) int { return len(*q) }

// tester drives a Scheduler[fifo] as a backend would and checks the
// invariants after every step.
type tester struct {
	t   *testing.T
	s   *Scheduler[fifo]
	now time.Time
}

func newTester(t *testing.T, maxInflight int, delay time.Duration) *tester {
	return &tester{t: t, s: New[fifo](maxInflight, delay), now: time.Unix(1e9, 0)}
}

func (x *tester) check() {
	x.t.Helper()
	if err := x.s.Check(size); err != nil {
		x.t.Fatal(err)
	}
}

func (x *tester) push(host string, depth int, url string) {
	x.t.Helper()
	q, n := x.s.Push(host, depth, x.now)
	if n != len(*q) {
		x.t.Fatalf("Push(%s, %d) says %d held, the bucket holds %d", host, depth, n, len(*q))
	}
	*q = append(*q, url)
	x.check()
}

// lease leases the next item, or returns "" and the wait.
func (x *tester) lease() (url string, id uint64, wait time.Duration) {
	x.t.Helper()
	h, wait := x.s.Ready(x.now)
	if h == nil {
		return "", 0, wait
	}
	_, q := h.Head()
	url, *q = (*q)[0], (*q)[1:]
	id = x.s.Lease(h, x.now)
	x.check()
	return url, id, 0
}

func (x *tester) complete(id uint64) {
	x.t.Helper()
	if !x.s.Held(id) {
		x.t.Fatalf("lease %d is not held", id)
	}
	x.s.Complete(id, x.now)
	x.check()
}

func (x *tester) retry(id uint64, url string, wait time.Duration) {
	x.t.Helper()
	h, _, q := x.s.Retry(id, wait, x.now)
	if h == nil {
		x.t.Fatalf("Retry(%d): not held", id)
	}
	*q = slices.Insert(*q, 0, url)
	x.check()
}

// leaseAll leases until nothing is leasable and returns the URLs.
func (x *tester) leaseAll() (urls []string, ids []uint64) {
	x.t.Helper()
	for {
		u, id, _ := x.lease()
		if u == "" {
			return urls, ids
		}
		urls, ids = append(urls, u), append(ids, id)
	}
}

func TestBreadthFirst(t *testing.T) {
	x := newTester(t, 10, 0)
	x.push("a", 1, "a1")
	x.push("b", 1, "b1")
	x.push("a", 0, "a0") // lowers the level: b is parked when met
	got, ids := x.leaseAll()
	if want := []string{"a0"}; !slices.Equal(got, want) {
		t.Fatalf("level 0 leased %q, want %q", got, want)
	}
	x.push("c", 2, "c2")
	x.complete(ids[0])
	got, ids = x.leaseAll()
	slices.Sort(got)
	if want := []string{"a1", "b1"}; !slices.Equal(got, want) {
		t.Fatalf("level 1 leased %q, want %q", got, want)
	}
	x.complete(ids[0])
	if u, _, _ := x.lease(); u != "" {
		t.Fatalf("leased %q while depth 1 is still leased", u)
	}
	x.complete(ids[1])
	if u, _, _ := x.lease(); u != "c2" {
		t.Fatalf("leased %q, want c2", u)
	}
	if p := x.s.Pending(); p != 1 {
		t.Errorf("Pending = %d, want 1", p)
	}
}

// TestRemove: a removed item no longer counts: its bucket empties (and
// the level moves on) or shrinks, and a host with nothing of that depth
// changes nothing.
func TestRemove(t *testing.T) {
	x := newTester(t, 10, 0)
	x.push("a", 1, "a1")
	x.push("a", 1, "x")
	x.push("b", 2, "b2")
	x.push("a", 0, "x") // x reached by a shorter path
	check := func(host string, depth, wantN int, wantOK bool) fifo {
		t.Helper()
		q, n, ok := x.s.Remove(host, depth, x.now)
		if n != wantN || ok != wantOK {
			t.Fatalf("Remove(%s, %d) = %d, %v; want %d, %v", host, depth, n, ok, wantN, wantOK)
		}
		return q
	}
	q := check("a", 1, 1, true)
	if !slices.Equal(q, fifo{"a1", "x"}) {
		t.Errorf("storage %q, want the bucket's, with x still in it", q)
	}
	check("a", 3, 0, false)
	check("c", 0, 0, false)
	if p := x.s.Pending(); p != 3 {
		t.Errorf("Pending = %d, want 3", p)
	}
	// The backend skips x where it stays; the tester's storage is plain,
	// so take it out by hand.
	h := x.s.hosts["a"]
	h.buckets[1].q = fifo{"a1"}
	x.check()
	u, id, _ := x.lease()
	if u != "x" {
		t.Fatalf("leased %q, want x at depth 0", u)
	}
	x.complete(id)
	if u, _, _ := x.lease(); u != "a1" {
		t.Fatalf("leased %q, want a1", u)
	}
	if q := check("b", 2, 0, true); !slices.Equal(q, fifo{"b2"}) {
		t.Errorf("storage of the emptied bucket %q, want [b2]", q)
	}
	x.check()
	if p := x.s.Pending(); p != 1 {
		t.Errorf("Pending = %d, want 1 (the a1 lease)", p)
	}
}

// expect leases everything leasable and checks the URLs (in any order) and
// the wait after them.
func (x *tester) expect(want []string, wantWait time.Duration) []uint64 {
	x.t.Helper()
	var got []string
	var ids []uint64
	for {
		u, id, wait := x.lease()
		if u == "" {
			if wait != wantWait {
				x.t.Errorf("at %v: wait %v, want %v", x.now, wait, wantWait)
			}
			break
		}
		got, ids = append(got, u), append(ids, id)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		x.t.Fatalf("at %v: leased %q, want %q", x.now, got, want)
	}
	return ids
}

// TestPoliteness: delays, SetDelay overrides, in-flight limits and Retry
// waits decide when a host is due.
func TestPoliteness(t *testing.T) {
	x := newTester(t, 2, 10*time.Second)
	t0 := x.now
	for _, u := range []string{"h1", "h2", "h3"} {
		x.push("h", 0, u)
	}
	x.s.SetDelay("slow", time.Minute, x.now)
	x.push("slow", 0, "s1")
	x.push("slow", 0, "s2")

	first := x.expect([]string{"h1", "s1"}, 10*time.Second)
	x.now = t0.Add(10 * time.Second)
	x.expect([]string{"h2"}, 50*time.Second) // h is at its limit of 2
	x.retry(first[1], "s1", 2*time.Minute)
	x.expect(nil, 2*time.Minute)
	x.complete(first[0]) // h is below its limit again, due at t0+20s
	x.expect(nil, 10*time.Second)
	x.now = t0.Add(20 * time.Second)
	x.expect([]string{"h3"}, 110*time.Second)
	x.now = t0.Add(130 * time.Second)
	x.expect([]string{"s1"}, time.Minute) // the retried item first
}

// TestForgetsIdleHosts: a host with nothing queued or leased is forgotten
// once due; its SetDelay override is kept.
func TestForgetsIdleHosts(t *testing.T) {
	x := newTester(t, 1, time.Second)
	x.s.SetDelay("b", 5*time.Second, x.now)
	x.push("a", 0, "a")
	x.push("b", 0, "b")
	for _, id := range x.expect([]string{"a", "b"}, 0) {
		x.complete(id)
	}
	for _, tt := range []struct {
		advance                   time.Duration
		wantHosts, wantIdle, want int
	}{
		{0, 2, 2, 1},
		{time.Second, 1, 1, 1},
		{5 * time.Second, 0, 0, 1},
	} {
		x.now = x.now.Add(tt.advance)
		x.lease() // sweeps the hosts that are due
		if hosts, idle, delays := x.s.Sizes(); hosts != tt.wantHosts || idle != tt.wantIdle || delays != tt.want {
			t.Errorf("at %v: %d hosts, %d idle, %d delays; want %d, %d, %d",
				x.now, hosts, idle, delays, tt.wantHosts, tt.wantIdle, tt.want)
		}
	}
	// A forgotten host comes back due at once, with its override.
	x.push("b", 0, "b2")
	x.expect([]string{"b2"}, 0)
	if override := x.s.SetDelay("b", -time.Second, x.now); !override {
		t.Errorf("SetDelay(b, -1s) = false, want true: 0 overrides the default 1s")
	}
	if override := x.s.SetDelay("b", time.Second, x.now); override {
		t.Errorf("SetDelay(b, 1s) = true, want false: 1s is the default")
	}
	if _, _, delays := x.s.Sizes(); delays != 0 {
		t.Errorf("%d delays after setting the default back, want 0", delays)
	}
}

func TestStaleLease(t *testing.T) {
	x := newTester(t, 1, 0)
	x.push("a", 0, "a")
	_, id, _ := x.lease()
	x.complete(id)
	if x.s.Held(id) {
		t.Fatal("completed lease still held")
	}
	if h, _, q := x.s.Retry(id, 0, x.now); h != nil || q != nil {
		t.Fatal("Retry of a completed lease returned a host")
	}
	x.s.Complete(id, x.now) // no-op
	x.check()
	if x.s.Pending() != 0 || x.s.Inflight() != 0 || x.s.Queued() != 0 {
		t.Errorf("Pending %d, Inflight %d, Queued %d; want 0", x.s.Pending(), x.s.Inflight(), x.s.Queued())
	}
}

// TestWait: Wait returns on Broadcast, on its timer and on ctx's end, and
// releases the mutex.
func TestWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New[fifo](1, 0)
		var mu sync.Mutex
		wait := func(ctx context.Context, d time.Duration) (time.Duration, error) {
			start := time.Now()
			mu.Lock()
			err := s.Wait(ctx, &mu, d)
			return time.Since(start), err
		}

		go func() {
			time.Sleep(time.Second)
			mu.Lock()
			s.Push("a", 0, time.Now())
			mu.Unlock()
		}()
		if took, err := wait(t.Context(), 0); took != time.Second || err != nil {
			t.Errorf("Wait for Push = %v, %v; want 1s, nil", took, err)
		}
		if took, err := wait(t.Context(), 3*time.Second); took != 3*time.Second || err != nil {
			t.Errorf("Wait(3s) = %v, %v; want 3s, nil", took, err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		if took, err := wait(ctx, time.Hour); took != 2*time.Second || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait(ctx 2s) = %v, %v; want 2s, DeadlineExceeded", took, err)
		}
		if !mu.TryLock() {
			t.Fatal("Wait left the mutex locked")
		}
		mu.Unlock()
	})
}

// TestReadyAheadManyHosts: with more hosts one level deeper than
// aheadScan, every one of them is leased ahead in turn, each once, and the
// parked leases ripen when the level's last lease ends.
func TestReadyAheadManyHosts(t *testing.T) {
	x := newTester(t, 1, 0)
	x.push("seed", 0, "seed")
	_, seed, _ := x.lease()
	const n = 3*aheadScan + 7
	for i := range n {
		x.push(string(rune('a'+i%26))+string(rune('a'+i/26)), 1, "u")
	}
	if url, _, _ := x.lease(); url != "" {
		t.Fatalf("Ready leased %q while the level is held", url)
	}
	seen := map[string]bool{}
	var ids []uint64
	for {
		h, _ := x.s.ReadyAhead(x.now)
		if h == nil {
			break
		}
		if seen[h.Name()] {
			t.Fatalf("host %s offered twice", h.Name())
		}
		seen[h.Name()] = true
		_, q := h.Head()
		*q = (*q)[1:]
		id := x.s.Lease(h, x.now)
		if _, ripe, ok := x.s.Park(id, x.now); !ok || ripe {
			t.Fatalf("Park = ripe %v, ok %v; want parked, not ripe", ripe, ok)
		}
		ids = append(ids, id)
		x.check()
	}
	if len(seen) != n {
		t.Fatalf("%d hosts leased ahead, want %d", len(seen), n)
	}
	x.s.Complete(seed, x.now)
	x.check()
	for range ids {
		if _, depth, ok := x.s.Ripe(); !ok || depth != 1 {
			t.Fatalf("Ripe = depth %d, %v; want a ripe lease of depth 1", depth, ok)
		}
	}
	if _, _, ok := x.s.Ripe(); ok {
		t.Fatal("more ripe leases than parked")
	}
}
