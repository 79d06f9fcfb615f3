package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// TestSharedKillMerge runs four worker processes of one crawl on Redis (a
// plain file, a second plain file, a .gz file and stdout, which nobody
// keeps) and kills the first with SIGKILL at a random moment, restarting it
// with the same command in some runs and never in others. crawl merge of
// the files then gives every expected URL exactly once, every time; a
// restarted worker's own file holds each of its records once and no torn
// line.
func TestSharedKillMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("kills worker processes of a shared crawl")
	}
	redisURL, client := testRedis(t)
	for _, tc := range []struct {
		seed    uint64
		restart bool
	}{{1, true}, {2, false}, {3, true}, {4, false}, {5, true}} {
		t.Run(fmt.Sprintf("seed %d, restart %v", tc.seed, tc.restart), func(t *testing.T) {
			id := testCrawlID(t, client)
			rng := rand.New(rand.NewPCG(tc.seed, 11))
			const depth = 4
			args := []string{"--frontier", redisURL, "--crawl-id", id, "--depth", fmt.Sprint(depth), "--per-host", "2",
				"--concurrency", "4", "--lease-ttl", "1s", "--grace", "1ms", "--quiet", "--log-level", "error"}
			var sites []*testserver.Site
			var bases []string
			var victimHost *countingServer
			for i := range 2 {
				site := testserver.New(testserver.Config{Pages: 1500, Links: 6, Seed: int64(60 + i), Latency: 5 * time.Millisecond})
				cs := &countingServer{h: site.Handler()}
				srv := httptest.NewServer(cs)
				t.Cleanup(srv.Close)
				if i == 0 {
					victimHost = cs
				}
				sites, bases = append(sites, site), append(bases, srv.URL)
				args = append(args, "--seed", srv.URL+"/")
			}
			dir := t.TempDir()
			outs := []string{filepath.Join(dir, "w0.jsonl"), filepath.Join(dir, "w1.jsonl"), filepath.Join(dir, "w2.jsonl.gz"), "-"}
			fired := victimHost.arm(int64(10 + rng.IntN(250)))
			type worker struct {
				cmd    *exec.Cmd
				stderr *bytes.Buffer
				done   chan int
			}
			start := func(out string) worker {
				cmd, stderr := child(t, append(append([]string{}, args...), "--out", out)...)
				w := worker{cmd, stderr, make(chan int, 1)}
				go func() { w.done <- exitOf(t, cmd) }()
				return w
			}
			var ws []worker
			for _, out := range outs {
				ws = append(ws, start(out))
			}
			timeout := time.After(90 * time.Second)
			killed := false
			select {
			case <-fired:
				killed = ws[0].cmd.Process.Signal(syscall.SIGKILL) == nil
			case code := <-ws[0].done:
				ws[0].done <- code // it finished before the kill
			case <-timeout:
				t.Fatal("no kill moment within the time limit")
			}
			codes := make([]int, len(ws))
			for i, w := range ws {
				select {
				case codes[i] = <-w.done:
				case <-timeout:
					t.Fatalf("worker %d did not finish", i)
				}
			}
			for i := 1; i < len(ws); i++ {
				if codes[i] != exitOK {
					t.Fatalf("worker %d: exit %d, stderr %q", i, codes[i], ws[i].stderr)
				}
			}
			if killed && tc.restart {
				w := start(outs[0])
				if code := <-w.done; code != exitOK {
					t.Fatalf("restarted worker: exit %d, stderr %q", code, w.stderr)
				}
				own := map[string]int{}
				if err := store.ReadFile(outs[0], func(r *store.Record) error { own[r.URL]++; return nil }); err != nil {
					t.Fatalf("the restarted worker's file: %v", err)
				}
				for u, n := range own {
					if n != 1 {
						t.Errorf("the restarted worker's file records %s %d times", u, n)
					}
				}
			}
			merged := filepath.Join(dir, "merged.jsonl")
			var stderr bytes.Buffer
			margs := append([]string{"merge", "--frontier", redisURL, "--crawl-id", id, "--out", merged}, outs[:3]...)
			if code := exitCode(run(context.Background(), margs, strings.NewReader(""), &bytes.Buffer{}, &stderr), &stderr); code != exitOK {
				t.Fatalf("crawl merge: exit %d, stderr %q", code, stderr.String())
			}
			seen := map[string]int{}
			if err := store.ReadFile(merged, func(r *store.Record) error { seen[r.URL]++; return nil }); err != nil {
				t.Fatal(err)
			}
			want := 0
			for i, site := range sites {
				exp := site.Expect("/", depth)
				want += len(exp.Records)
				for path := range exp.Records {
					if n := seen[bases[i]+path]; n != 1 {
						t.Errorf("%s%s merged %d times, want 1", bases[i], path, n)
					}
				}
			}
			if len(seen) != want {
				t.Errorf("%d URLs merged, want %d", len(seen), want)
			}
			// Without w0.jsonl the merge either still finds every record
			// (in the journal: w0 died before it acknowledged any) or
			// fails; it never comes up short. A worker that ran to its end
			// acknowledged everything: without its file the merge fails.
			short := filepath.Join(dir, "short.jsonl")
			stderr.Reset()
			margs = []string{"merge", "--frontier", redisURL, "--crawl-id", id, "--out", short, outs[1], outs[2]}
			code := exitCode(run(context.Background(), margs, strings.NewReader(""), &bytes.Buffer{}, &stderr), &stderr)
			switch {
			case code == exitOK && (!killed || tc.restart) && countRecords(t, outs[0]) > 0:
				t.Errorf("crawl merge without the file of a worker that finished: exit 0")
			case code == exitOK:
				if n := countRecords(t, short); n != want {
					t.Errorf("crawl merge without w0.jsonl: exit 0 with %d records, want %d", n, want)
				}
			case code != exitFailed:
				t.Errorf("crawl merge without w0.jsonl: exit %d, want %d or %d; stderr %q", code, exitOK, exitFailed, stderr.String())
			}
			t.Logf("killed %v, %d URLs", killed, want)
		})
	}
}

// TestRedisKilledMidCrawl kills the Redis server itself with SIGKILL in the
// middle of a crawl of three worker processes and restarts it from its
// append-only file: the workers ride out the outage, and crawl merge gives
// every expected URL exactly once.
func TestRedisKilledMidCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a Redis server of its own")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server in PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dataDir := t.TempDir()
	startRedis := func() *exec.Cmd {
		cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--dir", dataDir, "--save", "",
			"--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	waitRedis := func() {
		deadline := time.Now().Add(20 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			c, err := dialRedis(ctx, redisURL)
			cancel()
			if err == nil {
				c.Close()
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("redis-server on port %d did not come up: %v", port, err)
			}
			<-time.After(20 * time.Millisecond) // polling a server's readiness, not synchronising
		}
	}
	srvCmd := startRedis()
	waitRedis()

	const depth = 4
	site := testserver.New(testserver.Config{Pages: 1500, Links: 6, Seed: 71, Latency: 5 * time.Millisecond})
	cs := &countingServer{h: site.Handler()}
	srv := httptest.NewServer(cs)
	defer srv.Close()
	dir := t.TempDir()
	args := []string{"--frontier", redisURL, "--crawl-id", "redis-killed", "--depth", fmt.Sprint(depth), "--per-host", "3",
		"--concurrency", "4", "--lease-ttl", "2s", "--grace", "1ms", "--quiet", "--log-level", "error", "--seed", srv.URL + "/"}
	outs := []string{filepath.Join(dir, "w0.jsonl"), filepath.Join(dir, "w1.jsonl"), filepath.Join(dir, "w2.jsonl.gz")}
	fired := cs.arm(200)
	var cmds []*exec.Cmd
	var stderrs []*bytes.Buffer
	for _, out := range outs {
		cmd, stderr := child(t, append(append([]string{}, args...), "--out", out)...)
		cmds, stderrs = append(cmds, cmd), append(stderrs, stderr)
	}
	select {
	case <-fired:
	case <-time.After(60 * time.Second):
		t.Fatal("the crawl did not reach its 200th request")
	}
	if err := srvCmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srvCmd.Wait()
	startRedis()
	waitRedis()
	for i, cmd := range cmds {
		if code := exitOf(t, cmd); code != exitOK {
			t.Fatalf("worker %d: exit %d, stderr %q", i, code, stderrs[i])
		}
	}
	merged := filepath.Join(dir, "merged.jsonl")
	var stderr bytes.Buffer
	margs := append([]string{"merge", "--frontier", redisURL, "--crawl-id", "redis-killed", "--out", merged}, outs...)
	if code := exitCode(run(context.Background(), margs, strings.NewReader(""), &bytes.Buffer{}, &stderr), &stderr); code != exitOK {
		t.Errorf("crawl merge: exit %d, stderr %q", code, stderr.String())
	}
	seen := map[string]int{}
	if err := store.ReadFile(merged, func(r *store.Record) error { seen[r.URL]++; return nil }); err != nil {
		t.Fatal(err)
	}
	exp := site.Expect("/", depth)
	for path := range exp.Records {
		if n := seen[srv.URL+path]; n != 1 {
			t.Errorf("%s merged %d times, want 1", path, n)
		}
	}
	if len(seen) != len(exp.Records) {
		t.Errorf("%d URLs merged, want %d", len(seen), len(exp.Records))
	}
}

// TestMergeBadInput: crawl merge's bad command lines and inputs exit 2
// with one line.
func TestMergeBadInput(t *testing.T) {
	redisURL, client := testRedis(t)
	id := testCrawlID(t, client)
	site := testserver.New(testserver.Config{Pages: 20, Links: 3, Seed: 3})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "w.jsonl")
	if code, _, stderr := runCLI(t, context.Background(), "", "--seed", srv.URL+"/", "--frontier", redisURL, "--crawl-id", id,
		"--out", out, "--quiet"); code != exitOK {
		t.Fatalf("crawl: exit %d, %s", code, stderr)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"url\":\"http://x/\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"merge", "--crawl-id", id}, "needs --frontier"},
		{[]string{"merge", "--frontier", redisURL}, "needs --crawl-id"},
		{[]string{"merge", "--frontier", redisURL, "--crawl-id", id + "-none", out}, "no crawl"},
		{[]string{"merge", "--frontier", redisURL, "--crawl-id", id, filepath.Join(dir, "missing.jsonl")}, "missing.jsonl"},
		{[]string{"merge", "--frontier", redisURL, "--crawl-id", id, "--out", filepath.Join(dir, "m.jsonl"), out, bad}, "line 2"},
		{[]string{"merge", "--frontier", redisURL, "--crawl-id", id, "--out", out, out}, "also an input"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, context.Background(), "", tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 with one line naming %q", tt.args, code, stderr, tt.want)
		}
	}
	code, stdout, stderr := runCLI(t, context.Background(), "", "merge", "--frontier", redisURL, "--crawl-id", id, out)
	if code != exitOK || strings.Count(stdout, "\n") != countRecords(t, out) {
		t.Errorf("merge of the one worker's file: exit %d, %d lines, stderr %q", code, strings.Count(stdout, "\n"), stderr)
	}
}
