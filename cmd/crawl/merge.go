package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/crawl-dev/crawl/frontier/redis"
	"github.com/crawl-dev/crawl/store"
)

// crawl merge --frontier URL --crawl-id ID [FILE...]: the records of a
// shared crawl, each once. They are in the workers' --out files (given as
// FILEs: plain or .gz, copied from wherever the workers ran) and, for
// those a worker completed and never acknowledged as durable in its file
// (it died first, or writes to stdout or .gz), in the crawl's journals in
// Redis. Each record is written once: a record in a file and in a journal
// is one record, and a torn last line of a file is left out (its record
// is in the journal). The count is checked against what the workers say
// they wrote: a FILE left out fails the merge.

// mergeOptions is the command line of crawl merge.
type mergeOptions struct {
	frontier, crawlID, out string
	files                  []string
}

// mismatchError makes crawl merge exit 1: the records found are not the
// crawl's.
type mismatchError struct{ msg string }

func (e mismatchError) Error() string { return e.msg }

func parseMerge(args []string, stdout io.Writer) (*mergeOptions, error) {
	o := &mergeOptions{}
	fs := flag.NewFlagSet("crawl merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.frontier, "frontier", "", "the shared frontier, redis://HOST:PORT/DB")
	fs.StringVar(&o.crawlID, "crawl-id", "", "the crawl's `NAME`")
	fs.StringVar(&o.out, "out", "-", "where to write the records (`FILE`, .gz compresses; - is stdout)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage:\n  crawl merge --frontier redis://HOST:PORT/DB --crawl-id NAME [--out FILE] [FILE...]\n\nFlags:\n")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, usageError{err}
	}
	if k, err := parseFrontier(o.frontier); err != nil || k != frontierRedis {
		return nil, usagef("crawl merge needs --frontier redis://HOST:PORT/DB")
	}
	if o.crawlID == "" {
		return nil, usagef("crawl merge needs --crawl-id NAME")
	}
	o.files = fs.Args()
	for _, f := range o.files {
		if f == o.out {
			return nil, usagef("crawl merge: --out %s is also an input", f)
		}
	}
	return o, nil
}

// runMerge runs crawl merge.
func runMerge(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseMerge(args, stdout)
	if err != nil {
		return err
	}
	c, err := dialRedis(ctx, o.frontier)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, f := range o.files {
		if _, err := os.Stat(f); err != nil {
			return usagef("crawl merge: %v", err)
		}
	}
	if _, err := redis.ReadStats(ctx, c, o.crawlID); errors.Is(err, redis.ErrNoCrawl) {
		return usagef("crawl merge: no crawl %s in this Redis", o.crawlID)
	} else if err != nil {
		return err
	}
	out, err := store.Open(o.out, stdout)
	if err != nil {
		return usageError{err}
	}
	seen := make(map[[16]byte]bool)
	var buf []byte
	written := int64(0)
	emit := func(line []byte) error {
		line = bytes.TrimSuffix(line, []byte("\n"))
		k := sha256.Sum256(line)
		key := [16]byte(k[:16])
		if seen[key] {
			return nil
		}
		seen[key] = true
		written++
		buf = append(append(buf[:0], line...), '\n')
		return out.WriteLine(buf)
	}
	// The journals are read first: a worker still running moves records
	// from its journal into its file, never the other way.
	workers, err := redis.ReadJournals(ctx, c, o.crawlID, func(_ string, line []byte) error { return emit(line) })
	if err != nil {
		return errors.Join(err, out.Close())
	}
	for _, f := range o.files {
		err := store.ReadFileLines(f, emit)
		if errors.Is(err, store.ErrTornLine) || errors.Is(err, io.ErrUnexpectedEOF) {
			// A worker killed mid-write: what it had not acknowledged
			// is in its journal.
			err = nil
		}
		if err != nil {
			return errors.Join(usagef("crawl merge: %v", err), out.Close())
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	var want int64
	var names []string
	for _, w := range workers {
		want += w.Acked + w.Pending
		if w.Acked > 0 {
			names = append(names, fmt.Sprintf("%s (%d records)", w.Name, w.Acked))
		}
	}
	if written != want {
		return mismatchError{fmt.Sprintf("crawl merge: wrote %d records, but the workers of crawl %s recorded %d: give every worker's --out file, and run crawl merge when no worker is running (workers with files: %s)",
			written, o.crawlID, want, strings.Join(names, ", "))}
	}
	return nil
}
