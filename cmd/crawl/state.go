package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/disk"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/store/warc"
)

// exitLocked is the exit status when another crawl holds the --state
// directory.
const exitLocked = 5

// lockedError is a --state directory in use by another running crawl.
type lockedError struct{ err error }

func (e lockedError) Error() string { return e.err.Error() }
func (e lockedError) Unwrap() error { return e.err }

// openCrawl opens the frontier and the output the command line asks for:
// in memory with a fresh output, or, with --state, the persistent frontier
// in DIR and the output of its generation cut back to the last committed
// record; when that crawl had finished, its next generation starts.
func openCrawl(ctx context.Context, o *options, stdout io.Writer) (frontier.Frontier, *store.Writer, error) {
	kind, err := parseFrontier(o.frontier)
	if err != nil {
		return nil, nil, usageError{err}
	}
	switch kind {
	case frontierRedis:
		fr, err := openRedisFrontier(ctx, o)
		if err != nil {
			return nil, nil, err
		}
		out, err := openWorkerOutput(ctx, o, fr, stdout)
		if err != nil {
			return nil, nil, errors.Join(usageError{err}, fr.Close())
		}
		if err := openWARC(o); err != nil {
			return nil, nil, errors.Join(usageError{err}, out.Close(), fr.Close())
		}
		return fr, out, nil
	case frontierMemory:
	}
	if o.state == "" {
		out, err := store.Open(o.out, stdout)
		if err != nil {
			return nil, nil, usageError{err}
		}
		if err := openWARC(o); err != nil {
			return nil, nil, errors.Join(usageError{err}, out.Close())
		}
		return frontier.NewMemory(o.cfg.Policy()), out, nil
	}
	if o.out == "-" || strings.HasSuffix(o.out, ".gz") {
		return nil, nil, usagef("--state needs --out FILE, a plain file: a resumed crawl cuts it back to its last committed record (not stdout, not .gz)")
	}
	if err := os.MkdirAll(o.state, 0o755); err != nil {
		return nil, nil, usagef("--state %s: %v", o.state, err)
	}
	fp, err := fingerprint(o)
	if err != nil {
		return nil, nil, usageError{err}
	}
	fr, err := disk.Open(filepath.Join(o.state, "frontier"), o.cfg.Policy(), disk.Options{Fingerprint: fp})
	switch {
	case errors.Is(err, disk.ErrLocked):
		return nil, nil, lockedError{fmt.Errorf("--state %s is in use by another crawl that is still running", o.state)}
	case errors.Is(err, disk.ErrMismatch):
		return nil, nil, usagef("--state %s belongs to another crawl (other seeds, --depth, --max-pages, --scope, --include, --exclude, --max-url-length, --max-repeats, --max-host-pages, --max-redirects, --max-body, --ignore-robots, --user-agent name, --accept, --reject, --save, --warc, --extract, --require-field, --anchors, --check-links, --allow-private, --sitemaps or --sitemap-since); use a new directory", o.state)
	case err != nil:
		return nil, nil, usagef("--state %s: %v", o.state, err)
	}
	if fr.Finished() {
		if err := nextGeneration(ctx, o, fr); err != nil {
			return nil, nil, errors.Join(err, fr.Close())
		}
	} else if err := resumeOutput(o); err != nil {
		return nil, nil, errors.Join(usageError{err}, fr.Close())
	}
	cp, err := crawler.ResumeCheckpoint(fr)
	if err == nil {
		var out *store.Writer
		o.resumed = cp.Out > 0
		if out, err = store.Resume(o.out, cp.Out); err == nil {
			if err = resumeWARC(o, cp.WARC); err == nil {
				if err = removeTemporary(o); err == nil {
					return fr, out, nil
				}
				err = errors.Join(err, closeWARC(o.cfg.WARC))
			}
			err = errors.Join(err, out.Close())
		}
	}
	return nil, nil, errors.Join(usageError{err}, fr.Close())
}

// outputFile, in a --state directory, names the output of the current
// generation: a resumed generation goes on writing there, whatever --out
// says now (a cron job names each night's output by its date).
const outputFile = "output"

// nextGeneration starts the next generation of a finished --state crawl:
// its output is named first, then the frontier forgets what it has seen
// and queues the seeds again, in one durable step. A kill in between
// leaves the crawl finished, and the next run starts the generation again.
func nextGeneration(ctx context.Context, o *options, fr *disk.Disk) error {
	out, err := filepath.Abs(o.out)
	if err != nil {
		return usagef("--out %s: %v", o.out, err)
	}
	items, err := crawler.StartItems(o.cfg, fr.Generation()+1)
	if err != nil {
		return usageError{err}
	}
	// The WARC output keeps every generation's records (revisits refer
	// to earlier captures): the new generation appends where the last
	// one's committed records end. The JSONL output starts empty.
	prev, err := crawler.ResumeCheckpoint(fr)
	if err != nil {
		return usageError{err}
	}
	var cp []byte
	if prev.WARC != nil {
		if cp, err = json.Marshal(crawler.Checkpoint{WARC: prev.WARC}); err != nil {
			return err
		}
	}
	if err := writeOutputName(o.state, out); err != nil {
		return err
	}
	if err := fr.NextGeneration(ctx, items, cp); err != nil {
		return fmt.Errorf("--state %s: start generation %d: %w", o.state, fr.Generation()+1, err)
	}
	o.generation = fr.Generation()
	return nil
}

// resumeOutput points o.out at the output of the generation being
// resumed, when the state names one.
func resumeOutput(o *options) error {
	b, err := os.ReadFile(filepath.Join(o.state, outputFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		// A state made before outputs were named: its output is --out.
		out, err := filepath.Abs(o.out)
		if err != nil {
			return fmt.Errorf("--out %s: %w", o.out, err)
		}
		return writeOutputName(o.state, out)
	case err != nil:
		return fmt.Errorf("--state %s: %w", o.state, err)
	}
	name := strings.TrimSuffix(string(b), "\n")
	if !filepath.IsAbs(name) {
		return fmt.Errorf("--state %s: %s does not name an absolute path", o.state, outputFile)
	}
	if abs, err := filepath.Abs(o.out); err != nil || abs != name {
		o.resumedInto = name
	}
	o.out = name
	return nil
}

// writeOutputName makes out the named output of the state dir, durably.
func writeOutputName(dir, out string) error {
	p := filepath.Join(dir, outputFile)
	if err := writeSynced(p+".tmp", []byte(out+"\n")); err != nil {
		return fmt.Errorf("--state %s: %w", dir, err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		return fmt.Errorf("--state %s: %w", dir, err)
	}
	return nil
}

// removeTemporary makes this --state crawl the owner of what it saves
// from now on and removes from the --save dir the temporary files that a
// killed run of it left, known by the owner's tag in their names. The
// state's lock says no other run of it is saving there now; another crawl
// saving into the same dir has another owner.
func removeTemporary(o *options) error {
	if o.cfg.Save == nil {
		return nil
	}
	owner, err := stateOwner(o.state)
	if err != nil {
		return err
	}
	o.cfg.Save.SetOwner(owner)
	_, err = o.cfg.Save.RemoveTemporary()
	return err
}

// ownerFile, in a --state directory, holds the crawl's identity as an
// owner of saved files: 32 random hex digits, made by its first run.
const ownerFile = "owner"

// stateOwner returns the identity kept in the --state directory dir,
// making it if missing or unreadable (a first run killed while writing
// it; nothing was saved under it). It must run under the state's lock.
// Unlike the directory's path, the identity survives the directory being
// moved or named another way, and no other crawl has it, on this machine
// or another sharing the --save dir.
func stateOwner(dir string) (string, error) {
	p := filepath.Join(dir, ownerFile)
	if b, err := os.ReadFile(p); err == nil {
		if id := strings.TrimSpace(string(b)); len(id) == 32 && isHex(id) {
			return id, nil
		}
	}
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	id := hex.EncodeToString(b[:])
	tmp := p + ".tmp"
	if err := writeSynced(tmp, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("--state %s: %w", dir, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", fmt.Errorf("--state %s: %w", dir, err)
	}
	return id, nil
}

// writeSynced writes b to a new file at p and fsyncs it.
func writeSynced(p string, b []byte) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// openWARC opens the --warc output of a new crawl into o.cfg.WARC.
func openWARC(o *options) error {
	if o.warc == "" {
		return nil
	}
	w, err := warc.Open(o.warc, o.warcOptions())
	o.cfg.WARC = w
	return err
}

// resumeWARC reopens the --warc output of a resumed crawl, cut back to
// the checkpoint cp (nil: nothing of it committed yet).
func resumeWARC(o *options, cp *warc.Checkpoint) error {
	if o.warc == "" {
		return nil
	}
	var at warc.Checkpoint
	if cp != nil {
		at = *cp
	}
	w, err := warc.Resume(o.warc, o.warcOptions(), at)
	o.cfg.WARC = w
	return err
}

// fingerprint identifies a crawl: what decides which URLs it records
// (crawler.Config.Fingerprint) and the absolute --warc path. The --out
// path is not part of it: each generation may write another file
// (outputFile).
// Resuming with another fingerprint is refused; flags that only change how
// fast or how politely it goes may differ between runs.
func fingerprint(o *options) ([]byte, error) {
	h := sha256.New()
	fmt.Fprintf(h, "config=%x\n", o.cfg.Fingerprint())
	if o.warc != "" {
		// The WARC output is opened after the state (it is cut back to
		// the state's checkpoint), so the Config does not hold it yet.
		w, err := filepath.Abs(o.warc)
		if err != nil {
			return nil, fmt.Errorf("--warc %s: %w", o.warc, err)
		}
		fmt.Fprintf(h, "warc=%q\nwarc-max-size=%d\n", w, o.warcMaxSize)
	}
	return h.Sum(nil), nil
}
