package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Child process limits.
const (
	// stopGrace is how long a tool may take to exit after SIGINT before it
	// is killed.
	stopGrace = 5 * time.Second
	// launcherGrace is how much longer the launcher may take to report
	// after that before it is killed too.
	launcherGrace = 5 * time.Second
	// stderrTail is how much of a tool's stderr is kept for the report.
	stderrTail = 4096
	// maxLaunchReport bounds the launcher's report.
	maxLaunchReport = 64 << 10
)

// usage is what a finished child process cost.
type usage struct {
	user, sys time.Duration
	maxRSS    int64 // peak resident set size in bytes; 0 when unknown
	rssFloor  int64 // the launcher's peak RSS when it started the tool
	rssNote   string
}

// Notes on a peak RSS (see launch).
const (
	rssSampled    = "sampled"     // sampled while the tool ran: a lower bound
	rssUpperBound = "upper bound" // the tool's peak may be lower
)

// childResult is what one run of a tool cost and how it ended.
type childResult struct {
	wall     time.Duration
	usage    usage
	exitCode int    // -1 when killed by a signal or never started
	exit     string // "" on success; else "exit N", "timeout", "interrupted", "signal: ...", "start failed: ..."
	stderr   string // the end of its stderr
}

// runChild runs argv in dir through the launcher (this program's binary,
// see launch) until it exits, timeout passes or ctx is done. Then it closes
// the launcher's stdin, which makes the launcher send SIGINT to the tool's
// process id and SIGKILL stopGrace later; a launcher that does not report
// launcherGrace after that is killed. The tool's stdout is discarded.
func runChild(ctx context.Context, launcher string, argv []string, dir string, timeout time.Duration) childResult {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lifeline, hold, err := os.Pipe()
	if err != nil {
		return childResult{exitCode: -1, exit: "start failed: " + err.Error()}
	}
	defer hold.Close() // closing twice is harmless: Cancel may close it first
	cmd := exec.CommandContext(tctx, launcher, append([]string{launchArg}, argv...)...)
	cmd.Dir = dir
	cmd.Stdin = lifeline
	report := &tailBuffer{max: maxLaunchReport}
	cmd.Stdout = report
	tail := &tailBuffer{max: stderrTail}
	cmd.Stderr = tail
	cmd.Cancel = hold.Close
	cmd.WaitDelay = stopGrace + launcherGrace
	start := time.Now()
	err = cmd.Start()
	lifeline.Close() // the launcher has its own copy
	if err != nil {
		return childResult{exitCode: -1, exit: "start failed: " + err.Error()}
	}
	err = cmd.Wait()
	r := childResult{wall: time.Since(start), exitCode: -1, stderr: tail.String()}
	// A report is complete only once the tool has exited; Wait's error
	// (the context's, after a stop) matters only without one.
	var lr launchReport
	if jerr := json.Unmarshal(report.buf, &lr); jerr != nil {
		msg := "read its report: " + jerr.Error()
		if err != nil {
			msg = err.Error() + " (" + msg + ")"
		}
		r.exit = "launcher failed: " + msg
		return r
	}
	if lr.StartError != "" {
		r.exit = "start failed: " + lr.StartError
		return r
	}
	r.wall = time.Duration(lr.WallNanos)
	r.usage = usage{user: time.Duration(lr.UserNanos), sys: time.Duration(lr.SysNanos), maxRSS: lr.MaxRSS,
		rssFloor: lr.FloorRSS, rssNote: lr.RSSNote}
	r.exitCode = lr.ExitCode
	switch {
	case ctx.Err() != nil:
		r.exit = "interrupted"
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		r.exit = "timeout"
	case r.exitCode > 0:
		r.exit = "exit " + strconv.Itoa(r.exitCode)
	case r.exitCode < 0:
		r.exit = lr.State
	}
	return r
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string { return string(b.buf) }

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\r\n\t ")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

// launcherPath is the binary runChild runs as the launcher: this program.
func launcherPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own binary for the launcher: %w", err)
	}
	return exe, nil
}
