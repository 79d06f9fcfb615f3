package testserver

import (
	"bytes"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// limits are a Crawl's limits with defaults applied.
type limits struct {
	retries, maxRedirects, maxRepeats int
	timeout                           time.Duration
	maxBody                           int64
	agent                             string
	ignoreRobots                      bool
}

func (c Crawl) limits() limits {
	l := limits{retries: max(c.Retries, 0), maxRedirects: c.MaxRedirects, maxRepeats: c.MaxRepeats,
		timeout: c.Timeout, maxBody: c.MaxBody, agent: agentToken(c.UserAgent), ignoreRobots: c.IgnoreRobots}
	switch {
	case l.maxRedirects == 0:
		l.maxRedirects = DefaultMaxRedirects
	case l.maxRedirects < 0:
		l.maxRedirects = 0
	}
	if l.maxRepeats == 0 {
		l.maxRepeats = DefaultMaxRepeats
	}
	if l.timeout <= 0 {
		l.timeout = DefaultTimeout
	}
	if l.maxBody <= 0 {
		l.maxBody = DefaultMaxBody
	}
	return l
}

// agentToken is the robots.txt product token of a User-Agent: up to the
// first "/" or space, lower case; "crawl" when empty.
func agentToken(ua string) string {
	tok, _, _ := strings.Cut(ua, "/")
	tok, _, _ = strings.Cut(tok, " ")
	if tok == "" {
		return DefaultAgentToken
	}
	return strings.ToLower(tok)
}

// mediaType is the media type a crawler records for the fixture: from its
// Content-Type, or sniffed from the body when it has none.
func (f *fixture) mediaType() string {
	if f.act == actNever {
		return ""
	}
	if f.ctype == nil {
		if len(f.body) == 0 {
			return ""
		}
		return mediaTypeOf([]string{http.DetectContentType(f.body)})
	}
	return mediaTypeOf(f.ctype)
}

func mediaTypeOf(ctype []string) string {
	if len(ctype) == 0 || ctype[0] == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ctype[0])
	if err != nil {
		mt, _, _ = strings.Cut(ctype[0], ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

func isHTMLMedia(mt string) bool { return mt == "text/html" || mt == "application/xhtml+xml" }

func isRedirectStatus(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

func transientStatus(code int) bool { return code == 408 || code == 429 || code >= 500 }

// htmlPage reports whether the fixture ends as an HTML 2xx page that a
// crawler parses.
func (f *fixture) htmlPage() bool {
	return f.status >= 200 && f.status < 300 && f.act != actNever && f.act != actDrip && isHTMLMedia(f.mediaType())
}

// bodySize is the fixture's body length; -1 when it never ends.
func (f *fixture) bodySize() int64 {
	switch f.act {
	case actSized, actEndless, actDrip:
		return f.size
	case actBomb:
		return BombSize
	}
	return int64(len(f.body))
}

// outcome derives the record of one fetch of f from its description and
// the crawler's rules (depth, redirect loops and limits are the walk's).
func (f *fixture) outcome(l limits, retryAfter time.Duration) Outcome {
	all := 1 + l.retries
	if f.act == actNever || f.delay >= l.timeout {
		return Outcome{Err: true, Error: "timeout after", Transient: true, Attempts: all}
	}
	o := Outcome{Status: f.status, ContentType: f.mediaType(), Attempts: 1}
	if f.failFirst > 0 {
		if f.failFirst > int64(l.retries) {
			return failure(f.failStatus, "text/html", all, f.retryAfter, l.retries, retryAfter)
		}
		o.Attempts = int(f.failFirst) + 1
	}
	switch {
	case f.act == actDrip:
		o.Err, o.Error, o.Transient, o.Attempts = true, "timeout after", true, all
	case isRedirectStatus(f.status) && f.location != "":
		o.Redirect = f.target
		if f.target == "" {
			o.Err, o.Error, o.Redirect = true, "unusable location", f.path
		}
	case f.status < 200 || f.status >= 300:
		if transientStatus(f.status) {
			return failure(f.status, o.ContentType, all, f.retryAfter, l.retries, retryAfter)
		}
		o.Err, o.Error = true, "http status "+itoa(f.status)
		if isRedirectStatus(f.status) || f.status == 304 {
			o.Redirect = f.path // no Location: final_url is the URL itself
		}
	default:
		size := f.bodySize()
		o.Truncated = size < 0 || size > l.maxBody
		if isHTMLMedia(o.ContentType) && f.title != "" {
			read := l.maxBody
			if size >= 0 {
				read = min(read, size)
			}
			if end := bytes.Index(f.body, []byte("</title>")); end >= 0 && int64(end+len("</title>")) <= read {
				o.Title = f.title
			} else if end < 0 && int64(len(f.body)) <= read {
				o.Title = f.title // a title the index cannot see (UTF-16)
			}
		}
	}
	return o
}

// failure is the record of a transient failure retried to the end.
func failure(status int, ctype string, attempts int, style retryStyle, retries int, wait time.Duration) Outcome {
	o := Outcome{Status: status, ContentType: ctype, Err: true, Error: "http status " + itoa(status), Attempts: attempts}
	if style != retryNone && retries > 0 {
		o.RetryWait = wait
	}
	return o
}

// expectHostile walks a hostile or robots site as the crawler does:
// breadth first from the seed; robots.txt first (a robots.txt that cannot
// be read makes every URL an error without a request); a link is followed
// from an HTML 2xx page (unless it says nofollow) when it is on this host,
// its depth is within MaxDepth, its path repeats no segment more than
// MaxRepeats times and its dedup key (session parameters dropped) is new;
// a redirect target is queued at the redirect's depth unless it loops back
// (to the URL itself, or to the URL that redirected to it: "redirect
// loop") or the chain is too long ("too many redirects").
func (s *Site) expectHostile(c Crawl) Expectation {
	h := s.hostile
	l := c.limits()
	e := Expectation{Crawl: c, Records: make(map[string]Outcome), External: slices.Sorted(slices.Values(h.external)),
		Support: map[string]int{}}
	avail, disallow := true, []string(nil)
	if !l.ignoreRobots {
		avail, disallow = h.robots.available(l.retries), h.robots.disallow(l.agent)
		e.Support = h.robots.support(l.retries)
		e.MinGap = h.robots.crawlDelay()
	}
	type item struct {
		path, parent string // parent: the URL that redirected here
		hops         int
	}
	never := make(map[string]bool)
	seen := map[string]bool{dedupKey(c.Seed): true}
	level := []item{{path: c.Seed}}
	for d := 0; len(level) > 0; d++ {
		var next []item
		for i := 0; i < len(level); i++ {
			it := level[i]
			switch {
			case !avail:
				e.Records[it.path] = Outcome{Depth: d, Err: true, Robots: true, Error: "robots.txt unavailable"}
				continue
			case hasPrefix(it.path, disallow):
				e.Records[it.path] = Outcome{Depth: d, Err: true, Robots: true, Error: "disallowed by robots.txt"}
				continue
			}
			f := s.resolve(it.path)
			if f == nil {
				e.Records[it.path] = Outcome{Depth: d, Status: 404, Err: true, Error: "http status 404",
					ContentType: "text/plain", Attempts: 1}
				continue
			}
			o := f.outcome(l, h.cfg.RetryAfter)
			o.Depth = d
			switch {
			case isRedirectStatus(o.Status) && strings.HasPrefix(o.Redirect, "/") && !o.Err:
				key := dedupKey(o.Redirect)
				switch {
				case key == dedupKey(it.path) || (it.hops > 0 && key == dedupKey(it.parent)):
					o.Err, o.Error = true, "redirect loop"
				case it.hops >= l.maxRedirects:
					o.Err, o.Error = true, "too many redirects"
				case repeats(o.Redirect, l.maxRepeats) || seen[key]:
					never[o.Redirect] = true
				default:
					seen[key] = true
					level = append(level, item{path: o.Redirect, parent: it.path, hops: it.hops + 1})
				}
			case f.htmlPage() && !o.Err:
				stop := d >= c.MaxDepth || (f.nofollow && !l.ignoreRobots)
				for _, link := range f.links {
					if !strings.HasPrefix(link, "/") {
						continue // another host
					}
					key := dedupKey(link)
					if stop || repeats(link, l.maxRepeats) || seen[key] {
						never[link] = true
						continue
					}
					seen[key] = true
					next = append(next, item{path: link})
				}
			}
			e.Records[it.path] = o
		}
		level = next
	}
	for _, n := range s.nodes {
		never[n.path] = true
	}
	for p := range never {
		if o, ok := e.Records[p]; (ok && !o.Robots) || e.Support[p] > 0 {
			continue
		}
		e.Never = append(e.Never, p)
	}
	slices.Sort(e.Never)
	return e
}

func hasPrefix(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// repeats reports whether a segment of path (query left out) occurs more
// than limit times; a negative limit turns the check off.
func repeats(path string, limit int) bool {
	if limit < 0 {
		return false
	}
	path, _, _ = strings.Cut(path, "?")
	count := make(map[string]int)
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "" {
			continue
		}
		count[seg]++
		if count[seg] > limit {
			return true
		}
	}
	return false
}

// dedupKey is the key two spellings of one page share, for a canonical
// path with query: ";jsessionid=..." path parameters and tracking or
// session query parameters (utm_*, gclid, fbclid, jsessionid, phpsessid,
// sid; any case) dropped, empty parameters dropped, the rest sorted by name
// (stably).
func dedupKey(path string) string {
	rest, query, _ := strings.Cut(path, "?")
	for {
		i := indexFoldASCII(rest, ";jsessionid=")
		if i < 0 {
			break
		}
		end := i + len(";jsessionid=")
		for end < len(rest) && rest[end] != ';' && rest[end] != '/' {
			end++
		}
		rest = rest[:i] + rest[end:]
	}
	var params []string
	for p := range strings.SplitSeq(query, "&") {
		name, _, _ := strings.Cut(p, "=")
		lower := strings.ToLower(name)
		switch {
		case p == "", strings.HasPrefix(lower, "utm_"):
		case lower == "sid" || lower == "gclid" || lower == "fbclid" || lower == "phpsessid" || lower == "jsessionid":
		default:
			params = append(params, p)
		}
	}
	if len(params) == 0 {
		return rest
	}
	slices.SortStableFunc(params, func(a, b string) int {
		an, _, _ := strings.Cut(a, "=")
		bn, _, _ := strings.Cut(b, "=")
		return strings.Compare(an, bn)
	})
	return rest + "?" + strings.Join(params, "&")
}

// indexFoldASCII is strings.Index ignoring ASCII letter case, for a lower
// case needle. (strings.ToLower cannot be used to find an index: it changes
// the length of invalid UTF-8.)
func indexFoldASCII(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

// hostileLinks is Links for hostile and robots sites. A session page's
// links are those of its first view.
func (s *Site) hostileLinks(path, origin string) []string {
	f := s.resolve(path)
	if f == nil || !f.htmlPage() {
		return nil
	}
	origin = strings.ToLower(strings.TrimSuffix(origin, "/"))
	var links []string
	seen := make(map[string]bool, len(f.links))
	for _, l := range f.links {
		u := l
		if strings.HasPrefix(l, "/") {
			u = origin + l
		}
		if !seen[u] {
			seen[u] = true
			links = append(links, u)
		}
	}
	return links
}
