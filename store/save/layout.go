package save

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the layout, in bytes of the encoded name.
const (
	maxSegment = 200  // a longer segment is shortened with a hash
	maxPath    = 1000 // a longer path keeps its leading directories up to keepDirs
	keepDirs   = 700  // bytes of host and directories kept when a path is too long
	keepPrefix = 100  // bytes of a shortened name kept before its hash
	maxExt     = 16   // longest extension a shortened name keeps, dot included
)

// querySep starts the query suffix of a file name. The encoder escapes a
// '@' of a path or query (as %40), so in a saved path '@' only ever starts
// a query, or spells an empty segment on its own.
const querySep = '@'

// emptySegment is how an empty path segment (as in "/a//b") or an empty
// host is written: a name no other segment can take.
const emptySegment = "@"

// hashSep joins a readable prefix to the hash of a shortened or fallback
// name.
const hashSep = '~'

// PathFor maps a fetched URL, absolute http or https and normalized, and
// the media type of its response to the slash-separated path, relative to
// the save dir, where its body is kept. It is pure and deterministic, the
// same on every OS, and never fails: whatever the URL holds, the result is
// a clean local path (filepath.IsLocal) of non-empty segments of at most
// 255 bytes, without NUL or control bytes. The rules are in the package
// documentation.
func PathFor(u *url.URL, mediaType string) string {
	segs := []string{hostSegment(u)}

	raw := u.EscapedPath()
	if u.Opaque != "" {
		raw = u.Opaque // "http:a/b": no host, the path is opaque
	}
	parts := strings.Split(strings.TrimPrefix(raw, "/"), "/")
	for _, p := range parts[:len(parts)-1] {
		segs = append(segs, segment(p))
	}

	last := parts[len(parts)-1]
	name := "index.html"
	if last != "" {
		name = segment(last)
	}
	if u.RawQuery != "" || u.ForceQuery {
		name += string(querySep) + encode(u.RawQuery, false)
	}
	if isHTML(mediaType) && !hasHTMLExt(name) {
		name += ".html"
	}
	segs = append(segs, name)

	for i, s := range segs {
		if len(s) > maxSegment {
			segs[i] = shorten(s, s)
		}
	}
	return fitPath(segs)
}

// hostSegment spells the host and port: the host lower-cased, then
// ":PORT" when the URL has a port. An IPv6 address is written in brackets
// with each ':' as '-' ("[2001-db8--1]"); '-' never occurs in one, so the
// spelling is unambiguous, and no ':' is left but the port's.
func hostSegment(u *url.URL) string {
	h := strings.ToLower(u.Hostname())
	var s string
	switch {
	case h == "":
		s = emptySegment
	case strings.Contains(h, ":"):
		s = "[" + encode(strings.ReplaceAll(h, ":", "-"), true) + "]"
	default:
		s = safeName(encode(h, true))
	}
	if p := u.Port(); p != "" {
		s += ":" + encode(p, true)
	}
	return s
}

// segment encodes one escaped path segment as a file or directory name.
func segment(p string) string {
	if p == "" {
		return emptySegment
	}
	return safeName(encode(p, false))
}

// safeName escapes the names the OS gives a meaning: "." and "..", which a
// decoded "%2e%2e" can also spell.
func safeName(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return s
}

// encode rewrites s, an escaped URL component (or a raw one when raw is
// set), as a file name. Unreserved ASCII (letters, digits, "-._~") and
// printable UTF-8 are written as themselves, decoded from escapes; the
// sub-delimiters "!$&'()+,;=" are kept as they came, raw or escaped; every
// other byte (controls, NUL, space, '/', '\\', '%', '@', ':', '*', '?',
// invalid UTF-8, ...) is written as an upper-case %XX escape. So a '%' in
// a name always starts an escape and a decoded %2F is never a separator.
func encode(s string, raw bool) string {
	var b strings.Builder
	b.Grow(len(s))
	// high collects the bytes >= 0x80 of a run, raw or decoded, so that a
	// character escaped byte by byte is decoded whole.
	var high []byte
	flush := func() {
		for len(high) > 0 {
			r, n := utf8.DecodeRune(high)
			if r != utf8.RuneError && unicode.IsPrint(r) {
				b.Write(high[:n])
			} else {
				n = 1
				escapeByte(&b, high[0])
			}
			high = high[n:]
		}
	}
	for i := 0; i < len(s); i++ {
		c, escaped := s[i], false
		if !raw && c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			c, escaped = unhex(s[i+1])<<4|unhex(s[i+2]), true
			i += 2
		}
		if c >= utf8.RuneSelf {
			high = append(high, c)
			continue
		}
		flush()
		switch {
		case isUnreserved(c):
			b.WriteByte(c)
		case isSubDelim(c) && !escaped:
			b.WriteByte(c)
		default:
			escapeByte(&b, c)
		}
	}
	flush()
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isSubDelim reports the RFC 3986 sub-delimiters that are safe in file
// names everywhere; '*' is left out (a wildcard on Windows).
func isSubDelim(c byte) bool {
	return strings.IndexByte("!$&'()+,;=", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func escapeByte(b *strings.Builder, c byte) {
	const digits = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(digits[c>>4])
	b.WriteByte(digits[c&15])
}

// isHTML reports whether a media type is a web page, parameters and case
// aside.
func isHTML(mediaType string) bool {
	mt, _, _ := strings.Cut(mediaType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "text/html" || mt == "application/xhtml+xml"
}

func hasHTMLExt(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".html") || strings.HasSuffix(n, ".htm")
}

// shorten returns name cut to a readable prefix, then '~' and 16 hex
// digits of the sha256 of key, then name's extension.
func shorten(name, key string) string {
	ext := extOf(name)
	prefix := cutPrefix(name[:len(name)-len(ext)], keepPrefix)
	return prefix + string(hashSep) + hashHex(key, 16) + ext
}

// fallbackName is the name used in the same directory when name is taken
// by something of the other kind (a file where a directory is needed, or
// the reverse): name with '~' and 8 hex digits of its sha256 before its
// extension.
func fallbackName(name string) string {
	ext := extOf(name)
	return name[:len(name)-len(ext)] + string(hashSep) + hashHex(name, 8) + ext
}

// extOf returns the extension of name, dot included, when it is short and
// made of letters and digits; otherwise "".
func extOf(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || len(name)-i > maxExt || i == len(name)-1 {
		return ""
	}
	for _, c := range []byte(name[i+1:]) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return ""
		}
	}
	return name[i:]
}

// cutPrefix returns at most n bytes of s, never cutting a %XX escape or a
// UTF-8 character in two.
func cutPrefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for i < len(s) {
		w := 1
		if s[i] == '%' {
			w = 3
		} else if s[i] >= utf8.RuneSelf {
			_, w = utf8.DecodeRuneInString(s[i:])
		}
		if i+w > n {
			break
		}
		i += w
	}
	return s[:i]
}

func hashHex(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// fitPath joins segs, keeping the whole under maxPath bytes: a longer path
// keeps the host and the leading directories that fit in keepDirs bytes,
// and the file goes under the last of them, its name shortened with the
// hash of all it replaces (the dropped directories and the name).
func fitPath(segs []string) string {
	p := strings.Join(segs, "/")
	if len(p) <= maxPath {
		return p
	}
	n, kept := len(segs[0]), 1
	for kept < len(segs)-1 && n+1+len(segs[kept]) <= keepDirs {
		n += 1 + len(segs[kept])
		kept++
	}
	rest := strings.Join(segs[kept:], "/")
	name := shorten(segs[len(segs)-1], rest)
	return strings.Join(append(segs[:kept:kept], name), "/")
}
