package main

import (
	"fmt"
	"slices"
	"strings"
)

// stat is the median, least and greatest of a measurement over runs.
type stat struct {
	Median, Min, Max float64
}

// newStat summarizes xs; the zero stat when xs is empty.
func newStat(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	return stat{Median: median(xs), Min: slices.Min(xs), Max: slices.Max(xs)}
}

// median is the middle value of xs, or the mean of the two middle values
// when len(xs) is even; 0 when xs is empty. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// summary is one tool's row: its counted runs summarized.
type summary struct {
	Tool  string
	Runs  int
	Exits string // "0" when every run succeeded, else e.g. "0 ×3, 8 ×2"
	Wall  stat   // seconds
	CPU   float64
	RSS   float64 // median peak RSS, bytes
	// RSSNote is rssUpperBound if a run's peak RSS is only an upper bound,
	// else rssSampled if a run's was sampled, else "".
	RSSNote string
	Pages   stat // distinct paths requested
	// Expected is how many paths a complete crawl requests; 0 when unknown
	// (--site dir), and then MissingMax and UnexpectedMax mean nothing.
	Expected      int
	MissingMax    int
	UnexpectedMax int
	DupMax        int
}

// summarize makes one summary per tool, in the order of names, from the
// counted (not warm-up) runs in ms; expected is the number of paths a
// complete crawl requests, 0 when unknown.
func summarize(names []string, ms []measurement, expected int) []summary {
	sums := make([]summary, 0, len(names))
	for _, name := range names {
		s := summary{Tool: name, Expected: expected}
		var wall, cpu, rss, pages []float64
		var exits []string
		exitRuns := map[string]int{}
		for _, m := range ms {
			if m.Tool != name || m.Warmup {
				continue
			}
			s.Runs++
			wall = append(wall, m.WallSeconds)
			cpu = append(cpu, m.cpuSeconds())
			rss = append(rss, float64(m.MaxRSSBytes))
			if m.RSSNote == rssUpperBound || (m.RSSNote == rssSampled && s.RSSNote == "") {
				s.RSSNote = m.RSSNote
			}
			pages = append(pages, float64(m.Distinct))
			s.DupMax = max(s.DupMax, m.Duplicates)
			if m.ExpectedRequested != nil {
				s.MissingMax = max(s.MissingMax, expected-*m.ExpectedRequested)
				s.UnexpectedMax = max(s.UnexpectedMax, *m.Unexpected)
			}
			e := strings.TrimPrefix(m.Exit, "exit ")
			if e == "" {
				e = "0"
			}
			if exitRuns[e] == 0 {
				exits = append(exits, e)
			}
			exitRuns[e]++
		}
		s.Wall, s.Pages = newStat(wall), newStat(pages)
		s.CPU, s.RSS = median(cpu), median(rss)
		if len(exits) == 1 {
			s.Exits = exits[0]
		}
		if len(exits) > 1 {
			parts := make([]string, len(exits))
			for i, e := range exits {
				parts[i] = fmt.Sprintf("%s ×%d", e, exitRuns[e])
			}
			s.Exits = strings.Join(parts, ", ")
		}
		sums = append(sums, s)
	}
	return sums
}
