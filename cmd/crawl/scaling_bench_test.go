package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier/redis"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// BenchmarkDistributedScaling crawls a latency-bound site of several hosts
// (each a testserver site on its own loopback server) with one process and
// then with three real processes of the built binary sharing one crawl id
// in the Redis of CRAWL_TEST_REDIS, and reports the pages per second of
// each and their ratio. Each process has --concurrency 8 and the crawl
// --per-host 2, so the hosts allow at most 2*hosts fetches at once: with 8
// hosts that is 16, twice what one process does, and the ratio cannot pass
// 2; with 16 hosts the per-host limit does not bind. Run it with
//
//	CRAWL_TEST_REDIS=redis://127.0.0.1:6379/0 go test -run '^$' -bench DistributedScaling -benchtime 1x -count 3 ./cmd/crawl/
func BenchmarkDistributedScaling(b *testing.B) {
	u, client := testRedis(b)
	bin := filepath.Join(b.TempDir(), "crawl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sc := range []struct{ hosts, pages int }{{8, 400}, {16, 200}} {
		b.Run(fmt.Sprintf("hosts=%d,pages=%d", sc.hosts, sc.pages), func(b *testing.B) {
			var seeds []string
			want := 0
			for i := range sc.hosts {
				site := testserver.New(testserver.Config{Pages: sc.pages, Links: 10, Seed: int64(100 + i), Latency: 20 * time.Millisecond})
				srv := httptest.NewServer(site.Handler())
				b.Cleanup(srv.Close)
				seeds = append(seeds, "--seed", srv.URL+"/")
				want += len(site.Expect("/", benchDepth).Records)
			}
			var one, three float64
			for b.Loop() {
				one = crawlProcesses(b, bin, u, client, seeds, 1, want)
				three = crawlProcesses(b, bin, u, client, seeds, 3, want)
			}
			b.ReportMetric(one, "pages/s-1proc")
			b.ReportMetric(three, "pages/s-3proc")
			b.ReportMetric(three/one, "speedup")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// benchDepth reaches every page of the generated sites.
const benchDepth = 30

// crawlProcesses runs n processes of bin on one fresh crawl id, checks that
// their outputs together hold want distinct URLs, each once, and returns
// the pages per second, from the first start to the last exit.
func crawlProcesses(b *testing.B, bin, redisURL string, client *goredis.Client, seeds []string, n, want int) float64 {
	b.Helper()
	var rb [6]byte
	if _, err := rand.Read(rb[:]); err != nil {
		b.Fatal(err)
	}
	id := "bench-" + hex.EncodeToString(rb[:])
	defer func() {
		if err := redis.Delete(context.Background(), client, id); err != nil {
			b.Errorf("delete crawl %s: %v", id, err)
		}
	}()
	dir := b.TempDir()
	cmds := make([]*exec.Cmd, n)
	stderrs := make([]bytes.Buffer, n)
	start := time.Now()
	for i := range cmds {
		args := append([]string{"--frontier", redisURL, "--crawl-id", id, "--per-host", "2", "--concurrency", "8",
			"--depth", strconv.Itoa(benchDepth), "--quiet", "--log-level", "error", "--progress", "never",
			"--out", filepath.Join(dir, strconv.Itoa(i)+".jsonl")}, seeds...)
		cmds[i] = exec.Command(bin, args...)
		cmds[i].Stderr = &stderrs[i]
		if err := cmds[i].Start(); err != nil {
			b.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			b.Fatalf("process %d of %d: %v; stderr %q", i, n, err, stderrs[i].String())
		}
	}
	elapsed := time.Since(start)
	seen := map[string]int{}
	for i := range n {
		err := store.ReadFile(filepath.Join(dir, strconv.Itoa(i)+".jsonl"), func(r *store.Record) error {
			seen[r.URL]++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	total := 0
	for url, c := range seen {
		total += c
		if c != 1 {
			b.Errorf("%s recorded %d times", url, c)
		}
	}
	if len(seen) != want {
		b.Errorf("%d processes: %d URLs recorded, want %d", n, len(seen), want)
	}
	pps := float64(total) / elapsed.Seconds()
	b.Logf("%d process(es): %d records in %v, %.0f pages/s", n, total, elapsed.Round(time.Millisecond), pps)
	return pps
}
