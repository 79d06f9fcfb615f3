package disk

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/frontier"
)

// genCrashChildEnv names the state directory of the child process of
// TestGenerationCrash.
const genCrashChildEnv = "CRAWL_DISK_TEST_GEN_CRASH_DIR"

// The site of TestGenerationCrash: genHosts hosts of genPages pages; page
// p of host h links to pages 2p+1 and 2p+2 of h and to page p+1 of the
// next host. The seeds are page 0 of every host.
const (
	genHosts = 3
	genPages = 20
)

func genURL(h, p int) frontier.Item {
	host := fmt.Sprintf("h%d.test", h%genHosts)
	return frontier.Item{URL: fmt.Sprintf("http://%s/p%02d", host, p), Host: host}
}

func genSeeds() []frontier.Item {
	var seeds []frontier.Item
	for h := range genHosts {
		seeds = append(seeds, genURL(h, 0))
	}
	return seeds
}

func genLinks(it frontier.Item) []frontier.Item {
	var h, p int
	if _, err := fmt.Sscanf(it.URL, "http://h%d.test/p%d", &h, &p); err != nil {
		panic(err)
	}
	var links []frontier.Item
	for _, l := range []frontier.Item{genURL(h, 2*p+1), genURL(h, 2*p+2), genURL(h+1, p+1)} {
		if n, _ := strconv.Atoi(l.URL[len(l.URL)-2:]); n < genPages {
			l.Depth, l.Parent = it.Depth+1, it.URL
			links = append(links, l)
		}
	}
	return links
}

// TestGenerationCrash kills a process that crawls the same small site
// generation after generation with SIGKILL at random moments, and checks
// after each kill that the reopened state is one generation, whole: the
// checkpoint names the stored generation and its done count, the counters
// agree with the store, and every URL done in it carries that
// generation's annotation (a seen-set left from the generation before
// would carry the older one). Every acknowledged NextGeneration and
// completion survives.
func TestGenerationCrash(t *testing.T) {
	if dir := os.Getenv(genCrashChildEnv); dir != "" {
		genCrashChild(dir)
		return
	}
	const kills = 8
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	ackedGen := 1
	acked := make(map[string]int) // URL -> generation of its last acknowledged completion
	for round := range kills {
		lines, stderr := runAndKillCmd(t, exec.Command(os.Args[0], "-test.run=^TestGenerationCrash$"), genCrashChildEnv+"="+dir, 20+rng.IntN(250))
		if len(lines) == 0 {
			t.Fatalf("round %d: the child acknowledged nothing; its stderr:\n%s", round, stderr)
		}
		for _, line := range lines {
			f := strings.Fields(line)
			g, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				t.Fatalf("child line %q: %v", line, err)
			}
			switch f[0] {
			case "G":
				ackedGen = max(ackedGen, g)
			case "D":
				acked[f[1]] = max(acked[f[1]], g)
			}
		}
		checkGenerationState(t, dir, ackedGen, acked)
	}
}

// checkGenerationState reopens dir after a kill and checks the invariants.
func checkGenerationState(t *testing.T, dir string, ackedGen int, acked map[string]int) {
	t.Helper()
	d := open(t, dir, frontier.Policy{}, Options{})
	defer closeDisk(t, d)
	checkScheduler(t, d)
	gen := d.Generation()
	s := stats(t, d)
	c := d.contents(t)
	notes := annotations(t, d)
	t.Logf("after a kill: generation %d, %+v; generation %d acknowledged", gen, s, ackedGen)
	if gen < ackedGen {
		t.Errorf("generation %d, but NextGeneration to %d was acknowledged", gen, ackedGen)
	}
	want := frontier.Stats{Queued: len(c.queued), Seen: len(c.seen), Done: len(c.seen) - len(c.queued)}
	if s != want || c.leased != 0 {
		t.Errorf("Stats = %+v with %d leases stored, want %+v from the store and none leased", s, c.leased, want)
	}
	switch cp := d.Checkpoint(); {
	case cp == nil && gen == 1 && s.Done == 0:
	case string(cp) != fmt.Sprintf("%d:%d", gen, s.Done):
		t.Errorf("checkpoint %q in generation %d with %d done, want %q", cp, gen, s.Done, fmt.Sprintf("%d:%d", gen, s.Done))
	}
	queued := make(map[string]bool)
	for _, it := range c.queued {
		queued[it.URL] = true
		if !c.seen[it.URL] {
			t.Errorf("%s is queued but not seen", it.URL)
		}
	}
	thisGen := "g=" + strconv.Itoa(gen)
	for u := range c.seen {
		if !queued[u] && notes[u] != thisGen {
			t.Errorf("%s is done in generation %d, but its annotation is %q: a mixed state", u, gen, notes[u])
		}
	}
	for u, v := range notes {
		if g, err := strconv.Atoi(strings.TrimPrefix(v, "g=")); err != nil || g > gen {
			t.Errorf("annotation of %s = %q, want one of generation %d or before", u, v, gen)
		}
	}
	for u, g := range acked {
		ng, _ := strconv.Atoi(strings.TrimPrefix(notes[u], "g="))
		switch {
		case ng < g:
			t.Errorf("the completion of %s in generation %d was acknowledged, but its annotation is %q", u, g, notes[u])
		case g == gen && (!c.seen[u] || queued[u]):
			t.Errorf("%s was completed in generation %d, but is seen %v, queued %v", u, gen, c.seen[u], queued[u])
		}
	}
}

// genCrashChild crawls the site into dir until it is killed (or 20 s
// pass): it completes leases in batches of one to five, annotated with the
// generation, with "generation:done" as the checkpoint, and starts the
// next generation as soon as one is finished. It reports on stdout "D url
// gen" once a completion of url returned and "G gen" once NextGeneration
// to gen returned.
func genCrashChild(dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	d, err := Open(dir, frontier.Policy{MaxInflight: 4}, Options{})
	if err != nil {
		fail(err)
	}
	s, err := d.Stats(ctx)
	if err != nil {
		fail(err)
	}
	if s.Seen == 0 {
		if _, err := d.Add(ctx, genSeeds()...); err != nil {
			fail(err)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	for ctx.Err() == nil {
		gen := d.Generation()
		if d.Finished() {
			if err := d.NextGeneration(ctx, genSeeds(), []byte(fmt.Sprintf("%d:0", gen+1))); err != nil {
				fail(err)
			}
			fmt.Printf("G %d\n", gen+1)
			continue
		}
		var batch []Done
		for want := 1 + rng.IntN(5); len(batch) < want; {
			wait := 20 * time.Second
			if len(batch) > 0 { // do not wait for what our own leases hold back
				wait = 5 * time.Millisecond
			}
			nctx, ncancel := context.WithTimeout(ctx, wait)
			l, err := d.Next(nctx)
			ncancel()
			if err != nil {
				if len(batch) > 0 || errors.Is(err, frontier.ErrDone) {
					break
				}
				fail(err)
			}
			batch = append(batch, Done{Lease: l, Children: genLinks(l.Item), Annotation: []byte("g=" + strconv.Itoa(gen))})
		}
		if len(batch) == 0 {
			continue
		}
		s, err := d.Stats(ctx)
		if err != nil {
			fail(err)
		}
		if _, err := d.CompleteBatch(ctx, batch, []byte(fmt.Sprintf("%d:%d", gen, s.Done+len(batch)))); err != nil {
			fail(err)
		}
		var b strings.Builder
		for _, dn := range batch {
			fmt.Fprintf(&b, "D %s %d\n", dn.Lease.Item.URL, gen)
		}
		if _, err := os.Stdout.WriteString(b.String()); err != nil {
			fail(err)
		}
	}
	os.Exit(4) // not killed in time
}
