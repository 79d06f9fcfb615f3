package testserver

import (
	"fmt"
	"strings"
)

// Features selects the optional parts of a generated site. The zero value is
// a plain site: HTML pages linking to HTML pages by absolute path, and a
// robots.txt that allows everything. Combine flags with |, or use
// AllFeatures.
type Features uint32

const (
	// Robots disallows /private/ for every user agent in robots.txt and links
	// a few pages there. Pages only reachable through them are never fetched.
	Robots Features = 1 << iota
	// Files adds non-HTML 2xx resources (PDF, PNG, plain text) whose bodies
	// contain link-looking text that must not be followed.
	Files
	// Redirects adds 301/302/303/307/308 redirects, a 5-hop chain, a chain
	// longer than the default redirect limit, a redirect cycle, a redirect
	// back to the home page and a redirect to another host.
	Redirects
	// Errors adds 403, 404, 410 and 500 pages whose bodies link to pages that
	// must never be fetched.
	Errors
	// Variants spells links in many equivalent ways: relative, ./ and ../,
	// absolute, upper-case scheme and host, scheme-relative, #fragment,
	// %-encoded unreserved characters, character references, surrounding
	// white space.
	Variants
	// External adds links to other hosts: http://127.0.0.2:1/ (fails fast on
	// loopback) and the serving port under another host name (localhost when
	// served as 127.0.0.1 and the other way round), so a scope violation
	// shows up in the request log.
	External
	// Decoys adds things that look like links but are not followed: mailto:,
	// javascript:, tel: and data: hrefs, links inside HTML comments and
	// <script>, <img src>, <link href>, <form action>, <a> without href.
	Decoys
	// Markup adds <area href>, <iframe src>, a frameset page with
	// <frame src> and a page with <base href> and relative links.
	Markup
	// Query adds a chain of pagination pages /list?page=N&sort=asc (the & is
	// written as &amp; in hrefs).
	Query
	// Encoded serves some HTML pages gzip-compressed (Content-Encoding: gzip,
	// Vary: Accept-Encoding) to requests whose Accept-Encoding accepts gzip,
	// and some others chunked (no Content-Length, written in several
	// flushes, so HTTP/1.1 sends Transfer-Encoding: chunked). Normal page i
	// is gzip when i%7 == 1 (/p/1, /p/8, ...) and chunked when i%7 == 4
	// (/p/4, /p/11, ...). Expectations do not change.
	Encoded

	// AllFeatures enables every feature above but Encoded, whose compressed
	// responses make wire bytes differ from body bytes (crawler tests
	// assert request bytes >= record bytes).
	AllFeatures = Robots | Files | Redirects | Errors | Variants | External | Decoys | Markup | Query
)

var featureNames = []flagName[Features]{
	{Robots, "robots"},
	{Files, "files"},
	{Redirects, "redirects"},
	{Errors, "errors"},
	{Variants, "variants"},
	{External, "external"},
	{Decoys, "decoys"},
	{Markup, "markup"},
	{Query, "query"},
	{Encoded, "encoded"},
}

// String returns the comma-separated feature names, "none" or "all".
func (f Features) String() string { return flagsString(f, featureNames, AllFeatures) }

// ParseFeatures parses "all", "none", "" (none) or a comma-separated list of
// feature names (robots, files, redirects, errors, variants, external,
// decoys, markup, query, encoded). Names are case-insensitive; a leading
// "-" removes a feature, so "all,-variants" is everything but link
// variants.
func ParseFeatures(s string) (Features, error) {
	return parseFlags(s, "feature", featureNames, AllFeatures)
}

// flagName names one bit of a flag set such as Features or Fixtures.
type flagName[F ~uint32] struct {
	f    F
	name string
}

// flagsString returns the comma-separated names of the bits of f, "none" or
// "all", and bits without a name in hex.
func flagsString[F ~uint32](f F, names []flagName[F], all F) string {
	switch f {
	case 0:
		return "none"
	case all:
		return "all"
	}
	var parts []string
	rest := f
	for _, fn := range names {
		if f&fn.f != 0 {
			parts = append(parts, fn.name)
		}
		rest &^= fn.f
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint32(rest)))
	}
	return strings.Join(parts, ",")
}

// parseFlags parses "all", "none", "" (none) or a comma-separated list of
// names, case-insensitive; a leading "-" removes bits. what names the kind
// of flag in errors.
func parseFlags[F ~uint32](s, what string, names []flagName[F], all F) (F, error) {
	var f F
	for part := range strings.SplitSeq(s, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		remove := strings.HasPrefix(part, "-")
		part = strings.TrimPrefix(part, "-")
		var bits F
		switch part {
		case "":
			continue
		case "all":
			bits = all
		case "none":
			bits = 0
			if !remove {
				f = 0
			}
		default:
			found := false
			for _, fn := range names {
				if fn.name == part {
					bits, found = fn.f, true
					break
				}
			}
			if !found {
				return 0, fmt.Errorf("unknown %s %q (want all, none or %s)", what, part, joinNames(names))
			}
		}
		if remove {
			f &^= bits
		} else {
			f |= bits
		}
	}
	return f, nil
}

func joinNames[F ~uint32](names []flagName[F]) string {
	parts := make([]string, len(names))
	for i, fn := range names {
		parts[i] = fn.name
	}
	return strings.Join(parts, ", ")
}
