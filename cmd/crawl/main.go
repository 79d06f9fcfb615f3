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
	"runtime/debug"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/crawler/report"
	"github.com/crawl-dev/crawl/store/save"
	"github.com/crawl-dev/crawl/store/warc"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 3
	exitErrorRate   = 4
	// exitLocked (5) is in state.go.
	exitNothingFetched = 6
)

func main() {
	// go-redis logs its dial retries on its own; the errors it returns say
	// the same, once, through run.
	goredis.SetLogger(quietRedisLog{})
	tuneGC()
	ctx, stop := signalContext()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// gcPercent is the GOGC crawl runs with unless GOGC is set. A crawl's live
// heap is small (the frontier, a few pages' trees) while it allocates
// ~30 KB per page, so the default of 100 collects every few hundred pages;
// 200 halves that. Measured on the 10,000-page test site (depth 3, median
// of 8 interleaved runs): CPU 0.34 s at 100, 0.285 s at 200, 0.275 s at
// 400; peak RSS 27.8, 31.9 and 40.0 MB.
const gcPercent = 200

// tuneGC applies gcPercent when the environment does not choose.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// signalContext is cancelled by SIGINT or SIGTERM. After the first signal
// the handlers are reset, so a second one kills the process at once.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// exitCode maps run's error to the exit status, printing it as one line.
func exitCode(err error, stderr io.Writer) int {
	code, msg := exitStatus(err)
	if msg != "" {
		fmt.Fprintln(stderr, msg)
	}
	return code
}

// exitStatus maps run's error to the exit status and the line to print.
func exitStatus(err error) (code int, msg string) {
	var ue usageError
	var re errorRateError
	var nf nothingFetchedError
	var le lockedError
	switch {
	case err == nil:
		return exitOK, ""
	case errors.Is(err, flag.ErrHelp):
		return exitOK, ""
	case errors.As(err, &ue):
		return exitUsage, fmt.Sprintf("crawl: %v (see crawl --help)", err)
	case errors.As(err, &le):
		return exitLocked, "crawl: " + err.Error()
	case errors.Is(err, context.Canceled):
		return exitInterrupted, "crawl: interrupted"
	case errors.As(err, &re):
		return exitErrorRate, "crawl: " + err.Error()
	case errors.As(err, &nf):
		return exitNothingFetched, "crawl: " + err.Error()
	}
	return exitFailed, "crawl: " + err.Error()
}

// run is the whole command: parse args, crawl, write records to the output.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if isSubcommand(args) {
		return runSubcommand(ctx, args[0], args[1:], stdin, stdout)
	}
	o, err := parseArgs(args, stdin)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
		}
		return err
	}
	start := time.Now()
	tty := isTerminal(stderr)
	// The progress line owns stderr while it is shown: logs go through it
	// so that they never tear it.
	var prog *progress
	logSink := stderr
	if o.progress == "always" || (o.progress == "auto" && tty && !o.quiet) {
		prog = newProgress(stderr, start, terminalWidth(stderr))
		logSink = prog
	}
	log, err := newLogger(o.logLevel, o.logFormat, logSink, tty)
	if err != nil {
		return usageError{err}
	}
	defer func() { _ = log.Sync() }() // stderr cannot be fsynced on every system

	var repFile *reportFile
	if o.report != "" {
		if repFile, err = createReportFile(o.report); err != nil {
			return usageError{err}
		}
	}
	var saveDir *save.Dir
	if o.save != "" {
		if saveDir, err = save.Open(o.save); err != nil {
			return errors.Join(usageError{err}, discard(repFile))
		}
		defer saveDir.Close() // a directory handle: files are committed one by one, nothing is left to lose
		o.cfg.Save = saveDir
	}
	fr, out, err := openCrawl(ctx, o, stdout)
	if err != nil {
		return errors.Join(err, discard(repFile))
	}
	switch {
	case o.generation > 0:
		log.Info("starting the next generation of the --state crawl", zap.Int("generation", o.generation), zap.String("out", o.out))
	case o.resumedInto != "":
		log.Info("resuming an unfinished generation into its own output, not --out", zap.String("out", o.out))
	}
	agg := report.New(o.cfg.Extract.Names()...)
	o.cfg.Observer = agg
	c, err := crawler.New(o.cfg, fr, out, log)
	if err != nil {
		return errors.Join(usageError{err}, out.Close(), closeWARC(o.cfg.WARC), fr.Close(), discard(repFile))
	}
	var metrics *metricsServer
	if o.metrics != "" {
		if metrics, err = startMetrics(o.metrics, agg, fr, start, log); err != nil {
			return errors.Join(usageError{err}, out.Close(), closeWARC(o.cfg.WARC), fr.Close(), discard(repFile))
		}
	}

	stopProgress := startProgress(prog, agg, fr)
	runErr := c.Run(ctx)
	stopProgress()
	if metrics != nil {
		if err := metrics.shutdown(); err != nil {
			log.Warn("metrics server", zap.Error(err))
		}
	}
	closeErr := errors.Join(out.Close(), closeWARC(o.cfg.WARC), fr.Close())
	end := time.Now()
	st := c.Stats()
	log.Info("crawl finished",
		zap.Int64("records", st.Records), zap.Int64("errors", st.Errors),
		zap.Int64("retries", st.Retries), zap.Int64("bytes", st.Bytes),
		zap.Duration("elapsed", end.Sub(start).Round(time.Millisecond)),
		zap.Bool("interrupted", errors.Is(runErr, context.Canceled)))

	rep := agg.Report(start, end)
	rep.FailOnErrorRate = o.failOnErrorRate
	rep.ErrorRateExceeded = rep.ExceedsErrorRate(o.failOnErrorRate)
	switch {
	case runErr != nil:
		err = runErr
	case closeErr != nil:
		err = fmt.Errorf("close output: %w", closeErr)
	case rep.RecordsByStatusClass[report.Class2xx.String()] == 0 && rep.NotModified == 0 && o.frontier == "memory" && !o.resumed &&
		(o.cfg.MaxPages == 0 || rep.Records < int64(o.cfg.MaxPages)):
		// A process of a shared crawl, or a resumed one, may have had
		// nothing left to fetch, and one stopped by --max-pages did not
		// run to its end; a crawl of its own that started afresh, ran
		// to its end and fetched nothing failed.
		err = nothingFetchedError{records: rep.Records}
	case rep.ErrorRateExceeded:
		err = errorRateError{failed: rep.RecordsWithError, records: rep.Records, limit: o.failOnErrorRate}
	}
	rep.ExitCode, _ = exitStatus(err)
	rep.Outcome = outcome(rep.ExitCode)
	if !o.quiet {
		if werr := rep.WriteText(stderr); werr != nil {
			log.Warn("cannot write the summary", zap.Error(werr))
		}
	}
	if repFile != nil {
		if werr := repFile.write(rep); werr != nil {
			if err == nil || rep.ExitCode == exitErrorRate {
				return werr // the report is part of the output: exit 1
			}
			log.Error("cannot write the report", zap.Error(werr))
		}
	}
	return err
}

// closeWARC closes the WARC output, if any.
func closeWARC(w *warc.Writer) error {
	if w == nil {
		return nil
	}
	return w.Close()
}

// discard removes the temporary file of an unwritten report, if any.
func discard(f *reportFile) error {
	if f == nil {
		return nil
	}
	return f.discard()
}

// newLogger builds the one logger of the process, writing to stderr (or to
// the progress line that wraps it). color colours the console format's
// levels, for a terminal.
func newLogger(level, format string, stderr io.Writer, color bool) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	var enc zapcore.Encoder
	switch format {
	case "console":
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		if color {
			ec.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
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
