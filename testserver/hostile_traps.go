package testserver

import (
	"strconv"
	"strings"
	"time"
)

// Bounds of the generated trap families. They keep every generated URL
// short enough to parse, and are far beyond what any depth limit reaches.
const (
	calendarFirstYear = 1
	calendarLastYear  = 99_999
	maxTrapLevel      = 500 // segments added to /grow/, /deep/ and /loop/
)

// trapFamilies adds the entry points of the generated traps and the
// session-id pages. The trap pages themselves are generated on request by
// trapPage, from the path alone.
func (b *hostileBuilder) trapFamilies() {
	b.entry("/cal/2026/11")
	b.entry("/grow/a/")
	b.entry("/deep/1/")
	b.entry("/loop/x/")
	for _, s := range []struct{ path, title, session string }{
		{"/session", "Session id in the query", "?sid="},
		{"/session/j", "Session id in a path parameter", ";jsessionid="},
		{"/session/php?page=1", "Session id after other parameters", "&PHPSESSID="},
	} {
		b.entry(b.add(&fixture{path: s.path, act: actSession, status: 200, ctype: htmlType, title: s.title,
			links: []string{s.path + s.session + "1"}, session: s.session}).path)
	}
}

// sessionPage renders a session page for its n-th view: it links to itself
// with a session id no view has had before.
func sessionPage(f *fixture, n int64) []byte {
	return pageHTML(f.title, []string{f.path + f.session + strconv.FormatInt(n, 10)}, "")
}

// trapPage returns the generated page at path, or nil when path belongs to
// no trap family:
//
//	/cal/Y/M        a month (years 1-99999, months 1-12, no leading zeros)
//	                linking to the previous and the next month
//	/grow/a/.../a/  one more "a/" each level: href="a/"
//	/deep/1/.../n/  the next number each level: href="n+1/"
//	/loop/x/(loop/x/)*  href="loop/x/" repeats the pair each level
func trapPage(path string) *fixture {
	var title, href, next string
	switch {
	case strings.HasPrefix(path, "/cal/"):
		return calendarPage(path)
	case strings.HasPrefix(path, "/grow/"):
		k, ok := repeatsOf(path[len("/grow/"):], "a/")
		if !ok {
			return nil
		}
		title, href, next = "Growing path, level "+itoa(k), "a/", path+"a/"
		if k >= maxTrapLevel {
			href = ""
		}
	case strings.HasPrefix(path, "/deep/"):
		k, ok := countingSegments(path[len("/deep/"):])
		if !ok {
			return nil
		}
		title, href = "Deepening path, level "+itoa(k), itoa(k+1)+"/"
		next = path + href
		if k >= maxTrapLevel {
			href = ""
		}
	case strings.HasPrefix(path, "/loop/"):
		k, ok := repeatsOf(path[len("/"):], "loop/x/")
		if !ok {
			return nil
		}
		title, href, next = "Repeated segments, level "+itoa(k), "loop/x/", path+"loop/x/"
		if k >= maxTrapLevel {
			href = ""
		}
	default:
		return nil
	}
	var hrefs, links []string
	if href != "" {
		hrefs, links = []string{href}, []string{next}
	}
	return &fixture{path: path, status: 200, ctype: htmlType, title: title, links: links,
		body: pageHTML(title, hrefs, "")}
}

// calendarPage returns the month page at path ("/cal/2026/11"), or nil.
func calendarPage(path string) *fixture {
	ys, ms, ok := strings.Cut(path[len("/cal/"):], "/")
	if !ok {
		return nil
	}
	y, okY := canonicalInt(ys, calendarFirstYear, calendarLastYear)
	m, okM := canonicalInt(ms, 1, 12)
	if !okY || !okM {
		return nil
	}
	title := "Calendar: " + time.Month(m).String() + " " + itoa(y)
	var links []string
	if y > calendarFirstYear || m > 1 {
		py, pm := y, m-1
		if pm == 0 {
			py, pm = y-1, 12
		}
		links = append(links, "/cal/"+itoa(py)+"/"+itoa(pm))
	}
	if y < calendarLastYear || m < 12 {
		ny, nm := y, m+1
		if nm == 13 {
			ny, nm = y+1, 1
		}
		links = append(links, "/cal/"+itoa(ny)+"/"+itoa(nm))
	}
	return &fixture{path: path, status: 200, ctype: htmlType, title: title, links: links,
		body: pageHTML(title, links, "")}
}

// canonicalInt parses a decimal integer in [lo, hi] written without sign or
// leading zeros.
func canonicalInt(s string, lo, hi int) (int, bool) {
	if s == "" || len(s) > 6 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= lo && n <= hi
}

// repeatsOf reports how many times s is unit repeated (at least once, at
// most maxTrapLevel times).
func repeatsOf(s, unit string) (int, bool) {
	if len(s) == 0 || len(s)%len(unit) != 0 || len(s)/len(unit) > maxTrapLevel {
		return 0, false
	}
	if strings.Repeat(unit, len(s)/len(unit)) != s {
		return 0, false
	}
	return len(s) / len(unit), true
}

// countingSegments reports k when s is "1/2/.../k/" (1 <= k <= maxTrapLevel).
func countingSegments(s string) (int, bool) {
	k := 0
	for s != "" {
		seg, rest, ok := strings.Cut(s, "/")
		if !ok || seg != itoa(k+1) || k+1 > maxTrapLevel {
			return 0, false
		}
		k++
		s = rest
	}
	return k, k > 0
}
