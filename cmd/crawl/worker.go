package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
)

// A process of a shared crawl is a worker. Its records go to its own
// --out, and each also into the crawl's journal in Redis, in the step
// that completes the URL; once the output is synced the worker
// acknowledges them and they leave the journal. A worker with a plain
// --out file is named after the machine and the file's absolute path, so
// that the same command restarted there (after kill -9, a reboot, a
// systemd or Kubernetes restart) is the same worker: it cuts its file back
// to what it acknowledged and appends what its journal still holds,
// before it crawls on. With stdout or a .gz output the worker has a
// random name and its records stay in the journal; crawl merge gathers
// the files and the journals into one output, each record once.

// workerName is the journal name of this process: "" (a random one)
// unless --out is a plain file.
func workerName(o *options) (string, error) {
	if o.out == "-" || strings.HasSuffix(o.out, ".gz") {
		return "", nil
	}
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("the machine's name, which names this worker: %w", err)
	}
	abs, err := filepath.Abs(o.out)
	if err != nil {
		return "", fmt.Errorf("--out %s: %w", o.out, err)
	}
	return host + ":" + abs, nil
}

// openWorkerOutput opens the --out of a worker of a shared crawl: a new
// file for a worker that never joined the crawl; the file cut back to its
// last acknowledgement, with the records its journal still holds appended
// and acknowledged, for a worker restarted under its name.
func openWorkerOutput(ctx context.Context, o *options, j frontier.Journal, stdout io.Writer) (*store.Writer, error) {
	if o.out == "-" || strings.HasSuffix(o.out, ".gz") {
		return store.Open(o.out, stdout)
	}
	off, ids, recs, known, err := j.Unacknowledged(ctx)
	if err != nil {
		return nil, err
	}
	if !known {
		return store.Open(o.out, stdout)
	}
	out, err := store.Resume(o.out, off)
	if err != nil {
		return nil, fmt.Errorf("%w (this worker of crawl %s wrote it before; a new file needs a new --crawl-id, or crawl delete first)", err, o.crawlID)
	}
	for _, line := range recs {
		if err = out.WriteLine(line); err != nil {
			break
		}
	}
	if err == nil {
		err = out.Sync()
	}
	if err == nil && len(recs) > 0 {
		err = j.Acknowledge(ctx, ids, out.Offset())
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("take back the journal of this worker into %s: %w", o.out, err), out.Close())
	}
	return out, nil
}
