package parser

import "strings"

// cleanRef prepares an href value for url.Parse the way browsers read it:
// leading and trailing ASCII whitespace and control characters trimmed, tabs
// and newlines removed, a backslash before the query or fragment read as a
// slash (browsers do this for http and https, the only schemes kept), a
// '%' that starts no escape written as %25 and other control characters
// and DEL percent-encoded (net/url would reject the URL), and a first
// segment with a colon that is no scheme ("10:30-meeting", "my_page:1")
// read as a relative path, as the WHATWG URL parser reads them. It returns
// s itself, trimmed, when nothing else changes.
func cleanRef(s string) string {
	start, end := 0, len(s)
	for start < end && s[start] <= ' ' {
		start++
	}
	for end > start && s[end-1] <= ' ' {
		end--
	}
	s = s[start:end]
	noScheme := colonWithoutScheme(s)
	if !noScheme && !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	if noScheme {
		b.WriteString("./")
	}
	inPath := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\t' || c == '\n' || c == '\r':
		case c == '\\' && inPath:
			b.WriteByte('/')
		case c == '%' && !isEscape(s, i):
			b.WriteString("%25")
		case c < ' ' || c == 0x7f:
			writeHexEscape(&b, c)
		default:
			if c == '?' || c == '#' {
				inPath = false
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// colonWithoutScheme reports whether s has a colon before its first '/',
// '?', '#' or '\\' with no scheme before it: not ALPHA *( ALPHA / DIGIT /
// "+" / "-" / "." ) (RFC 3986 3.1), once tabs and newlines are removed as
// cleanRef removes them. The WHATWG URL parser reads such an href as a
// relative path.
func colonWithoutScheme(s string) bool {
	i := strings.IndexAny(s, ":/?#\\")
	if i < 0 || s[i] != ':' {
		return false
	}
	scheme := s[:i]
	if strings.ContainsAny(scheme, "\t\n\r") {
		scheme = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, scheme)
	}
	if scheme == "" || !isAlpha(scheme[0]) {
		return true
	}
	for j := 1; j < len(scheme); j++ {
		if c := scheme[j]; !isAlpha(c) && (c < '0' || c > '9') && c != '+' && c != '-' && c != '.' {
			return true
		}
	}
	return false
}

const upperHex = "0123456789ABCDEF"

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// needsCleaning reports whether cleanRef has more to do than trimming.
func needsCleaning(s string) bool {
	inPath := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\t', '\n', '\r':
			return true
		case '\\':
			if inPath {
				return true
			}
		case '%':
			if !isEscape(s, i) {
				return true
			}
		case '?', '#':
			inPath = false
		default:
			if c < ' ' || c == 0x7f {
				return true
			}
		}
	}
	return false
}

// isEscape reports whether s[i] is the '%' of a "%XX" escape.
func isEscape(s string, i int) bool {
	return i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])
}

// writeEscaped writes s to b with its percent-encoding normalized: escapes
// of unreserved characters (ALPHA DIGIT - . _ ~) decoded, other escapes in
// uppercase hex, a '%' that starts no escape written as %25, and bytes for
// which mustEscape (if not nil) is true escaped.
func writeEscaped(b *strings.Builder, s string, mustEscape func(byte) bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && isEscape(s, i):
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				writeHexEscape(b, v)
			}
			i += 2
		case c == '%' || mustEscape != nil && mustEscape(c):
			writeHexEscape(b, c)
		default:
			b.WriteByte(c)
		}
	}
}

// normalizePercent returns s with its percent-encoding normalized as
// writeEscaped does, or s itself when that changes nothing.
func normalizePercent(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	for ; i < len(s); i++ {
		if s[i] == '%' && escapeNeedsRewrite(s, i) {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	b.WriteString(s[:i])
	writeEscaped(&b, s[i:], nil)
	return b.String()
}

// NormalizeEscapes returns s with every octet outside printable ASCII
// percent-encoded, escapes of unreserved characters decoded, the other
// escapes in uppercase hex, and a '%' that starts no escape written as %25:
// the one spelling of a path RFC 3986 6.2.2 calls normalized, in which
// RFC 9309 2.2.2 compares robots.txt rules with paths. It returns s itself
// when that changes nothing.
func NormalizeEscapes(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c <= ' ' || c >= 0x7F {
			var b strings.Builder
			b.Grow(len(s) + 8)
			b.WriteString(s[:i])
			writeEscaped(&b, s[i:], outsidePrintable)
			return b.String()
		}
	}
	return s
}

func outsidePrintable(c byte) bool { return c <= ' ' || c >= 0x7F }

// escapeNeedsRewrite reports whether the '%' at s[i] is not already an
// uppercase escape of a byte that must stay escaped.
func escapeNeedsRewrite(s string, i int) bool {
	if !isEscape(s, i) || isLowerHex(s[i+1]) || isLowerHex(s[i+2]) {
		return true
	}
	return isUnreserved(unhex(s[i+1])<<4 | unhex(s[i+2]))
}

// hasEscapedDot reports whether s contains %2E or %2e.
func hasEscapedDot(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0 && i+2 < len(s); {
		if s[i+1] == '2' && (s[i+2] == 'e' || s[i+2] == 'E') {
			return true
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// queryMustEscape reports whether a query byte must be percent-encoded: it
// is not allowed in an RFC 3986 query, except '[' and ']', which browsers and
// net/url leave alone. '%' is handled by writeEscaped.
func queryMustEscape(c byte) bool {
	if c <= ' ' || c >= 0x7F {
		return true
	}
	switch c {
	case '"', '#', '<', '>', '\\', '^', '`', '{', '|', '}':
		return true
	}
	return false
}

func writeHexEscape(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&15])
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isLowerHex(c byte) bool { return 'a' <= c && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
