package parser

import (
	"slices"
	"strings"
)

// DedupKey returns the key that two spellings of one page share. Its input is
// a URL already in Normalize's fetch form; the key is only compared or hashed,
// never fetched.
//
// On top of the fetch form, the key drops tracking and session parameters
// (see IsTrackingParam) from the query and ";jsessionid=..." parameters from
// the path, sorts the remaining query parameters by name (stable: repeated
// names keep their order), drops empty parameters ("a=1&&b=2") and an empty
// "?".
func DedupKey(normalized string) string {
	rest, query, hasQuery := strings.Cut(normalized, "?")
	rest = dropPathSessionParams(rest)
	if !hasQuery {
		return rest
	}
	if query == "" {
		return rest
	}
	params := strings.Split(query, "&")
	params = slices.DeleteFunc(params, func(p string) bool {
		name, _, _ := strings.Cut(p, "=")
		return p == "" || IsTrackingParam(name)
	})
	if len(params) == 0 {
		return rest
	}
	slices.SortStableFunc(params, func(a, b string) int {
		an, _, _ := strings.Cut(a, "=")
		bn, _, _ := strings.Cut(b, "=")
		return strings.Compare(an, bn)
	})
	var b strings.Builder
	b.Grow(len(rest) + 1 + len(query))
	b.WriteString(rest)
	for i, p := range params {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p)
	}
	return b.String()
}

// IsTrackingParam reports whether a query parameter name (already
// percent-normalized) only tracks a visitor or carries a session, so that
// URLs differing in it are one page: utm_*, gclid, fbclid, jsessionid,
// phpsessid and sid, in any letter case.
func IsTrackingParam(name string) bool {
	if len(name) >= 4 && strings.EqualFold(name[:4], "utm_") {
		return true
	}
	switch len(name) {
	case 3:
		return strings.EqualFold(name, "sid")
	case 5:
		return strings.EqualFold(name, "gclid")
	case 6:
		return strings.EqualFold(name, "fbclid")
	case 9:
		return strings.EqualFold(name, "phpsessid")
	case 10:
		return strings.EqualFold(name, "jsessionid")
	}
	return false
}

// dropPathSessionParams removes ";jsessionid=..." path parameters (up to the
// next ';' or '/') from the part of a URL before its query.
func dropPathSessionParams(s string) string {
	const param = ";jsessionid="
	// Skip "scheme://" so that only the path (and authority, where ';' is
	// rare and harmless) is searched.
	start := strings.Index(s, "://")
	if start < 0 {
		start = 0
	}
	for {
		i := indexFold(s[start:], param)
		if i < 0 {
			return s
		}
		i += start
		end := i + len(param)
		for end < len(s) && s[end] != ';' && s[end] != '/' {
			end++
		}
		s = s[:i] + s[end:]
		start = i
	}
}

// indexFold is strings.Index for an ASCII lowercase needle that starts
// with a non-letter, ignoring the letter case of s.
func indexFold(s, lowerNeedle string) int {
	n := len(lowerNeedle)
	for i := 0; i+n <= len(s); i++ {
		if s[i] == lowerNeedle[0] && strings.EqualFold(s[i:i+n], lowerNeedle) {
			return i
		}
	}
	return -1
}
