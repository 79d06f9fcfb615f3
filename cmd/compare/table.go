package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// header is the context of a comparison: machine, load, site, runs and the
// command line of each tool.
type header struct {
	Date        string    `json:"date"`
	Arch        string    `json:"arch"`
	GOMAXPROCS  int       `json:"gomaxprocs"`
	NumCPU      int       `json:"num_cpu"`
	LoadBefore  string    `json:"load_before"`
	LoadAfter   string    `json:"load_after"`
	Site        string    `json:"site"`
	URL         string    `json:"url"`
	Depth       int       `json:"depth"`
	Concurrency int       `json:"concurrency"`
	Runs        int       `json:"runs"`
	Warmup      int       `json:"warmup"`
	Timeout     string    `json:"timeout"`
	Expected    int       `json:"expected,omitempty"` // paths a complete crawl requests; 0 = unknown
	Levels      []int     `json:"levels,omitempty"`   // expected paths per depth
	Ideal       *ideal    `json:"ideal,omitempty"`    // with --latency on the generated site
	Commands    []command `json:"commands"`
}

// command is a tool's command line, with $RUN for the run's directory.
type command struct {
	Tool string `json:"tool"`
	Line string `json:"line"`
}

// ideal is the least wall time a crawl with --concurrency fetches in flight
// can take when every page waits --latency and each depth must be fetched
// before the next is known.
type ideal struct {
	// Seconds is the sum over depths of ceil(pages/concurrency) * latency.
	Seconds float64 `json:"seconds"`
	// Unrounded is the sum over depths of pages/concurrency * latency: the
	// bound if a level's last partial batch cost only its share.
	Unrounded float64 `json:"unrounded_seconds"`
	Latency   string  `json:"latency"`
}

// newIdeal computes the latency-bound ideal from the pages per depth that
// wait for latency.
func newIdeal(levels []int, concurrency int, latency time.Duration) *ideal {
	var batches, share float64
	for _, n := range levels {
		batches += math.Ceil(float64(n) / float64(concurrency))
		share += float64(n) / float64(concurrency)
	}
	return &ideal{Seconds: batches * latency.Seconds(), Unrounded: share * latency.Seconds(), Latency: latency.String()}
}

// render writes the header and a Markdown table with one row per summary;
// the first summary is the baseline of the wall-time ratio.
func render(w io.Writer, h header, sums []summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Crawler comparison\n\n")
	fmt.Fprintf(&b, "- %s, %s, GOMAXPROCS %d, NumCPU %d, load average %s before, %s after\n",
		h.Date, h.Arch, h.GOMAXPROCS, h.NumCPU, h.LoadBefore, h.LoadAfter)
	fmt.Fprintf(&b, "- site: %s, at %s\n", h.Site, h.URL)
	fmt.Fprintf(&b, "- depth %d, concurrency %d; %d runs of each tool, interleaved, after %d warm-up %s; timeout %s\n",
		h.Depth, h.Concurrency, h.Runs, h.Warmup, plural(h.Warmup, "round", "rounds"), h.Timeout)
	if h.Expected > 0 {
		fmt.Fprintf(&b, "- expected: %d pages (per depth: %s)\n", h.Expected, joinInts(h.Levels))
	}
	if h.Ideal != nil {
		fmt.Fprintf(&b, "- latency-bound ideal: %.3fs = sum over depths of ceil(pages/%d) × %s (unrounded: %.3fs)\n",
			h.Ideal.Seconds, h.Concurrency, h.Ideal.Latency, h.Ideal.Unrounded)
	}
	fmt.Fprintf(&b, "- commands ($RUN is a fresh temporary directory per run):\n")
	for _, c := range h.Commands {
		fmt.Fprintf(&b, "  - %s: `%s`\n", c.Tool, c.Line)
	}
	b.WriteString("\n")

	gen := h.Expected > 0
	cols := []string{"tool", "exit", "wall s median [min-max]", "pages/s", "CPU s", "pages/CPU-s", "peak RSS MB", "pages median [min-max]"}
	if gen {
		cols = append(cols, "missing max", "unexpected max")
	}
	cols = append(cols, "duplicate requests max")
	if len(sums) > 0 {
		cols = append(cols, "wall vs "+sums[0].Tool)
	}
	if h.Ideal != nil {
		cols = append(cols, "wall vs ideal")
	}
	row(&b, cols)
	align := make([]string, len(cols))
	for i := range align {
		align[i] = "---:"
	}
	align[0], align[1] = "---", "---"
	row(&b, align)
	for _, s := range sums {
		cells := []string{
			s.Tool, s.Exits,
			fmt.Sprintf("%.3f [%.3f-%.3f]", s.Wall.Median, s.Wall.Min, s.Wall.Max),
			perSecond(s.Pages.Median, s.Wall.Median),
			fmt.Sprintf("%.3f", s.CPU),
			perSecond(s.Pages.Median, s.CPU),
			megabytes(s.RSS, s.RSSNote),
		}
		pages := fmt.Sprintf("%s [%d-%d]", count(s.Pages.Median), int(s.Pages.Min), int(s.Pages.Max))
		if gen {
			pages += fmt.Sprintf(" of %d", s.Expected)
		}
		cells = append(cells, pages)
		if gen {
			cells = append(cells, strconv.Itoa(s.MissingMax), strconv.Itoa(s.UnexpectedMax))
		}
		cells = append(cells, strconv.Itoa(s.DupMax), ratio(s.Wall.Median, sums[0].Wall.Median))
		if h.Ideal != nil {
			cells = append(cells, ratio(s.Wall.Median, h.Ideal.Seconds))
		}
		row(&b, cells)
	}
	notes := map[string]bool{}
	for _, s := range sums {
		notes[s.RSSNote] = true
	}
	if notes[rssSampled] || notes[rssUpperBound] {
		b.WriteString("\nPeak RSS: ≈ the tool stayed below the launcher's own peak, which Linux reports as a floor; " +
			"sampled from /proc while it ran. ≤ an upper bound: the floor.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func row(b *strings.Builder, cells []string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
	}
	b.WriteString("\n")
}

// perSecond is n/seconds, rounded, or "-" when seconds is 0.
func perSecond(n, seconds float64) string {
	if seconds <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", n/seconds)
}

// ratio is a/b with two decimals, or "-" when b is 0.
func ratio(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// megabytes is bytes in MiB with one decimal, or "-" when unknown (0);
// "≈" marks a sampled value, "≤" an upper bound.
func megabytes(bytes float64, note string) string {
	prefix := ""
	switch {
	case bytes <= 0:
		return "-"
	case note == rssSampled:
		prefix = "≈"
	case note == rssUpperBound:
		prefix = "≤"
	}
	return fmt.Sprintf("%s%.1f", prefix, bytes/(1<<20))
}

// count prints a median count: whole, or with .5 when it falls between two
// runs.
func count(x float64) string {
	if x == math.Trunc(x) {
		return strconv.Itoa(int(x))
	}
	return fmt.Sprintf("%.1f", x)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
