package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{4}, 4},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 3}, 3},
		{[]float64{9, 1, 7, 3}, 5},
		{[]float64{2, 2, 8, 1, 2}, 2},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.in...)
		if got := median(in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		for i := range in {
			if in[i] != tt.in[i] {
				t.Errorf("median(%v) reordered its argument to %v", tt.in, in)
				break
			}
		}
	}
	if s := newStat([]float64{3, 9, 1}); s != (stat{Median: 3, Min: 1, Max: 9}) {
		t.Errorf("newStat(3 9 1) = %+v", s)
	}
}

func intp(n int) *int { return &n }

func TestSummarize(t *testing.T) {
	run := func(tool string, warmup bool, wall float64, distinct, dups, expected, unexpected int, exit string) measurement {
		return measurement{Tool: tool, Warmup: warmup, WallSeconds: wall, UserSeconds: wall / 2, SysSeconds: wall / 4,
			MaxRSSBytes: int64(wall * (1 << 20)), Exit: exit,
			siteCounts: siteCounts{Distinct: distinct, Duplicates: dups, ExpectedRequested: intp(expected), Unexpected: intp(unexpected)}}
	}
	ms := []measurement{
		run("a", true, 100, 1, 50, 1, 0, "timeout"), // warm-up: ignored
		run("a", false, 2, 10, 0, 10, 0, ""),
		run("b", false, 4, 9, 3, 8, 1, "exit 8"),
		run("b", false, 6, 10, 5, 10, 0, ""),
		run("a", false, 4, 10, 1, 10, 0, ""),
		run("b", false, 5, 10, 0, 10, 0, "exit 8"),
	}
	ms[2].RSSNote, ms[3].RSSNote, ms[4].RSSNote = rssSampled, rssUpperBound, rssSampled
	got := summarize([]string{"a", "b", "c"}, ms, 10)
	want := []summary{
		{Tool: "a", Runs: 2, Exits: "0", Wall: stat{3, 2, 4}, CPU: 2.25, RSS: 3 << 20, RSSNote: rssSampled, Pages: stat{10, 10, 10},
			Expected: 10, DupMax: 1},
		{Tool: "b", Runs: 3, Exits: "8 ×2, 0 ×1", Wall: stat{5, 4, 6}, CPU: 3.75, RSS: 5 << 20, RSSNote: rssUpperBound,
			Pages: stat{10, 9, 10}, Expected: 10,
			MissingMax: 2, UnexpectedMax: 1, DupMax: 5},
		{Tool: "c", Expected: 10},
	}
	if len(got) != len(want) {
		t.Fatalf("summarize = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("summarize: row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestNewIdeal(t *testing.T) {
	got := newIdeal([]int{1, 20, 380, 9600}, 64, 20*time.Millisecond)
	// ceil: 1 + 1 + 6 + 150 = 158 batches; unrounded 10001/64 batches.
	if math.Abs(got.Seconds-3.16) > 1e-9 || math.Abs(got.Unrounded-10001.0/64*0.02) > 1e-9 || got.Latency != "20ms" {
		t.Errorf("newIdeal = %+v, want 3.16s, 3.1253s, 20ms", got)
	}
}

func TestRender(t *testing.T) {
	h := header{
		Date: "2026-01-02T03:04:05Z", Arch: "x86_64", GOMAXPROCS: 2, NumCPU: 2,
		LoadBefore: "0.10 0.20 0.30", LoadAfter: "1.50 0.70 0.40",
		Site: "generated, 10000 pages, 20 links, features none, seed 0, latency 20ms", URL: "http://127.0.0.1:4000/",
		Depth: 3, Concurrency: 64, Runs: 5, Warmup: 1, Timeout: "5m0s",
		Expected: 10001, Levels: []int{1, 20, 380, 9600},
		Ideal: &ideal{Seconds: 3.16, Unrounded: 3.1253125, Latency: "20ms"},
		Commands: []command{
			{"crawl", "/bin/crawl --seed http://127.0.0.1:4000/ --out $RUN/out"},
			{"wget2", "/usr/bin/wget2 -r -l 3 -P $RUN http://127.0.0.1:4000/"},
		},
	}
	sums := []summary{
		{Tool: "crawl", Runs: 5, Exits: "0", Wall: stat{4, 3.5, 4.25}, CPU: 2, RSS: 50 << 20, Pages: stat{10001, 10001, 10001},
			Expected: 10001},
		{Tool: "wget2", Runs: 5, Exits: "8 ×1, 0 ×4", Wall: stat{10, 9.5, 12}, CPU: 8, RSS: 10.25 * (1 << 20), Pages: stat{10000.5, 9990, 10001},
			Expected: 10001, MissingMax: 11, UnexpectedMax: 2, DupMax: 3},
	}
	want := `## Crawler comparison

- 2026-01-02T03:04:05Z, x86_64, GOMAXPROCS 2, NumCPU 2, load average 0.10 0.20 0.30 before, 1.50 0.70 0.40 after
- site: generated, 10000 pages, 20 links, features none, seed 0, latency 20ms, at http://127.0.0.1:4000/
- depth 3, concurrency 64; 5 runs of each tool, interleaved, after 1 warm-up round; timeout 5m0s
- expected: 10001 pages (per depth: 1, 20, 380, 9600)
- latency-bound ideal: 3.160s = sum over depths of ceil(pages/64) × 20ms (unrounded: 3.125s)
- commands ($RUN is a fresh temporary directory per run):
  - crawl: ` + "`/bin/crawl --seed http://127.0.0.1:4000/ --out $RUN/out`" + `
  - wget2: ` + "`/usr/bin/wget2 -r -l 3 -P $RUN http://127.0.0.1:4000/`" + `

| tool | exit | wall s median [min-max] | pages/s | CPU s | pages/CPU-s | peak RSS MB | pages median [min-max] | missing max | unexpected max | duplicate requests max | wall vs crawl | wall vs ideal |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| crawl | 0 | 4.000 [3.500-4.250] | 2500 | 2.000 | 5000 | 50.0 | 10001 [10001-10001] of 10001 | 0 | 0 | 0 | 1.00 | 1.27 |
| wget2 | 8 ×1, 0 ×4 | 10.000 [9.500-12.000] | 1000 | 8.000 | 1250 | 10.2 | 10000.5 [9990-10001] of 10001 | 11 | 2 | 3 | 2.50 | 3.16 |
`
	var b strings.Builder
	if err := render(&b, h, sums); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("render (generated site) =\n%s\nwant\n%s", b.String(), want)
	}

	// A dir site: no expectation, no ideal; unknown memory and a zero wall
	// time print "-".
	h.Site, h.Expected, h.Levels, h.Ideal, h.Warmup, h.Commands = "dir /doc (10 files), latency 0s", 0, nil, nil, 0, h.Commands[:1]
	sums = []summary{
		{Tool: "crawl", Runs: 5, Exits: "0", Pages: stat{7, 7, 7}},
		{Tool: "tiny", Runs: 5, Exits: "0", Pages: stat{7, 7, 7}, RSS: 3 << 20, RSSNote: rssSampled},
		{Tool: "tinier", Runs: 5, Exits: "0", Pages: stat{7, 7, 7}, RSS: 7 << 20, RSSNote: rssUpperBound},
	}
	want = `## Crawler comparison

- 2026-01-02T03:04:05Z, x86_64, GOMAXPROCS 2, NumCPU 2, load average 0.10 0.20 0.30 before, 1.50 0.70 0.40 after
- site: dir /doc (10 files), latency 0s, at http://127.0.0.1:4000/
- depth 3, concurrency 64; 5 runs of each tool, interleaved, after 0 warm-up rounds; timeout 5m0s
- commands ($RUN is a fresh temporary directory per run):
  - crawl: ` + "`/bin/crawl --seed http://127.0.0.1:4000/ --out $RUN/out`" + `

| tool | exit | wall s median [min-max] | pages/s | CPU s | pages/CPU-s | peak RSS MB | pages median [min-max] | duplicate requests max | wall vs crawl |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| crawl | 0 | 0.000 [0.000-0.000] | - | 0.000 | - | - | 7 [7-7] | 0 | - |
| tiny | 0 | 0.000 [0.000-0.000] | - | 0.000 | - | ≈3.0 | 7 [7-7] | 0 | - |
| tinier | 0 | 0.000 [0.000-0.000] | - | 0.000 | - | ≤7.0 | 7 [7-7] | 0 | - |

Peak RSS: ≈ the tool stayed below the launcher's own peak, which Linux reports as a floor; sampled from /proc while it ran. ≤ an upper bound: the floor.
`
	b.Reset()
	if err := render(&b, h, sums); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("render (dir site) =\n%s\nwant\n%s", b.String(), want)
	}
}
