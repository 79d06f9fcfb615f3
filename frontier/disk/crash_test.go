package disk

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// crashChildEnv names the state directory of the child process of
// TestCrash.
const crashChildEnv = "CRAWL_DISK_TEST_CRASH_DIR"

// TestCrash kills a process crawling into a state directory with SIGKILL at
// random moments, reopens the directory after each kill and checks that
// nothing the process was told is committed got lost: every URL it added is
// seen, every URL it completed is done and not queued, every seen URL is
// queued at most once or done, the counters agree with the store, and the
// checkpoint committed with the completions counts exactly the done URLs.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	const kills = 5
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	added := make(map[string]bool)
	completed := make(map[string]bool)
	for round := range kills {
		// Let the child get through a random number of acknowledged
		// operations, so the kill lands anywhere in its stream of writes.
		lines, stderr := runAndKill(t, dir, 20+rng.IntN(300))
		for _, line := range lines {
			kind, u, _ := strings.Cut(line, " ")
			switch kind {
			case "A":
				added[u] = true
			case "D":
				completed[u] = true
			}
		}
		if len(lines) == 0 {
			t.Fatalf("round %d: the child acknowledged nothing; its stderr:\n%s", round, stderr)
		}
		checkCrashState(t, dir, added, completed)
	}
	// The crawl still runs to its end.
	d := open(t, dir, frontier.Policy{MaxInflight: 2}, Options{})
	defer closeDisk(t, d)
	drain(t, d)
	s := stats(t, d)
	if !d.Finished() || s.Done != s.Seen || s.Seen < len(added) {
		t.Errorf("after the final drain: Finished() = %v, Stats = %+v; want finished with every one of the %d added URLs done", d.Finished(), s, len(added))
	}
}

// runAndKill starts the child of TestCrash, kills it once it has
// acknowledged n operations (or after 10 s) and returns its
// acknowledgement lines.
func runAndKill(t *testing.T, dir string, n int) (lines []string, stderr string) {
	t.Helper()
	return runAndKillCmd(t, exec.Command(os.Args[0], "-test.run=^TestCrash$"), crashChildEnv+"="+dir, n)
}

// runAndKillCmd is runAndKill for the child process cmd, started with env
// ("NAME=value") added to the environment.
func runAndKillCmd(t *testing.T, cmd *exec.Cmd, env string, n int) (lines []string, stderr string) {
	t.Helper()
	cmd.Env = append(os.Environ(), env)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	enough := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return // a line cut by the kill has no newline: dropped
			}
			lines = append(lines, strings.TrimSuffix(line, "\n"))
			if len(lines) == n {
				close(enough)
			}
		}
	}()
	select {
	case <-enough:
	case <-done:
	case <-time.After(10 * time.Second):
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	<-done
	if err := cmd.Wait(); err == nil {
		t.Fatalf("the child exited by itself; its stderr:\n%s", errBuf.String())
	}
	return lines, errBuf.String()
}

// checkCrashState reopens dir after a kill and checks the invariants.
func checkCrashState(t *testing.T, dir string, added, completed map[string]bool) {
	t.Helper()
	d := open(t, dir, frontier.Policy{}, Options{})
	defer closeDisk(t, d)
	c := d.contents(t)
	s := stats(t, d)
	queued := make(map[string]bool)
	for _, it := range c.queued {
		if queued[it.URL] {
			t.Errorf("%s is queued twice", it.URL)
		}
		queued[it.URL] = true
		if !c.seen[it.URL] {
			t.Errorf("%s is queued but not seen", it.URL)
		}
	}
	for u := range added {
		if !c.seen[u] {
			t.Errorf("%s was added but is not seen: lost", u)
		}
	}
	for u := range completed {
		if queued[u] || !c.seen[u] {
			t.Errorf("%s was completed but is queued %v, seen %v", u, queued[u], c.seen[u])
		}
	}
	want := frontier.Stats{Queued: len(c.queued), Seen: len(c.seen), Done: len(c.seen) - len(c.queued)}
	if s != want || c.leased != 0 {
		t.Errorf("Stats after reopen = %+v with %d leases stored, want %+v from the store and none leased", s, c.leased, want)
	}
	if cp := string(d.Checkpoint()); cp != strconv.Itoa(s.Done) {
		t.Errorf("checkpoint %q, want the done count %d", cp, s.Done)
	}
	t.Logf("after a kill: %+v; %d adds and %d completions acknowledged so far", s, len(added), len(completed))
	if s.Done < len(completed) {
		t.Errorf("%d done, but %d completions were acknowledged", s.Done, len(completed))
	}
}

// crashChild crawls a random site into dir until it is killed (or 20 s
// pass), reporting on stdout each acknowledged operation: "A url" once an
// Add or a CompleteBatch that carried url returned, "D url" once url's
// completion returned. Three workers lease and retry; one committer batches
// their completions with the running done count as the checkpoint; the main
// goroutine keeps adding seeds.
func crashChild(dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	d, err := Open(dir, frontier.Policy{MaxInflight: 2}, Options{})
	if err != nil {
		fail(err)
	}
	var outMu sync.Mutex
	report := func(kind string, items []frontier.Item) {
		var b strings.Builder
		for _, it := range items {
			b.WriteString(kind + " " + it.URL + "\n")
		}
		outMu.Lock()
		defer outMu.Unlock()
		if _, err := io.WriteString(os.Stdout, b.String()); err != nil {
			fail(err)
		}
	}
	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	newItem := func(depth int, parent string) frontier.Item {
		rngMu.Lock()
		h, p := rng.IntN(20), rng.IntN(20000)
		rngMu.Unlock()
		host := fmt.Sprintf("h%d.test", h)
		return frontier.Item{URL: fmt.Sprintf("http://%s/p%d", host, p), Host: host, Depth: depth, Parent: parent}
	}
	doneCount, err := strconv.Atoi(string(d.Checkpoint()))
	if err != nil && d.Checkpoint() != nil {
		fail(err)
	}

	dones := make(chan Done)
	go func() { // committer
		for {
			var batch []Done
			select {
			case dn := <-dones:
				batch = append(batch, dn)
			case <-ctx.Done():
				return
			}
		more:
			for len(batch) < 10 {
				select {
				case dn := <-dones:
					batch = append(batch, dn)
				default:
					break more
				}
			}
			doneCount += len(batch)
			if _, err := d.CompleteBatch(ctx, batch, []byte(strconv.Itoa(doneCount))); err != nil {
				fail(err)
			}
			var leased, children []frontier.Item
			for _, dn := range batch {
				leased = append(leased, dn.Lease.Item)
				children = append(children, dn.Children...)
			}
			report("A", children)
			report("D", leased)
		}
	}()
	for range 3 { // workers
		go func() {
			for {
				l, err := d.Next(ctx)
				if errors.Is(err, frontier.ErrDone) {
					continue
				}
				if err != nil {
					fail(err)
				}
				if l.Item.Attempts == 0 && strings.HasSuffix(l.Item.URL, "7") {
					l.Item.Attempts++
					if err := d.Retry(ctx, l, 0); err != nil {
						fail(err)
					}
					continue
				}
				children := []frontier.Item{newItem(l.Item.Depth+1, l.Item.URL), newItem(l.Item.Depth+1, l.Item.URL)}
				dones <- Done{Lease: l, Children: children}
			}
		}()
	}
	for ctx.Err() == nil {
		seeds := []frontier.Item{newItem(0, ""), newItem(1, ""), newItem(2, "")}
		if _, err := d.Add(ctx, seeds...); err != nil {
			fail(err)
		}
		report("A", seeds)
	}
	os.Exit(4) // not killed in time
}
