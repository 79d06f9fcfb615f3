package redis

import (
	"bytes"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// TestRobotsStore: one claim wins until the file is stored; a stored file
// and an allow-all answer read back as stored, from another instance too;
// Delete removes them with the crawl.
func TestRobotsStore(t *testing.T) {
	c := testClient(t)
	id := newCrawlID(t, c)
	a := openTest(t, c, id, frontier.Policy{}, Options{})
	b := openTest(t, testClient(t), id, frontier.Policy{}, Options{})
	ctx := ctxT(t, 10*time.Second)
	const origin, other = "http://a.test", "http://b.test:8080"

	if _, ok, err := a.Robots(ctx, origin); ok || err != nil {
		t.Fatalf("Robots before any store = %v, %v; want none", ok, err)
	}
	if won, err := a.ClaimRobots(ctx, origin, time.Minute); !won || err != nil {
		t.Fatalf("first ClaimRobots = %v, %v; want it won", won, err)
	}
	if won, err := b.ClaimRobots(ctx, origin, time.Minute); won || err != nil {
		t.Fatalf("second ClaimRobots = %v, %v; want it lost", won, err)
	}
	file := []byte("User-agent: *\nDisallow: /private/\n")
	if err := a.StoreRobots(ctx, origin, file, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := b.Robots(ctx, origin); !ok || err != nil || !bytes.Equal(got, file) {
		t.Errorf("Robots from the other instance = %q, %v, %v; want %q", got, ok, err, file)
	}
	if won, err := b.ClaimRobots(ctx, origin, time.Minute); !won || err != nil {
		t.Errorf("ClaimRobots after the store = %v, %v; want the reservation ended", won, err)
	}
	if err := b.StoreRobots(ctx, other, nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := a.Robots(ctx, other); !ok || err != nil || got != nil {
		t.Errorf("Robots of an allow-all origin = %q, %v, %v; want nil, true", got, ok, err)
	}
	if err := a.StoreRobots(ctx, origin, []byte{}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := a.Robots(ctx, origin); !ok || err != nil || got == nil || len(got) != 0 {
		t.Errorf("Robots of an empty file = %q (nil %v), %v, %v; want an empty file, not allow-all", got, got == nil, ok, err)
	}
	if err := Delete(ctx, c, id); err != nil {
		t.Fatal(err)
	}
	if keys := crawlKeys(t, c, id); len(keys) != 0 {
		t.Errorf("keys left after Delete: %q", keys)
	}
}
