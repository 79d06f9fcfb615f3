package parser

import (
	"net/url"
	"strings"
)

// linkResolver resolves the hrefs of one page against its base URL.
//
// Most hrefs are plain paths ("/docs/", "../library/os.html",
// "page.html?id=3#top") that need none of what net/url and the
// normalization in fetchForm are there for: no scheme or host of their
// own, no escapes, no characters to escape. Those are joined to the base's
// fetch form directly (RFC 3986 section 5.2 with dot segments removed as in
// section 5.2.4), which costs a fraction of url.Parse, ResolveReference and
// fetchForm. Everything else goes through them. FuzzLinkResolver checks that
// both ways give the same URL for every href the direct way takes.
type linkResolver struct {
	base  *url.URL  // the base URL, for hrefs that need net/url
	hosts hostCache // normalized hosts of this page's links
	// self is what an empty href resolves to: the base's fetch form, but
	// without a '?' that starts an empty query (net/url keeps the query,
	// not the '?').
	self string
	// origin is the fetch form up to its path: "scheme://[userinfo@]host[:port]".
	origin string
	// path is the fetch form's path; dir is path up to and including its last '/'.
	path, dir string
	// noPlain turns the direct way off for a base whose raw path net/url
	// merges differently from its fetch form (see newLinkResolver).
	noPlain bool
}

// newLinkResolver returns a resolver for hrefs relative to base, whose
// fetch form is form.
func newLinkResolver(base *url.URL, form string, hosts hostCache) *linkResolver {
	r := &linkResolver{base: base, hosts: hosts}
	rest := form[strings.Index(form, "://")+3:]
	i := strings.IndexByte(rest, '/') // the fetch form always has a path
	r.origin = form[:len(form)-len(rest)+i]
	var query string
	r.path, query, _ = strings.Cut(rest[i:], "?")
	r.self = form
	if query == "" {
		r.self = strings.TrimSuffix(form, "?")
	}
	r.dir = r.path[:strings.LastIndexByte(r.path, '/')+1]
	// net/url merges a relative href with the base's raw path, dropping its
	// last segment before removing dot segments; the fetch form has them
	// removed already. The two differ when the raw path has empty segments
	// or ends in a dot segment ("/a/..", "/a/.%2E"), found by the fuzzer.
	raw := base.EscapedPath()
	last := strings.ReplaceAll(strings.ToLower(raw[strings.LastIndexByte(raw, '/')+1:]), "%2e", ".")
	r.noPlain = strings.Contains(raw, "//") || last == "." || last == ".."
	return r
}

// resolve returns the fetch form of ref resolved against the base; ok is
// false for hrefs Resolve rejects.
func (r *linkResolver) resolve(ref string) (string, bool) {
	if len(ref) > MaxURLLength {
		return "", false
	}
	if s, ok := r.plain(ref); ok {
		return s, len(s) <= MaxURLLength
	}
	u, ok := resolveURL(r.base, ref)
	if !ok {
		return "", false
	}
	s, err := fetchForm(u, r.hosts)
	return s, err == nil
}

// plain resolves ref directly when it is a plain path reference: after
// trimming, only path characters that normalization leaves as they are, an
// optional query of such characters and an optional fragment, and not a
// network-path reference ("//host/..."), resolving to a path without empty
// segments. ok is false for any other ref.
func (r *linkResolver) plain(ref string) (string, bool) {
	if r.noPlain {
		return "", false
	}
	ref = trimRef(ref)
	ref, _, _ = strings.Cut(ref, "#")
	path, query, hasQuery := strings.Cut(ref, "?")
	if !plainChars(path, false) || hasQuery && !plainChars(query, true) ||
		strings.HasPrefix(path, "//") {
		return "", false
	}
	var full string
	switch {
	case path == "" && !hasQuery:
		return r.self, true // the base itself, query included
	case path == "":
		full = r.path
	case path[0] == '/':
		full = path
	default:
		full = r.dir + path
	}
	if strings.Contains(full, "//") {
		// net/url's dot-segment removal differs from RFC 3986 around
		// empty segments; leave those paths to it.
		return "", false
	}
	var b strings.Builder
	b.Grow(len(r.origin) + len(full) + 1 + len(query))
	b.WriteString(r.origin)
	writeWithoutDots(&b, full)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String(), true
}

// plainChars reports whether s has only characters that the fetch form
// keeps unchanged in a path (or, if inQuery, a query): ALPHA DIGIT - . _ ~
// and the sub-delimiters, and also '/' and '?' in a query. ':' and '@' are
// left out: in a first segment ':' would start a scheme.
func plainChars(s string, inQuery bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		switch c {
		case '-', '.', '_', '~', '/', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
			continue
		case '?':
			if inQuery {
				continue
			}
		}
		return false
	}
	return true
}

// trimRef trims leading and trailing ASCII whitespace and control
// characters, as cleanRef does first.
func trimRef(s string) string {
	start, end := 0, len(s)
	for start < end && s[start] <= ' ' {
		start++
	}
	for end > start && s[end-1] <= ' ' {
		end--
	}
	return s[start:end]
}

// writeWithoutDots writes an absolute path with its "." and ".." segments
// removed (RFC 3986 section 5.2.4): "." goes, ".." also takes the segment
// before it (never past the root), and a path ending in either ends in
// '/'.
func writeWithoutDots(b *strings.Builder, path string) {
	if !hasDotSegment(path) {
		b.WriteString(path)
		return
	}
	out := make([]byte, 0, len(path))
	for rest := path[1:]; ; {
		seg, tail, more := strings.Cut(rest, "/")
		switch seg {
		case ".":
		case "..":
			if i := lastSlash(out); i >= 0 {
				out = out[:i]
			}
		default:
			out = append(out, '/')
			out = append(out, seg...)
		}
		if !more {
			if seg == "." || seg == ".." {
				out = append(out, '/')
			}
			break
		}
		rest = tail
	}
	if len(out) == 0 {
		out = append(out, '/')
	}
	b.Write(out)
}

func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return -1
}
