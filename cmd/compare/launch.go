package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// launchArg, as the first argument, makes this program the launcher of one
// tool run instead of compare (see launch).
const launchArg = "__launch"

// launchReport is what the launcher writes on its stdout as JSON when the
// tool has exited (or could not start).
type launchReport struct {
	WallNanos  int64  `json:"wall_ns"`
	UserNanos  int64  `json:"user_ns"`
	SysNanos   int64  `json:"sys_ns"`
	MaxRSS     int64  `json:"max_rss"`   // bytes; 0 when unknown
	FloorRSS   int64  `json:"floor_rss"` // the launcher's peak RSS when it started the tool
	RSSNote    string `json:"rss_note"`  // "", rssSampled or rssUpperBound
	ExitCode   int    `json:"exit_code"` // -1 when killed by a signal
	State      string `json:"state"`     // e.g. "exit status 1", "signal: killed"
	StartError string `json:"start_error,omitempty"`
}

// launch runs argv, waits for it and reports its wall time, CPU time, peak
// RSS and exit status on stdout (launchReport).
//
// It runs as a process of its own for the peak RSS. Linux reports a
// child's peak RSS (ru_maxrss) as at least the peak of the memory it was
// forked from: started from compare, whose site takes tens of megabytes,
// every tool would seem to need as much. The launcher is smaller (its
// floor, a few megabytes): a tool whose ru_maxrss is above the floor peaked
// at exactly that. For a tool that stays below the floor, the launcher
// reports the largest VmHWM it read from /proc/PID/status every
// sampleEvery while the tool ran (rssSampled), or the floor as an upper
// bound where there is no /proc (rssUpperBound).
//
// When stdin reaches EOF (compare closed it, or died) or SIGINT or SIGTERM
// arrives, the launcher sends SIGINT to the tool's process id, and SIGKILL
// stopGrace later. The tool's stdin and stdout are /dev/null; its stderr
// is the launcher's. launch returns the launcher's exit status: 0 once the
// report is written.
func launch(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "compare: launcher: no command")
		return 2
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = stderr
	// Stop on a signal rather than die of it, so that the tool gets it too
	// and the report is written.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return writeLaunchReport(launchReport{ExitCode: -1, StartError: err.Error()}, stdout, stderr)
	}
	// Read after the fork: the peak can only have grown since, so a
	// ru_maxrss above it is the tool's own.
	floor := selfMaxRSS()
	eof := make(chan struct{})
	go func() {
		// Compare never writes; EOF or an error means it wants the tool
		// stopped or is gone.
		if _, err := io.Copy(io.Discard, stdin); err != nil {
			fmt.Fprintln(stderr, "compare: launcher: read stdin:", err)
		}
		close(eof)
	}()
	done := make(chan struct{})
	go stopOnRequest(cmd.Process, sigc, eof, done, stderr)
	sampled := make(chan int64, 1)
	go func() { sampled <- samplePeakRSS(cmd.Process.Pid, done) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	sample := <-sampled
	if cmd.ProcessState == nil {
		return writeLaunchReport(launchReport{ExitCode: -1, StartError: err.Error()}, stdout, stderr)
	}
	u := usageOf(cmd.ProcessState)
	rss, note := chooseRSS(u.maxRSS, floor, sample)
	return writeLaunchReport(launchReport{
		WallNanos: wall.Nanoseconds(),
		UserNanos: u.user.Nanoseconds(),
		SysNanos:  u.sys.Nanoseconds(),
		MaxRSS:    rss,
		FloorRSS:  floor,
		RSSNote:   note,
		ExitCode:  cmd.ProcessState.ExitCode(),
		State:     cmd.ProcessState.String(),
	}, stdout, stderr)
}

// stopOnRequest sends SIGINT to p when a signal arrives on sigc or eof is
// closed, and kills p stopGrace later; it returns when done is closed.
func stopOnRequest(p *os.Process, sigc <-chan os.Signal, eof, done <-chan struct{}, stderr io.Writer) {
	select {
	case <-sigc:
	case <-eof:
	case <-done:
		return
	}
	if err := p.Signal(os.Interrupt); err != nil {
		return // already gone
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-t.C:
		if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			fmt.Fprintln(stderr, "compare: launcher: kill:", err)
		}
	case <-done:
	}
}

// chooseRSS picks a tool's peak RSS from its ru_maxrss, the launcher's
// floor and the largest VmHWM sampled (0: none), with its note (see
// launch).
func chooseRSS(maxRSS, floor, sample int64) (int64, string) {
	switch {
	case maxRSS == 0 || maxRSS > floor:
		return maxRSS, ""
	case sample > 0:
		return sample, rssSampled
	}
	return maxRSS, rssUpperBound
}

// sampleEvery is how often the launcher reads the tool's VmHWM.
const sampleEvery = 10 * time.Millisecond

// samplePeakRSS reads the VmHWM of process pid every sampleEvery until done
// is closed, and returns the largest (0 when there is none to read).
func samplePeakRSS(pid int, done <-chan struct{}) int64 {
	id := strconv.Itoa(pid)
	peak := procPeakRSS(id)
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return peak
		case <-t.C:
			peak = max(peak, procPeakRSS(id))
		}
	}
}

func writeLaunchReport(r launchReport, stdout, stderr io.Writer) int {
	b, err := json.Marshal(r)
	if err == nil {
		_, err = stdout.Write(b)
	}
	if err != nil {
		fmt.Fprintln(stderr, "compare: launcher: write report:", err)
		return 1
	}
	return 0
}
