//go:build unix

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestChooseRSS(t *testing.T) {
	tests := []struct {
		maxRSS, floor, sample int64
		want                  int64
		note                  string
	}{
		{30 << 20, 7 << 20, 29 << 20, 30 << 20, ""},      // above the floor: exact
		{7 << 20, 7 << 20, 2 << 20, 2 << 20, rssSampled}, // at the floor: the tool's own peak was sampled
		{7 << 20, 7 << 20, 0, 7 << 20, rssUpperBound},    // at the floor, nothing sampled
		{0, 7 << 20, 0, 0, ""},                           // unknown
		{8 << 20, 0, 0, 8 << 20, ""},                     // no floor known
	}
	for _, tt := range tests {
		got, note := chooseRSS(tt.maxRSS, tt.floor, tt.sample)
		if got != tt.want || note != tt.note {
			t.Errorf("chooseRSS(%d, %d, %d) = %d, %q; want %d, %q", tt.maxRSS, tt.floor, tt.sample, got, note, tt.want, tt.note)
		}
	}
}

// runLaunch runs the launcher in this process with stdin from stdin.
func runLaunch(t *testing.T, stdin *os.File, argv ...string) (launchReport, int, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := launch(argv, stdin, &stdout, &stderr)
	var r launchReport
	if code == 0 {
		if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil {
			t.Fatalf("launch(%q) report %q: %v", argv, stdout.String(), err)
		}
	}
	return r, code, stderr.String()
}

// TestLaunch runs commands through the launcher: a tool far smaller than
// the launcher (this test process), a failing one, one that cannot start,
// and one stopped by the end of the launcher's stdin.
func TestLaunch(t *testing.T) {
	for _, name := range []string{"sleep", "sh"} {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("no %s: %v", name, err)
		}
	}
	open := func() *os.File { // stdin that stays open while the tool runs
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		return r
	}

	r, code, _ := runLaunch(t, open(), "sleep", "0.1")
	if code != 0 || r.ExitCode != 0 || r.WallNanos <= 0 || r.MaxRSS <= 0 || r.FloorRSS <= 0 {
		t.Errorf("sleep: code %d, report %+v", code, r)
	}
	// sleep needs a megabyte or two, this test binary far more: the
	// peak must come from sampling, or be flagged as an upper bound.
	if r.RSSNote == "" || (r.RSSNote == rssSampled && r.MaxRSS >= r.FloorRSS) {
		t.Errorf("sleep: peak RSS %d with note %q, floor %d", r.MaxRSS, r.RSSNote, r.FloorRSS)
	}

	r, code, stderr := runLaunch(t, open(), "sh", "-c", "echo oops >&2; exit 3")
	if code != 0 || r.ExitCode != 3 || r.State != "exit status 3" || stderr != "oops\n" {
		t.Errorf("failing tool: code %d, report %+v, stderr %q", code, r, stderr)
	}

	r, code, _ = runLaunch(t, open(), "/no/such/tool")
	if code != 0 || r.StartError == "" || r.ExitCode != -1 {
		t.Errorf("missing tool: code %d, report %+v", code, r)
	}

	closed, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer closed.Close()
	r, code, _ = runLaunch(t, closed, "sleep", "60")
	if code != 0 || r.ExitCode != -1 || r.State != "signal: interrupt" {
		t.Errorf("stopped tool: code %d, report %+v", code, r)
	}

	if _, code, stderr := runLaunch(t, open()); code != 2 || stderr == "" {
		t.Errorf("no command: code %d, stderr %q", code, stderr)
	}
}
