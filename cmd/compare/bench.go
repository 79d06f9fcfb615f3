package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// measurement is one run of one tool: what it cost and what the site saw.
type measurement struct {
	Tool     string   `json:"tool"`
	Round    int      `json:"round"`    // from 0, warm-up rounds first
	Warmup   bool     `json:"warmup"`   // not counted in the table
	Position int      `json:"position"` // from 0, the tool's place in its round
	Argv     []string `json:"argv"`

	WallSeconds float64 `json:"wall_seconds"`
	UserSeconds float64 `json:"user_seconds"`
	SysSeconds  float64 `json:"sys_seconds"`
	MaxRSSBytes int64   `json:"max_rss_bytes"` // 0 when unknown
	// RSSFloorBytes is the launcher's peak RSS when it started the tool,
	// and RSSNote says how MaxRSSBytes was found when the tool's peak was
	// below it: "sampled" (a lower bound) or "upper bound"; see launch.
	RSSFloorBytes int64  `json:"rss_floor_bytes"`
	RSSNote       string `json:"rss_note,omitempty"`
	ExitCode      int    `json:"exit_code"` // -1: killed by a signal or not started
	Exit          string `json:"exit,omitempty"`
	Stderr        string `json:"stderr,omitempty"` // the end of its stderr, when Exit is set
	// ServerCPUSeconds is the CPU time of this process (the site) during
	// the run.
	ServerCPUSeconds float64 `json:"server_cpu_seconds"`
	// Unsettled reports connections still open idleWait after the tool
	// exited: some requests may be missing from the counts.
	Unsettled bool `json:"unsettled,omitempty"`

	siteCounts
}

func (m measurement) cpuSeconds() float64 { return m.UserSeconds + m.SysSeconds }

// bench runs o.warmup + o.runs rounds. Each round runs every tool once, in
// the order of tools rotated by the round number, so that no tool always
// runs first or right after the same one. A line per run goes to progress.
// It stops at the first run ctx interrupts and returns ctx's error.
func bench(ctx context.Context, site *target, launcher string, tools []tool, o options, progress io.Writer) ([]measurement, error) {
	rounds := o.warmup + o.runs
	var ms []measurement
	for r := range rounds {
		for pos := range tools {
			t := tools[(r+pos)%len(tools)]
			m, err := runOnce(ctx, site, launcher, t, o)
			if err != nil {
				return ms, err
			}
			m.Round, m.Warmup, m.Position = r, r < o.warmup, pos
			ms = append(ms, m)
			if err := ctx.Err(); err != nil {
				return ms, err
			}
			fmt.Fprintln(progress, progressLine(m, rounds, site.expect))
		}
	}
	return ms, nil
}

// runOnce runs t once in a fresh temporary directory, with the site's
// counts reset before and read after.
func runOnce(ctx context.Context, site *target, launcher string, t tool, o options) (m measurement, err error) {
	dir, err := os.MkdirTemp("", "compare-"+t.name+"-")
	if err != nil {
		return m, fmt.Errorf("run %s: %w", t.name, err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("run %s: remove its directory: %w", t.name, rerr)
		}
	}()
	argv := t.expand(site.vars(o, dir))
	site.reset()
	cpu := selfCPU()
	res := runChild(ctx, launcher, argv, dir, o.timeout)
	settled := site.settle(ctx)
	m = measurement{
		Tool:             t.name,
		Argv:             argv,
		WallSeconds:      res.wall.Seconds(),
		UserSeconds:      res.usage.user.Seconds(),
		SysSeconds:       res.usage.sys.Seconds(),
		MaxRSSBytes:      res.usage.maxRSS,
		RSSFloorBytes:    res.usage.rssFloor,
		RSSNote:          res.usage.rssNote,
		ExitCode:         res.exitCode,
		Exit:             res.exit,
		ServerCPUSeconds: (selfCPU() - cpu).Seconds(),
		Unsettled:        !settled,
		siteCounts:       site.measure(),
	}
	if res.exit != "" {
		m.Stderr = res.stderr
	}
	return m, nil
}

// progressLine describes a finished run in one line.
func progressLine(m measurement, rounds int, e *expectation) string {
	s := fmt.Sprintf("compare: round %d/%d", m.Round+1, rounds)
	if m.Warmup {
		s += " (warm-up)"
	}
	s += fmt.Sprintf(" %s: %.2fs wall, %.2fs cpu, %.1f MB, %d pages", m.Tool, m.WallSeconds, m.cpuSeconds(), mb(m.MaxRSSBytes), m.Distinct)
	if e != nil {
		s += fmt.Sprintf(" (%d of %d expected, %d unexpected)", *m.ExpectedRequested, e.count, *m.Unexpected)
	}
	s += fmt.Sprintf(", %d duplicate requests", m.Duplicates)
	if m.Unsettled {
		s += ", connections still open"
	}
	if m.Exit != "" {
		s += ", " + m.Exit
		if l := lastLine(m.Stderr); l != "" {
			s += ": " + l
		}
	}
	return s
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// report is the --json file.
type report struct {
	Header header        `json:"header"`
	Runs   []measurement `json:"runs"`
}

// writeJSON writes every run's measurements to path.
func writeJSON(path string, h header, ms []measurement) error {
	b, err := json.MarshalIndent(report{Header: h, Runs: ms}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write measurements: %w", err)
	}
	return nil
}
