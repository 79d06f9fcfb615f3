package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crawl-dev/crawl/crawler"
)

// summaryWidth is the width the summary's wrapped lines stay within.
const summaryWidth = 78

// WriteText writes the report as the end-of-crawl summary for people: about
// ten lines, at most 78 columns wide.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "crawl %s in %s: %s records, %s pages/s, %s, %s retries\n",
		r.Outcome, fmtSeconds(r.DurationSeconds), group(r.Records), strconv.FormatFloat(r.PagesPerSecond, 'f', 1, 64),
		fmtBytes(r.Bytes), group(r.Retries))

	classes := make([]string, 0, NumStatusClasses)
	for c := range NumStatusClasses {
		classes = append(classes, fmt.Sprintf("%s %s", c, group(r.RecordsByStatusClass[c.String()])))
	}
	line(&b, "status", strings.Join(classes, "   "))

	if r.RecordsWithError == 0 {
		line(&b, "errors", "none")
	} else {
		head := fmt.Sprintf("%s (%s%%)", group(r.RecordsWithError), strconv.FormatFloat(100*r.ErrorRate, 'f', 2, 64))
		line(&b, "errors", head+": "+strings.Join(nonZero(r.ErrorsByKind), ", "))
	}
	if r.ErrorRateExceeded {
		line(&b, "error rate", fmt.Sprintf("%s%% of the records failed: above --fail-on-error-rate %g",
			strconv.FormatFloat(100*r.ErrorRate, 'f', 2, 64), r.FailOnErrorRate))
	}

	req := fmt.Sprintf("%s (%s robots.txt), %s", group(r.Requests.Total), group(r.Requests.Robots), fmtBytes(r.Requests.Bytes))
	if errs := nonZero(r.Requests.ErrorsByKind); len(errs) > 0 {
		req += "; failed: " + strings.Join(errs, ", ")
	}
	line(&b, "requests", req)

	if l := r.FetchLatency; l.Requests > 0 {
		line(&b, "latency", fmt.Sprintf("p50 %s   p95 %s   p99 %s   mean %s",
			fmtSecondsShort(l.P50Seconds), fmtSecondsShort(l.P95Seconds), fmtSecondsShort(l.P99Seconds), fmtSecondsShort(l.MeanSeconds)))
	}

	var waits []string
	for i := range crawler.NumWaitReasons {
		name := i.String()
		if n := r.HostWaits.RetriesByReason[name]; n > 0 {
			waits = append(waits, fmt.Sprintf("%s %s retries, %s blocked", name, group(n),
				fmtSeconds(r.HostWaits.BlockedSecondsByReason[name])))
		}
	}
	if len(waits) == 0 {
		waits = []string{"none"}
	}
	line(&b, "host waits", strings.Join(waits, "; "))

	if len(r.Fields) > 0 {
		cov := make([]string, len(r.Fields))
		for i, f := range r.Fields {
			cov[i] = fmt.Sprintf("%s %s%% (%s/%s)", f.Name, strconv.FormatFloat(100*f.Coverage, 'f', 1, 64), group(f.Matched), group(f.Pages))
		}
		line(&b, "fields", strings.Join(cov, ", "))
	}

	if r.Changes != nil {
		ch := make([]string, len(changeLabels))
		for i, l := range changeLabels {
			ch[i] = group(r.Changes[l]) + " " + l
		}
		line(&b, "changes", fmt.Sprintf("generation %d: %s", r.Generation, strings.Join(ch, ", ")))
	}

	if lc := r.LinkChecks; lc != nil {
		line(&b, "link checks", fmt.Sprintf("%s: %s broken, %s blocked (crawl links lists them by page)",
			group(lc.Checked), group(lc.Broken), group(lc.Blocked)))
	}

	if len(r.SlowestHosts) > 0 {
		fmt.Fprintf(&b, "  %-40s %9s %9s %9s\n", "slowest hosts", "median", "p95", "requests")
		for _, h := range r.SlowestHosts {
			fmt.Fprintf(&b, "    %-38s %9s %9s %9s\n", truncate(h.Host, 38),
				fmtSecondsShort(h.P50Seconds), fmtSecondsShort(h.P95Seconds), group(h.Requests))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// line writes one labelled line of the summary, wrapped at commas and
// semicolons to summaryWidth with continuation lines indented.
func line(b *strings.Builder, label, text string) {
	const indent = 14
	prefix := fmt.Sprintf("  %-*s", indent-2, label)
	width := summaryWidth - indent
	for len(text) > width {
		cut := strings.LastIndexAny(text[:width], ",;")
		if cut <= 0 {
			break
		}
		b.WriteString(prefix + text[:cut+1] + "\n")
		text = strings.TrimLeft(text[cut+1:], " ")
		prefix = strings.Repeat(" ", indent)
	}
	b.WriteString(prefix + text + "\n")
}

// nonZero lists "name count" for the non-zero counts, largest first.
func nonZero(m map[string]int64) []string {
	type kv struct {
		k string
		v int64
	}
	var kvs []kv
	for k, v := range m {
		if v > 0 {
			kvs = append(kvs, kv{k, v})
		}
	}
	slices.SortFunc(kvs, func(a, b kv) int { return cmp.Or(cmp.Compare(b.v, a.v), cmp.Compare(a.k, b.k)) })
	out := make([]string, len(kvs))
	for i, e := range kvs {
		out[i] = e.k + " " + group(e.v)
	}
	return out
}

// FormatCount writes n with thousands separators: 1234567 is 1,234,567.
func FormatCount(n int64) string { return group(n) }

// FormatBytes writes a byte count in binary units: 512 B, 1.5 KiB,
// 48.2 MiB.
func FormatBytes(n int64) string { return fmtBytes(n) }

func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// fmtSeconds writes a crawl's duration: 850ms, 12.4s, 3m05s, 1h02m.
func fmtSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// fmtSecondsShort writes a latency with two or three significant digits:
// 85µs, 6.1ms, 120ms, 1.5s.
func fmtSecondsShort(s float64) string {
	d := time.Duration(s * float64(time.Second))
	var r time.Duration
	switch {
	case d < time.Millisecond:
		r = time.Microsecond
	case d < 10*time.Millisecond:
		r = 100 * time.Microsecond
	case d < time.Second:
		r = time.Millisecond
	case d < 10*time.Second:
		r = 100 * time.Millisecond
	default:
		r = time.Second
	}
	return d.Round(r).String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-1], "") + "…"
}
