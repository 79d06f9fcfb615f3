package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier/redis"
)

// pingTimeout bounds the first contact with a shared frontier's server, so
// that a wrong address fails at once with one clear line.
const pingTimeout = 3 * time.Second

// frontierKind is what --frontier selects.
type frontierKind int

const (
	frontierMemory frontierKind = iota
	frontierRedis
)

// parseFrontier says which backend a --frontier value selects.
func parseFrontier(u string) (frontierKind, error) {
	switch {
	case u == "memory":
		return frontierMemory, nil
	case strings.HasPrefix(u, "redis://"), strings.HasPrefix(u, "rediss://"):
		if _, err := goredis.ParseURL(u); err != nil {
			return 0, fmt.Errorf("--frontier %s: %v", u, err)
		}
		return frontierRedis, nil
	}
	return 0, fmt.Errorf("--frontier %q: want memory or redis://HOST:PORT/DB", u)
}

// dialRedis connects to the Redis server of a --frontier URL and pings it
// with a short timeout. A failure is a usage error naming the address.
func dialRedis(ctx context.Context, u string) (*goredis.Client, error) {
	opt, err := goredis.ParseURL(u)
	if err != nil {
		return nil, usagef("--frontier %s: %v", u, err)
	}
	// No retries inside the client: a script whose reply was lost may
	// have run, and only the crawler can tell (a completion retried
	// blindly would find its own lease gone and drop the URL's record).
	opt.MaxRetries = -1
	c := goredis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		return nil, errors.Join(usagef("cannot reach the Redis server at %s (--frontier %s): %v", opt.Addr, u, err), c.Close())
	}
	return c, nil
}

// quietRedisLog drops go-redis's own log lines.
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

// redisFrontier is a shared frontier together with the client and the
// worker's lock it owns.
type redisFrontier struct {
	*redis.Frontier
	client *goredis.Client
	lock   io.Closer // nil for a worker with a random name
}

// Close closes the frontier, then its client, then drops the lock.
func (f redisFrontier) Close() error {
	err := errors.Join(f.Frontier.Close(), f.client.Close())
	if f.lock != nil {
		err = errors.Join(err, f.lock.Close())
	}
	return err
}

// openRedisFrontier joins the crawl --crawl-id in the Redis of --frontier
// as the worker workerName names. A worker with a plain --out file holds
// a lock on it, so that a second process on this machine with the same
// --out, the same worker, is refused.
func openRedisFrontier(ctx context.Context, o *options) (redisFrontier, error) {
	name, err := workerName(o)
	if err != nil {
		return redisFrontier{}, usageError{err}
	}
	var lock io.Closer
	if name != "" {
		if lock, err = lockOutput(o.out); err != nil {
			return redisFrontier{}, err
		}
	}
	c, err := dialRedis(ctx, o.frontier)
	if err == nil {
		var fr *redis.Frontier
		fr, err = redis.Open(ctx, c, o.crawlID, o.cfg.Policy(), redis.Options{LeaseTTL: o.leaseTTL, Worker: name})
		if err == nil {
			return redisFrontier{Frontier: fr, client: c, lock: lock}, nil
		}
		err = errors.Join(usagef("--crawl-id %s: %v", o.crawlID, err), c.Close())
	}
	if lock != nil {
		err = errors.Join(err, lock.Close())
	}
	return redisFrontier{}, err
}

// adminOptions is the command line of the status and delete subcommands.
type adminOptions struct {
	frontier string
	crawlID  string
}

// parseAdmin parses the flags of subcommand name.
func parseAdmin(name string, args []string) (*adminOptions, *flag.FlagSet, error) {
	o := &adminOptions{}
	fs := flag.NewFlagSet("crawl "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.frontier, "frontier", "", "the shared frontier, redis://HOST:PORT/DB")
	fs.StringVar(&o.crawlID, "crawl-id", "", "the crawl's `NAME`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, fs, err
		}
		return nil, fs, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, fs, usagef("crawl %s: unexpected argument %q", name, fs.Arg(0))
	}
	if k, err := parseFrontier(o.frontier); err != nil || k != frontierRedis {
		return nil, fs, usagef("crawl %s needs --frontier redis://HOST:PORT/DB", name)
	}
	if o.crawlID == "" {
		return nil, fs, usagef("crawl %s needs --crawl-id NAME", name)
	}
	return o, fs, nil
}

// runSubcommand runs crawl links, merge, status, delete or help.
func runSubcommand(ctx context.Context, name string, args []string, stdin io.Reader, stdout io.Writer) error {
	switch name {
	case "help":
		usage(stdout)
		return nil
	case "links":
		return runLinks(args, stdin, stdout)
	case "merge":
		return runMerge(ctx, args, stdout)
	case "status", "delete":
	default:
		return usagef("unknown command %q: want links, merge, status, delete or help (a crawl starts with --seed)", name)
	}
	o, fs, err := parseAdmin(name, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "Usage:\n  crawl %s --frontier redis://HOST:PORT/DB --crawl-id NAME\n\nFlags:\n", name)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return err
	}
	c, err := dialRedis(ctx, o.frontier)
	if err != nil {
		return err
	}
	if name == "delete" {
		err = redis.Delete(ctx, c, o.crawlID)
		if err == nil {
			fmt.Fprintf(stdout, "deleted crawl %s\n", o.crawlID)
		}
	} else {
		err = printStatus(ctx, c, o.crawlID, stdout)
	}
	return errors.Join(err, c.Close())
}

// printStatus writes the crawl's counters, one per line.
func printStatus(ctx context.Context, c goredis.UniversalClient, crawlID string, w io.Writer) error {
	s, err := redis.ReadStats(ctx, c, crawlID)
	if errors.Is(err, redis.ErrNoCrawl) {
		return fmt.Errorf("no crawl %s in this Redis", crawlID)
	}
	if err != nil {
		return fmt.Errorf("status of crawl %s: %w", crawlID, err)
	}
	finished := s.Queued == 0 && s.Inflight == 0 && s.Seen > 0
	_, err = fmt.Fprintf(w, "crawl:     %s\nqueued:    %d\nin flight: %d\nseen:      %d\ndone:      %d\nfinished:  %t\n",
		crawlID, s.Queued, s.Inflight, s.Seen, s.Done, finished)
	return err
}

// isSubcommand says whether the first argument names a subcommand rather
// than starting the flags of a crawl.
func isSubcommand(args []string) bool {
	return len(args) > 0 && args[0] != "" && !strings.HasPrefix(args[0], "-")
}
