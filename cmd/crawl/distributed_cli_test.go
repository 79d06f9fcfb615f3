package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/redis"
)

// refusedAddr returns a loopback address where nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestDistributedBadCommandLines needs no Redis: every line is refused
// before or at the first contact with the server, with exit 2 and one line.
func TestDistributedBadCommandLines(t *testing.T) {
	refused := refusedAddr(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"redis without crawl id", []string{"--seed", "http://x/", "--frontier", "redis://127.0.0.1:6379/0"}, "needs --crawl-id NAME"},
		{"crawl id without redis", []string{"--seed", "http://x/", "--crawl-id", "a"}, "--crawl-id needs --frontier redis://"},
		{"state with redis", []string{"--seed", "http://x/", "--frontier", "redis://127.0.0.1:6379/0", "--crawl-id", "a",
			"--state", dir, "--out", dir + "/o.jsonl"}, "--state and --frontier redis:// do not go together"},
		{"unknown frontier", []string{"--seed", "http://x/", "--frontier", "etcd://h/"}, `--frontier "etcd://h/": want memory or redis://`},
		{"bad redis url", []string{"--seed", "http://x/", "--frontier", "redis://h:1/notadb", "--crawl-id", "a"}, "--frontier redis://h:1/notadb"},
		{"zero lease ttl", []string{"--seed", "http://x/", "--frontier", "redis://h:1/0", "--crawl-id", "a", "--lease-ttl", "0s"}, "--lease-ttl must be greater than zero"},
		{"refused", []string{"--seed", "http://x/", "--frontier", "redis://" + refused + "/0", "--crawl-id", "a"}, "cannot reach the Redis server at " + refused},
		{"status without crawl id", []string{"status", "--frontier", "redis://" + refused + "/0"}, "crawl status needs --crawl-id NAME"},
		{"status without frontier", []string{"status", "--crawl-id", "a"}, "crawl status needs --frontier redis://"},
		{"delete refused", []string{"delete", "--frontier", "redis://" + refused + "/0", "--crawl-id", "a"}, "cannot reach the Redis server at " + refused},
		{"status stray argument", []string{"status", "--frontier", "redis://" + refused + "/0", "--crawl-id", "a", "x"}, `unexpected argument "x"`},
		{"unknown command", []string{"frob"}, `unknown command "frob"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			wantUsageError(t, tt.args, tt.want)
			if d := time.Since(start); d > pingTimeout+2*time.Second {
				t.Errorf("took %v, want at most the ping timeout %v", d, pingTimeout)
			}
		})
	}
}

func TestSubcommandHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"status", "--help"}, {"delete", "-h"}} {
		code, stdout, stderr := runCLI(t, context.Background(), "", args...)
		if code != exitOK || stderr != "" || !strings.Contains(stdout, "-crawl-id") {
			t.Errorf("crawl %v: exit %d, stderr %q, stdout %q; want exit 0 and help naming -crawl-id", args, code, stderr, stdout)
		}
	}
}

// TestStatusDelete creates a crawl, reads it with crawl status, removes it
// with crawl delete, and checks that status then finds nothing.
func TestStatusDelete(t *testing.T) {
	u, c := testRedis(t)
	id := testCrawlID(t, c)
	ctx := context.Background()
	f, err := redis.Open(ctx, c, id, frontier.Policy{MaxInflight: 2}, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Add(ctx, frontier.Item{URL: "http://a.test/", Host: "a.test"}, frontier.Item{URL: "http://a.test/x", Host: "a.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, ctx, "", "status", "--frontier", u, "--crawl-id", id)
	want := "crawl:     " + id + "\nqueued:    1\nin flight: 1\nseen:      2\ndone:      0\nfinished:  false\n"
	if code != exitOK || stdout != want {
		t.Errorf("status: exit %d, stdout %q, stderr %q; want exit 0 and %q", code, stdout, stderr, want)
	}
	// A process with another politeness policy is refused.
	code, stdout, stderr = runCLI(t, ctx, "", "--seed", "http://a.test/", "--per-host", "3", "--frontier", u, "--crawl-id", id, "--quiet")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "differs from the crawl's") {
		t.Errorf("crawl with --per-host 3 on a crawl of 2: exit %d, stdout %q, stderr %q; want exit 2 and \"differs from the crawl's\"", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, ctx, "", "delete", "--frontier", u, "--crawl-id", id)
	if code != exitOK || stdout != "deleted crawl "+id+"\n" {
		t.Errorf("delete: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if n, err := c.Keys(ctx, "fr:{"+id+"}:*").Result(); err != nil || len(n) != 0 {
		t.Errorf("keys left after delete: %v (%v)", n, err)
	}
	code, stdout, stderr = runCLI(t, ctx, "", "status", "--frontier", u, "--crawl-id", id)
	if code != exitFailed || stdout != "" || !strings.Contains(stderr, "no crawl "+id) {
		t.Errorf("status after delete: exit %d, stdout %q, stderr %q; want exit 1 and \"no crawl %s\"", code, stdout, stderr, id)
	}
}
