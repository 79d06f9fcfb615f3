package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/crawl-dev/crawl/crawler/report"
	"github.com/crawl-dev/crawl/frontier"
)

// errorRateError is a completed crawl whose share of records with an error
// is above --fail-on-error-rate: exit 4, everything written.
type errorRateError struct {
	failed, records int64
	limit           float64
}

func (e errorRateError) Error() string {
	return fmt.Sprintf("%d of %d records had an error (%.2f%%), above --fail-on-error-rate %g",
		e.failed, e.records, 100*float64(e.failed)/float64(e.records), e.limit)
}

// nothingFetchedError is a crawl that ran to its end without one 2xx
// response: every seed failed (DNS, refused, 4xx, robots.txt...). Cron
// jobs must hear of it: it exits exitNothingFetched, not 0.
type nothingFetchedError struct{ records int64 }

func (e nothingFetchedError) Error() string {
	return fmt.Sprintf("nothing was fetched: none of the %d records has a 2xx status (see their errors)", e.records)
}

// outcome names an exit code for the report.
func outcome(code int) string {
	switch code {
	case exitOK, exitErrorRate, exitNothingFetched:
		return report.OutcomeCompleted
	case exitInterrupted:
		return report.OutcomeInterrupted
	}
	return report.OutcomeFailed
}

// reportFile is the --report output. It is created as a temporary file next
// to the path when the crawl starts, so that an unwritable path is a usage
// error before anything is crawled, and renamed to the path once written,
// so that a reader sees the previous report or the new one, whole.
type reportFile struct {
	path string
	tmp  *os.File
}

func createReportFile(path string) (*reportFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("--report %s: %w", path, err)
	}
	return &reportFile{path: path, tmp: tmp}, nil
}

// write writes rep as JSON and puts the file in place.
func (f *reportFile) write(rep *report.Report) error {
	err := rep.WriteJSON(f.tmp)
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		if rerr := os.Remove(f.tmp.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("write report %s: %w", f.path, err)
	}
	return nil
}

// discard removes the temporary file of a report that will not be written.
func (f *reportFile) discard() error {
	return errors.Join(f.tmp.Close(), os.Remove(f.tmp.Name()))
}

// startProgress runs the progress line until the returned stop is called;
// stop erases the line. A nil p shows nothing.
func startProgress(p *progress, agg *report.Aggregator, fr frontier.Frontier) (stop func()) {
	if p == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var last frontier.Stats
	sample := func() progressSample {
		s := agg.Snapshot()
		sctx, scancel := context.WithTimeout(ctx, time.Second)
		defer scancel()
		if st, err := fr.Stats(sctx); err == nil {
			last = st // on an error (closing), show the last counts
		}
		return progressSample{
			done: s.TotalRecords(), errors: s.TotalRecordErrors(), bytes: s.RecordBytes,
			queued: last.Queued, inflight: last.Inflight, parked: last.Parked, blocked: s.HostsBlocked,
		}
	}
	t := time.NewTicker(progressInterval)
	var wg sync.WaitGroup
	wg.Go(func() { p.run(ctx, t.C, sample) })
	return func() {
		cancel()
		wg.Wait()
		t.Stop()
		// A failure to erase the line has nowhere to be reported but the
		// stderr that just failed.
		_ = p.stop()
	}
}
