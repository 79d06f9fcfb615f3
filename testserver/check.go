package testserver

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// maxProblems bounds the problems listed in one Compare or CheckRequests
// error.
const maxProblems = 20

func problemsError(what string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	n := len(problems)
	if n > maxProblems {
		problems = append(problems[:maxProblems], fmt.Sprintf("... and %d more", n-maxProblems))
	}
	return fmt.Errorf("%s: %d problems:\n%s", what, n, strings.Join(problems, "\n"))
}

// Compare checks records of a crawl against the expectation: the same keys,
// and for each the same Depth, Status, Err and Truncated; the same Title
// where the expectation has one; Error (as a part of the message),
// Redirect, ContentType, Attempts, Revision, ETag and LastModified where
// got sets them (so a caller that cannot observe them may leave them
// zero); Robots only where got claims it. The error lists the differences, sorted, at most maxProblems of them.
func (e Expectation) Compare(got map[string]Outcome) error {
	var problems []string
	for p, w := range e.Records {
		g, ok := got[p]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: missing, want %+v", p, w))
			continue
		}
		if !w.matches(g) {
			problems = append(problems, fmt.Sprintf("%s: got %+v, want %+v", p, g, w))
		}
	}
	for p, g := range got {
		if _, ok := e.Records[p]; !ok {
			problems = append(problems, fmt.Sprintf("%s: unexpected record %+v", p, g))
		}
	}
	return problemsError("records differ from expectation", problems)
}

// matches reports whether a recorded outcome g satisfies the expected w.
func (w Outcome) matches(g Outcome) bool {
	return g.Depth == w.Depth && g.Status == w.Status && g.Err == w.Err && g.Truncated == w.Truncated &&
		(w.Title == "" || g.Title == w.Title) &&
		(g.Error == "" || strings.Contains(g.Error, w.Error)) &&
		(g.Redirect == "" || g.Redirect == w.Redirect) &&
		(g.ContentType == "" || g.ContentType == w.ContentType) &&
		(g.Attempts == 0 || w.Attempts == 0 || g.Attempts == w.Attempts) &&
		(g.Revision == 0 || g.Revision == w.Revision) &&
		(g.ETag == "" || g.ETag == w.ETag) &&
		(g.LastModified == "" || g.LastModified == w.LastModified) &&
		(!g.Robots || w.Robots)
}

// WantRequests returns how many requests each path must get in a crawl
// with the given number of retries: Support (robots.txt once when nil),
// no request for URLs robots.txt kept back, Attempts where predicted,
// 1+retries for retried failures, 1 for the rest.
func (e Expectation) WantRequests(retries int) map[string]int {
	want := map[string]int{"/robots.txt": 1}
	if e.Support != nil {
		want = maps.Clone(e.Support)
	}
	for p, o := range e.Records {
		switch {
		case o.Robots:
		case o.Attempts > 0:
			want[p] = o.Attempts
		case o.Retried():
			want[p] = 1 + retries
		default:
			want[p] = 1
		}
	}
	return want
}

// CheckRequests checks a request log (Site.Requests) against
// WantRequests(retries): every path requested exactly that often, nothing
// else requested.
func (e Expectation) CheckRequests(got map[string]int, retries int) error {
	var problems []string
	want := e.WantRequests(retries)
	for p, w := range want {
		if g := got[p]; g != w {
			problems = append(problems, fmt.Sprintf("%s: requested %d times, want %d", p, g, w))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			problems = append(problems, fmt.Sprintf("%s: requested %d times, want 0", p, g))
		}
	}
	return problemsError("requests differ from expectation", problems)
}

// CheckLog checks the timing of a request log (Site.Log): consecutive page
// requests (Support paths left out) start at least MinGap apart, and
// consecutive requests for a URL with a RetryWait at least that far apart.
func (e Expectation) CheckLog(log []Request) error {
	var problems []string
	support := e.Support
	if support == nil {
		support = map[string]int{"/robots.txt": 1}
	}
	if e.MinGap > 0 {
		pages := slices.DeleteFunc(slices.Clone(log), func(r Request) bool { return support[r.Path] > 0 })
		slices.SortStableFunc(pages, func(a, b Request) int { return a.Start.Compare(b.Start) })
		for i := 1; i < len(pages); i++ {
			if g := pages[i].Start.Sub(pages[i-1].Start); g < e.MinGap {
				problems = append(problems, fmt.Sprintf("%s started %v after %s, want at least %v",
					pages[i].Path, g, pages[i-1].Path, e.MinGap))
			}
		}
	}
	for p, o := range e.Records {
		if o.RetryWait <= 0 {
			continue
		}
		for i, g := range Gaps(log, func(r Request) bool { return r.Path == p }) {
			if g < o.RetryWait {
				problems = append(problems, fmt.Sprintf("%s: request %d came %v after the previous one, want at least %v (Retry-After)",
					p, i+2, g, o.RetryWait))
			}
		}
	}
	return problemsError("request timing differs from expectation", problems)
}
