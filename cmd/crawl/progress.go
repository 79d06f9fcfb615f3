package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/crawl-dev/crawl/crawler/report"
)

// The progress line is a small renderer of our own: a line of counters
// redrawn in place with \r and erase-line (ESC [K). Progress-bar libraries
// (schollz/progressbar, vbauerster/mpb) draw bars towards a known total, and
// a crawl has none (the frontier grows as pages are parsed); what they would
// add over these hundred lines is a bar we cannot fill honestly. Terminal
// detection and width come from golang.org/x/term.

// progressInterval is how often the progress line is redrawn.
const progressInterval = 250 * time.Millisecond

// rateWindow is how many samples the pages/s rate is averaged over (about
// five seconds).
const rateWindow = 20

const (
	eraseLine = "\x1b[K" // erase from the cursor to the end of the line
	lineStart = "\r"
)

// progressSample is what the progress line shows.
type progressSample struct {
	done, errors, bytes int64 // records, records with an error, their bytes
	queued, inflight    int   // from the frontier
	parked              int   // fetched ahead of the level (frontier.Stats.Parked)
	blocked             int   // hosts waiting out a retry's backoff or Retry-After
}

// progress draws the one-line status of a crawl on a terminal (stderr) and
// keeps log lines from tearing it: the logger writes through Write, which
// erases the line, writes the log entry and draws the line again. Safe for
// concurrent use.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	width   func() int // terminal columns; 0 when unknown
	start   time.Time
	line    string // the line on screen; "" when none
	stopped bool
	times   []time.Time // recent samples, for the rate
	dones   []int64
}

func newProgress(w io.Writer, start time.Time, width func() int) *progress {
	if width == nil {
		width = func() int { return 0 }
	}
	return &progress{w: w, start: start, width: width}
}

// terminalWidth returns a function that reports w's width in columns, or 0
// when w is not a terminal.
func terminalWidth(w io.Writer) func() int {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	return func() int {
		cols, _, err := term.GetSize(int(f.Fd()))
		if err != nil {
			return 0
		}
		return cols
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Write writes a log entry above the progress line.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line == "" {
		return p.w.Write(b)
	}
	var buf strings.Builder
	buf.WriteString(lineStart + eraseLine)
	buf.Write(b)
	buf.WriteString(p.line)
	if _, err := io.WriteString(p.w, buf.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Sync is for zap; a terminal needs no fsync.
func (p *progress) Sync() error { return nil }

// update draws the line for sample s taken at now.
func (p *progress) update(now time.Time, s progressSample) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil
	}
	p.times = append(p.times, now)
	p.dones = append(p.dones, s.done)
	if len(p.times) > rateWindow {
		p.times = p.times[1:]
		p.dones = p.dones[1:]
	}
	rate := 0.0
	if d := now.Sub(p.times[0]).Seconds(); len(p.times) > 1 && d > 0 {
		rate = float64(s.done-p.dones[0]) / d
	} else if d := now.Sub(p.start).Seconds(); d > 0 {
		rate = float64(s.done) / d
	}
	line := fmt.Sprintf("%s done  %s queued  %d in flight  %s errors  %.1f pages/s  %s  %s",
		report.FormatCount(s.done), report.FormatCount(int64(s.queued)), s.inflight,
		report.FormatCount(s.errors), rate, report.FormatBytes(s.bytes), clock(now.Sub(p.start)))
	if s.parked > 0 {
		line += "  " + report.FormatCount(int64(s.parked)) + " fetched ahead"
	}
	switch {
	case s.blocked == 1:
		line += "  1 host backing off"
	case s.blocked > 1:
		line += "  " + report.FormatCount(int64(s.blocked)) + " hosts backing off"
	}
	if w := p.width(); w > 1 && len(line) > w-1 {
		line = line[:w-1] // a wrapped line could not be redrawn in place
	}
	p.line = line
	_, err := io.WriteString(p.w, lineStart+line+eraseLine)
	return err
}

// stop erases the line; later updates draw nothing and logs pass through.
func (p *progress) stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.line == "" {
		return nil
	}
	p.line = ""
	_, err := io.WriteString(p.w, lineStart+eraseLine)
	return err
}

// run draws the line at once and on every tick until ctx ends.
func (p *progress) run(ctx context.Context, tick <-chan time.Time, sample func() progressSample) {
	if err := p.update(time.Now(), sample()); err != nil {
		return // stderr is gone: nothing to show progress on
	}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick:
			if err := p.update(now, sample()); err != nil {
				return
			}
		}
	}
}

// clock formats an elapsed time as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s < 3600 {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
