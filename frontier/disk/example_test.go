package disk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/disk"
)

// The exactly-once protocol: write a record, flush, then commit the
// completion and the output's end offset in one CompleteBatch; on start,
// truncate the output to the committed offset.
func ExampleDisk_CompleteBatch() {
	tmp, err := os.MkdirTemp("", "crawl-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	state, out := filepath.Join(tmp, "state"), filepath.Join(tmp, "out.jsonl")
	ctx := context.Background()

	// crawl runs until the crawl is finished or, if stopAfter > 0, until
	// it has done stopAfter pages.
	crawl := func(stopAfter int) {
		d, err := disk.Open(state, frontier.Policy{}, disk.Options{Fingerprint: []byte("example")})
		if err != nil {
			log.Fatal(err)
		}
		defer d.Close()
		offset := int64(0)
		if cp := d.Checkpoint(); cp != nil {
			if offset, err = strconv.ParseInt(string(cp), 10, 64); err != nil {
				log.Fatal(err)
			}
		}
		f, err := os.OpenFile(out, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(offset); err != nil {
			log.Fatal(err)
		}
		if _, err := d.Add(ctx, frontier.Item{URL: "http://a.test/", Host: "a.test"}); err != nil {
			log.Fatal(err)
		}
		for i := 0; stopAfter == 0 || i < stopAfter; i++ {
			l, err := d.Next(ctx)
			if errors.Is(err, frontier.ErrDone) {
				break
			}
			if err != nil {
				log.Fatal(err)
			}
			n, err := f.WriteAt([]byte(l.Item.URL+"\n"), offset)
			if err != nil {
				log.Fatal(err)
			}
			offset += int64(n)
			if err := f.Sync(); err != nil {
				log.Fatal(err)
			}
			var links []frontier.Item
			if l.Item.Depth == 0 {
				links = []frontier.Item{{URL: "http://a.test/b", Host: "a.test", Depth: 1}}
			}
			done := []disk.Done{{Lease: l, Children: links}}
			if _, err := d.CompleteBatch(ctx, done, []byte(strconv.FormatInt(offset, 10))); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Println("finished:", d.Finished())
	}
	crawl(1) // stops after the seed, as a killed crawl would
	crawl(0) // resumes with the link
	b, err := os.ReadFile(out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(b))
	// Output:
	// finished: false
	// finished: true
	// http://a.test/
	// http://a.test/b
}

// Nightly re-crawls: each run of the same state directory crawls one
// generation; a run that finds the last one finished starts the next. The
// annotation stored with each completion is what the crawl knew of the
// URL (here the generation it was last fetched in), read back in the next.
func ExampleDisk_NextGeneration() {
	state, err := os.MkdirTemp("", "crawl-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(state)
	ctx := context.Background()
	seeds := []frontier.Item{{URL: "http://a.test/", Host: "a.test"}}

	run := func() {
		d, err := disk.Open(state, frontier.Policy{}, disk.Options{})
		if err != nil {
			log.Fatal(err)
		}
		defer d.Close()
		if d.Finished() {
			err = d.NextGeneration(ctx, seeds, nil)
		} else {
			_, err = d.Add(ctx, seeds...) // seen already if resumed
		}
		if err != nil {
			log.Fatal(err)
		}
		gen := strconv.Itoa(d.Generation())
		for {
			l, err := d.Next(ctx)
			if errors.Is(err, frontier.ErrDone) {
				return
			}
			if err != nil {
				log.Fatal(err)
			}
			last, err := d.Annotation(ctx, l.Item.DedupKey())
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("generation %s: %s, last fetched in generation %q\n", gen, l.Item.URL, last)
			done := []disk.Done{{Lease: l, Annotation: []byte(gen)}}
			if _, err := d.CompleteBatch(ctx, done, []byte("end")); err != nil {
				log.Fatal(err)
			}
		}
	}
	run()
	run()
	// Output:
	// generation 1: http://a.test/, last fetched in generation ""
	// generation 2: http://a.test/, last fetched in generation "1"
}
