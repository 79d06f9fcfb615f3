package frontiertest

import (
	"bytes"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// The RobotsStore tests run when Options.RobotsStore is set.

// robotsTTL is the short ttl of the expiry tests: long enough that a stored
// entry is surely read back before it expires, short enough to wait out.
const robotsTTL = 200 * time.Millisecond

func robotsTests() []testCase {
	return []testCase{
		{"RobotsUnknown", testRobotsUnknown},
		{"RobotsClaim", testRobotsClaim},
		{"RobotsStoreEndsClaim", testRobotsStoreEndsClaim},
		{"RobotsExpiry", testRobotsExpiry},
	}
}

// robotsStore returns f as a frontier.RobotsStore.
func (e *env) robotsStore(f frontier.Frontier) frontier.RobotsStore {
	e.t.Helper()
	r, ok := f.(frontier.RobotsStore)
	if !ok {
		e.t.Fatalf("%T is not a frontier.RobotsStore (see the Interfaces test)", f)
	}
	return r
}

func (e *env) robots(r frontier.RobotsStore, origin string) ([]byte, bool) {
	e.t.Helper()
	body, ok, err := r.Robots(e.ctx(), origin)
	if err != nil {
		e.t.Fatalf("Robots(%s): %v", origin, err)
	}
	return body, ok
}

func (e *env) claimRobots(r frontier.RobotsStore, origin string, ttl time.Duration) bool {
	e.t.Helper()
	won, err := r.ClaimRobots(e.ctx(), origin, ttl)
	if err != nil {
		e.t.Fatalf("ClaimRobots(%s): %v", origin, err)
	}
	return won
}

func (e *env) storeRobots(r frontier.RobotsStore, origin string, body []byte, ttl time.Duration) {
	e.t.Helper()
	if err := r.StoreRobots(e.ctx(), origin, body, ttl); err != nil {
		e.t.Fatalf("StoreRobots(%s): %v", origin, err)
	}
}

// eventually calls cond every few milliseconds until it is true, and fails
// the test if it is not within guard. It returns the time it waited.
func (e *env) eventually(what string, cond func() bool) time.Duration {
	e.t.Helper()
	start := time.Now()
	deadline := start.Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not within %v", what, guard)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// testRobotsUnknown: nothing is stored for an origin never stored.
func testRobotsUnknown(e *env) {
	r := e.robotsStore(e.newFrontier(frontier.Policy{}))
	if body, ok := e.robots(r, "http://a.test"); ok || body != nil {
		e.t.Errorf("Robots of an unknown origin = (%q, %v), want (nil, false)", body, ok)
	}
}

// testRobotsClaim: the first claim of an origin wins, a second loses while
// it is held; claims are per origin.
func testRobotsClaim(e *env) {
	r := e.robotsStore(e.newFrontier(frontier.Policy{}))
	const origin, other = "http://a.test", "http://a.test:8080"
	if !e.claimRobots(r, origin, time.Minute) {
		e.t.Errorf("first ClaimRobots(%s) lost, want it won", origin)
	}
	if e.claimRobots(r, origin, time.Minute) {
		e.t.Errorf("second ClaimRobots(%s) won while the first is held, want it lost", origin)
	}
	if !e.claimRobots(r, other, time.Minute) {
		e.t.Errorf("ClaimRobots(%s) lost to the claim of %s, want it won", other, origin)
	}
	if body, ok := e.robots(r, origin); ok {
		e.t.Errorf("Robots of a claimed origin = (%q, true), want nothing stored", body)
	}
}

// testRobotsStoreEndsClaim: StoreRobots stores the file, or with a nil
// body "allow all" (read back as ok with a nil body), and ends the claim.
func testRobotsStoreEndsClaim(e *env) {
	r := e.robotsStore(e.newFrontier(frontier.Policy{}))
	const origin, allowAll = "http://a.test", "https://b.test"
	file := []byte("User-agent: *\nDisallow: /private/\n")

	if !e.claimRobots(r, origin, time.Minute) {
		e.t.Fatalf("ClaimRobots(%s) lost, want it won", origin)
	}
	e.storeRobots(r, origin, file, time.Hour)
	if body, ok := e.robots(r, origin); !ok || !bytes.Equal(body, file) {
		e.t.Errorf("Robots(%s) = (%q, %v), want (%q, true)", origin, body, ok, file)
	}
	if !e.claimRobots(r, origin, time.Minute) {
		e.t.Errorf("ClaimRobots(%s) after StoreRobots lost, want the claim ended", origin)
	}

	if !e.claimRobots(r, allowAll, time.Minute) {
		e.t.Fatalf("ClaimRobots(%s) lost, want it won", allowAll)
	}
	e.storeRobots(r, allowAll, nil, time.Hour)
	if body, ok := e.robots(r, allowAll); !ok || body != nil {
		e.t.Errorf("Robots(%s) stored as allow-all = (%q, %v), want (nil, true)", allowAll, body, ok)
	}
	if !e.claimRobots(r, allowAll, time.Minute) {
		e.t.Errorf("ClaimRobots(%s) after StoreRobots(nil) lost, want the claim ended", allowAll)
	}
	// The first origin's file is its own.
	if body, ok := e.robots(r, origin); !ok || !bytes.Equal(body, file) {
		e.t.Errorf("Robots(%s) after storing %s = (%q, %v), want (%q, true)", origin, allowAll, body, ok, file)
	}
}

// testRobotsExpiry: a stored entry and a claim last for their ttl, then
// are gone. Each start is taken before the call, so the waits are lower
// bounds.
func testRobotsExpiry(e *env) {
	r := e.robotsStore(e.newFrontier(frontier.Policy{}))
	const origin, claimed = "http://a.test", "http://c.test"
	file := []byte("User-agent: *\nDisallow:\n")

	stored := time.Now()
	e.storeRobots(r, origin, file, robotsTTL)
	claim := time.Now()
	if !e.claimRobots(r, claimed, robotsTTL) {
		e.t.Fatalf("ClaimRobots(%s) lost, want it won", claimed)
	}
	if body, ok := e.robots(r, origin); !ok || !bytes.Equal(body, file) {
		e.t.Fatalf("Robots(%s) right after StoreRobots = (%q, %v), want (%q, true)", origin, body, ok, file)
	}
	e.eventually("the stored robots.txt expires", func() bool {
		_, ok := e.robots(r, origin)
		return !ok
	})
	e.notBefore("stored robots.txt gone", time.Since(stored), robotsTTL)
	// A worker that claimed and died does not block the origin for good.
	e.eventually("the claim expires", func() bool { return e.claimRobots(r, claimed, time.Minute) })
	e.notBefore("claim won again", time.Since(claim), robotsTTL)
}

// notBefore checks that got, an elapsed time, is at least want, relaxed by
// the clock's resolution.
func (e *env) notBefore(what string, got, want time.Duration) {
	e.t.Helper()
	if got < want-e.resolution {
		e.t.Errorf("%s after %v, want at least %v", what, got, want)
	}
}
