package redis

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// TestJournal: a completion puts its record in the worker's journal in the
// same step, a stale one puts nothing, a completion repeated after a lost
// reply succeeds, acknowledgements drop the entries they name and are
// idempotent, a restarted worker of the same name finds what it did not
// acknowledge, and ReadJournals sees every worker's entries.
func TestJournal(t *testing.T) {
	const ttl = 100 * time.Millisecond
	c := testClient(t)
	id := newCrawlID(t, c)
	ctx := ctxT(t, 10*time.Second)
	const name = "host-a:/out.jsonl"
	a := openTest(t, c, id, frontier.Policy{MaxInflight: 4}, Options{LeaseTTL: ttl, Worker: name})
	if _, _, _, known, err := a.Unacknowledged(ctx); err != nil || known {
		t.Fatalf("Unacknowledged of a new worker: known %v, %v", known, err)
	}
	if _, err := a.Add(ctx, item("a.test", "1", 0), item("a.test", "2", 0), item("a.test", "3", 0), item("a.test", "4", 0)); err != nil {
		t.Fatal(err)
	}
	var leases []frontier.Lease
	for range 4 {
		l, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		leases = append(leases, l)
	}
	rec := func(l frontier.Lease) []byte { return []byte("rec-" + l.Item.URL + "\n") }
	for i, l := range leases[:3] {
		var r []byte
		if i != 1 { // the second completion has no record (a silent one)
			r = rec(l)
		}
		if _, err := a.CompleteRecord(ctx, l, nil, r); err != nil {
			t.Fatalf("CompleteRecord %d: %v", i, err)
		}
	}
	// The first completion again, as after a lost reply: its entry is
	// there, so it succeeded. The silent one has no entry: stale.
	if _, err := a.CompleteRecord(ctx, leases[0], nil, rec(leases[0])); err != nil {
		t.Fatalf("a repeated CompleteRecord: %v, want success", err)
	}
	if _, err := a.CompleteRecord(ctx, leases[1], nil, nil); !errors.Is(err, frontier.ErrStaleLease) {
		t.Fatalf("a repeated silent CompleteRecord: %v, want ErrStaleLease", err)
	}
	wantIDs := []uint64{leases[0].ID, leases[2].ID}
	want := [][]byte{rec(leases[0]), rec(leases[2])}
	if off, ids, recs, known, err := a.Unacknowledged(ctx); err != nil || !known || off != 0 || !slices.Equal(ids, wantIDs) || !slices.EqualFunc(recs, want, slices.Equal) {
		t.Fatalf("Unacknowledged = %d, %v, %q, %v, %v; want 0, %v, %q", off, ids, recs, known, err, wantIDs, want)
	}
	for range 2 { // the second as a retry after a lost reply
		if err := a.Acknowledge(ctx, wantIDs[:1], 40); err != nil {
			t.Fatal(err)
		}
	}
	// The worker dies; its last lease expires and another worker completes it.
	b := openTest(t, testClient(t), id, frontier.Policy{MaxInflight: 4}, Options{LeaseTTL: ttl})
	lb, err := b.Next(ctx)
	if err != nil || lb.Item.URL != leases[3].Item.URL {
		t.Fatalf("b.Next = %+v, %v; want the reclaimed %q", lb.Item, err, leases[3].Item.URL)
	}
	if _, err := b.CompleteRecord(ctx, lb, nil, []byte("rec-b\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CompleteRecord(ctx, leases[3], nil, []byte("late\n")); !errors.Is(err, frontier.ErrStaleLease) {
		t.Fatalf("late CompleteRecord: %v, want ErrStaleLease", err)
	}
	a2 := openTest(t, c, id, frontier.Policy{MaxInflight: 4}, Options{LeaseTTL: ttl, Worker: name})
	if off, ids, recs, known, err := a2.Unacknowledged(ctx); err != nil || !known || off != 40 || !slices.Equal(ids, wantIDs[1:]) || !slices.EqualFunc(recs, want[1:], slices.Equal) {
		t.Fatalf("restarted Unacknowledged = %d, %v, %q, %v, %v; want 40, %v, %q", off, ids, recs, known, err, wantIDs[1:], want[1:])
	}
	var lines []string
	ws, err := ReadJournals(ctx, c, id, func(worker string, line []byte) error {
		lines = append(lines, worker+" "+string(line))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{name + " " + string(want[1]), b.worker + " rec-b\n"}
	slices.Sort(lines)
	slices.Sort(wantLines)
	if len(ws) != 2 || !slices.Equal(lines, wantLines) {
		t.Errorf("ReadJournals: %+v, lines %q", ws, lines)
	}
	for _, w := range ws {
		if w.Name == name && (w.Acked != 1 || w.Offset != 40 || w.Pending != 1) {
			t.Errorf("worker a: %+v, want 1 acknowledged at 40 with 1 pending", w)
		}
	}
	if _, err := ReadJournals(ctx, c, id+"-none", func(string, []byte) error { return nil }); !errors.Is(err, ErrNoCrawl) {
		t.Errorf("ReadJournals of no crawl: %v, want ErrNoCrawl", err)
	}
}
