// Command crawl crawls websites from seed URLs and writes one JSON line per
// URL. Run crawl --help for flags, examples and exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode maps run's error to the exit status, printing it as one line.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "crawl: %v (see crawl --help)\n", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "crawl: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "crawl: %v\n", err)
	return exitFailed
}

// run is the whole command: parse args, crawl, write records to the output.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseArgs(args, stdin)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
		}
		return err
	}
	log, err := newLogger(o.logLevel, o.logFormat, stderr)
	if err != nil {
		return usageError{err}
	}
	defer func() { _ = log.Sync() }() // stderr cannot be fsynced on every system

	out, err := store.Open(o.out, stdout)
	if err != nil {
		return usageError{err}
	}
	fr := frontier.NewMemory(o.cfg.Policy())
	c, err := crawler.New(o.cfg, fr, out, log)
	if err != nil {
		return errors.Join(usageError{err}, out.Close(), fr.Close())
	}

	start := time.Now()
	runErr := c.Run(ctx)
	closeErr := errors.Join(out.Close(), fr.Close())
	st := c.Stats()
	log.Info("crawl finished",
		zap.Int64("records", st.Records), zap.Int64("errors", st.Errors),
		zap.Int64("retries", st.Retries), zap.Int64("bytes", st.Bytes),
		zap.Duration("elapsed", time.Since(start).Round(time.Millisecond)),
		zap.Bool("interrupted", errors.Is(runErr, context.Canceled)))
	if runErr != nil {
		return runErr
	}
	if closeErr != nil {
		return fmt.Errorf("close output: %w", closeErr)
	}
	return nil
}

// newLogger builds the one logger of the process, writing to stderr.
func newLogger(level, format string, stderr io.Writer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	var enc zapcore.Encoder
	switch format {
	case "console":
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(ec)
	case "json":
		ec := zap.NewProductionEncoderConfig()
		ec.EncodeTime = zapcore.RFC3339NanoTimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	default:
		return nil, fmt.Errorf("--log-format %q: want console or json", format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(stderr)), lvl)
	return zap.New(core), nil
}
