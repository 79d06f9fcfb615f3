package parser

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// MaxURLLength bounds the length in bytes of an href or URL that Resolve and
// Normalize accept, and of the URL they return. Longer ones are rejected (a
// crawler trap or a data blob, never a page worth fetching); 8 KiB is the
// request-line limit of most HTTP servers.
const MaxURLLength = 8 << 10

var (
	errTooLong     = errors.New("longer than parser.MaxURLLength")
	errNotHTTP     = errors.New("not an http or https URL")
	errNoHost      = errors.New("no host")
	errNotAbsolute = errors.New("not an absolute URL")
	errBadPort     = errors.New("port out of range")
	errNoBaseURL   = errors.New("nil URL")
	errBadHost     = errors.New("character not allowed in a host")
)

// idnaProfile converts hosts to ASCII as the WHATWG URL Standard's "domain to
// ASCII" does (UTS #46, non-transitional, Bidi rule, no hyphen checks),
// except that STD3 rules are off so that '_', common in real host names,
// stays allowed, as browsers allow it. A Profile is safe for concurrent use.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// Normalize parses an absolute URL and returns its normalized fetch form, or
// an error if it is not an absolute http/https URL with a host.
//
// The fetch form has a lowercase scheme and host, the host's IDN labels in
// punycode and an IPv6 host in canonical form, no default port (:80 for http,
// :443 for https), "/" for an empty path, dot segments resolved, no fragment,
// and percent-encoding normalized: escapes of unreserved characters
// (ALPHA DIGIT - . _ ~) decoded, other escapes in uppercase hex, characters
// that must be escaped escaped (a '%' that starts no escape becomes %25). The
// query is not sorted, %2F is not decoded, trailing slashes are left alone
// and userinfo is kept. Normalize is idempotent. Surrounding whitespace,
// tabs and newlines and backslashes are treated as Resolve treats them.
func Normalize(rawURL string) (string, error) {
	if len(rawURL) > MaxURLLength {
		return "", fmt.Errorf("normalize %.64q...: %w", rawURL, errTooLong)
	}
	u, err := url.Parse(cleanRef(rawURL))
	if err != nil {
		return "", fmt.Errorf("normalize: %w", err)
	}
	if !u.IsAbs() {
		return "", fmt.Errorf("normalize %q: %w", rawURL, errNotAbsolute)
	}
	// Resolving against an empty base removes dot segments and nothing else.
	s, err := fetchForm(new(url.URL).ResolveReference(u), nil)
	if err != nil {
		return "", fmt.Errorf("normalize %q: %w", rawURL, err)
	}
	return s, nil
}

// Resolve resolves ref (an href value, which may be relative and may carry
// surrounding whitespace) against base and normalizes the result as
// Normalize does. ok is false for non-http(s) schemes (javascript:, mailto:,
// tel:, data:, ftp:...), invalid URLs, empty hosts, a nil base and results
// longer than MaxURLLength.
//
// As browsers do with href values, Resolve trims leading and trailing ASCII
// whitespace and control characters, removes tabs and newlines anywhere,
// reads a backslash before the query as a slash, and escapes a '%' that
// starts no escape.
func Resolve(base *url.URL, ref string) (string, bool) {
	u, ok := resolveURL(base, ref)
	if !ok {
		return "", false
	}
	s, err := fetchForm(u, nil)
	return s, err == nil
}

// resolveURL parses ref and resolves it against base (which net/url's
// ResolveReference does per RFC 3986, removing dot segments).
func resolveURL(base *url.URL, ref string) (*url.URL, bool) {
	if base == nil || len(ref) > MaxURLLength {
		return nil, false
	}
	r, err := url.Parse(specialSlashes(base, cleanRef(ref)))
	if err != nil {
		return nil, false
	}
	return base.ResolveReference(r), true
}

// specialSlashes reads the slashes of a cleaned ref as the WHATWG URL
// parser does for http and https: any run of two or more slashes before
// the host is "//" ("///host/p" is //host/p, "http:///host" is
// http://host); a scheme that differs from the base's starts an authority
// whatever follows it ("https:host" is https://host/); the base's own
// scheme without "//" is a relative reference ("http:foo" on an http page
// is foo, "http:/foo" is /foo).
func specialSlashes(base *url.URL, ref string) string {
	if strings.HasPrefix(ref, "///") {
		return "//" + strings.TrimLeft(ref, "/")
	}
	i := strings.IndexByte(ref, ':')
	if i < 4 || i > 5 {
		return ref
	}
	scheme := strings.ToLower(ref[:i])
	if scheme != "http" && scheme != "https" {
		return ref
	}
	rest := ref[i+1:]
	slashes := len(rest) - len(strings.TrimLeft(rest, "/"))
	switch {
	case scheme == base.Scheme && slashes < 2:
		if rest == "" || strings.ContainsRune("/?#", rune(rest[0])) {
			return rest
		}
		return "./" + rest // a relative path ("./" keeps a colon in it from reading as a scheme)
	case slashes == 2:
		return ref
	}
	return scheme + "://" + rest[slashes:]
}

// hostCache remembers normalized hosts within one page, where most links
// share a few hosts; nil disables it.
type hostCache map[string]string

// fetchForm serializes u in the fetch form described at Normalize. u must
// already have its dot segments removed (url.ResolveReference does that).
func fetchForm(u *url.URL, hosts hostCache) (string, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", errNotHTTP
	}
	if u.Opaque != "" {
		return "", errNoHost // "http:foo"
	}
	host, err := normalizeHost(u.Hostname(), hosts)
	if err != nil {
		return "", err
	}
	port, err := normalizePort(scheme, u.Port())
	if err != nil {
		return "", err
	}
	path := u.EscapedPath()
	if hasEscapedDot(path) {
		// Decoding %2E may make new dot segments; let net/url remove them.
		if path = normalizePercent(path); hasDotSegment(path) {
			if path, err = removeDotSegments(path); err != nil {
				return "", err
			}
		}
	}
	if path == "" {
		path = "/"
	}

	var b strings.Builder
	b.Grow(len(scheme) + 3 + len(host) + 6 + len(path) + 1 + len(u.RawQuery) + 8)
	b.WriteString(scheme)
	b.WriteString("://")
	if u.User != nil {
		// As the WHATWG URL serializer writes userinfo: none when both
		// parts are empty ("http://@host/"), no ':' for an empty
		// password ("http://a:@host/"), so one page has one spelling.
		name := u.User.Username()
		pw, _ := u.User.Password()
		switch {
		case pw != "":
			writeEscaped(&b, u.User.String(), nil)
			b.WriteByte('@')
		case name != "":
			writeEscaped(&b, url.User(name).String(), nil)
			b.WriteByte('@')
		}
	}
	b.WriteString(host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	writeEscaped(&b, path, nil)
	if u.ForceQuery || u.RawQuery != "" {
		b.WriteByte('?')
		writeEscaped(&b, u.RawQuery, queryMustEscape)
	}
	if b.Len() > MaxURLLength {
		return "", errTooLong
	}
	return b.String(), nil
}

// normalizeHost lowercases a host, converts IDN labels to punycode with
// idnaProfile and writes an IPv6 literal in canonical form with brackets.
// net/url has already rejected hosts with characters it does not allow and
// decoded percent-escaped UTF-8.
func normalizeHost(host string, hosts hostCache) (string, error) {
	if host == "" {
		return "", errNoHost
	}
	if h, ok := hosts[host]; ok {
		return h, nil
	}
	var out string
	if strings.IndexByte(host, ':') >= 0 {
		ip, err := netip.ParseAddr(host)
		if err != nil || ip.Zone() != "" || !ip.Is6() {
			return "", fmt.Errorf("invalid IPv6 host %q", host)
		}
		out = "[" + ip.String() + "]"
	} else {
		a, err := idnaProfile.ToASCII(host)
		if err != nil {
			return "", fmt.Errorf("host %q: %w", host, err)
		}
		if a == "" {
			return "", errNoHost
		}
		if endsInNumber(a) {
			// An IPv4 address however a browser reads one: 0x7f.1,
			// 2130706433 and 0177.0.0.1 are all 127.0.0.1.
			ip, ok := parseIPv4(a)
			if !ok {
				return "", fmt.Errorf("host %q: %w", host, errBadHost)
			}
			a = ip
		}
		if !validHost(a) {
			return "", fmt.Errorf("host %q: %w", a, errBadHost)
		}
		if strings.Contains(a, "xn--") {
			// Some input converts to punycode that does not convert again
			// (invalid UTF-8 or U+FFFD becomes "xn--zn7c"): keep only
			// hosts whose ASCII form is stable, so Normalize is idempotent.
			if again, err := idnaProfile.ToASCII(a); err != nil || again != a {
				return "", fmt.Errorf("host %q: %w", host, errBadHost)
			}
		}
		out = a
	}
	if hosts != nil {
		hosts[host] = out
	}
	return out, nil
}

// validHost reports whether an ASCII host from idnaProfile has only
// characters both net/url and the WHATWG URL Standard allow in a domain.
// The check is needed because UTS #46 maps some non-ASCII characters to
// ASCII delimiters (U+FF0F FULLWIDTH SOLIDUS to '/') and a percent-encoded
// "%25" in the host decodes to '%'.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			continue
		}
		switch c {
		case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
			continue
		}
		return false
	}
	return true
}

// normalizePort drops the scheme's default port and leading zeros.
// net/url has already checked that port is all digits.
func normalizePort(scheme, port string) (string, error) {
	if port == "" {
		return "", nil
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", errBadPort
	}
	if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
		return "", nil
	}
	if port[0] == '0' && len(port) > 1 {
		return strconv.FormatUint(n, 10), nil
	}
	return port, nil
}

// hasDotSegment reports whether an escaped path has a "." or ".." segment.
func hasDotSegment(path string) bool {
	for i := 0; i < len(path); i++ {
		if path[i] != '.' || (i > 0 && path[i-1] != '/') {
			continue
		}
		j := i + 1
		if j < len(path) && path[j] == '.' {
			j++
		}
		if j == len(path) || path[j] == '/' {
			return true
		}
	}
	return false
}

// removeDotSegments removes dot segments from an absolute escaped path with
// net/url's RFC 3986 resolution.
func removeDotSegments(path string) (string, error) {
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", path, err)
	}
	// Built rather than parsed: a path starting with "//" must not be read
	// as an authority. The scheme makes ResolveReference take the path as
	// absolute.
	ref := &url.URL{Scheme: "http", Path: unescaped, RawPath: path}
	return new(url.URL).ResolveReference(ref).EscapedPath(), nil
}

// endsInNumber reports whether a host's last label is a number, which makes
// the WHATWG URL parser read the host as an IPv4 address.
func endsInNumber(host string) bool {
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := ipv4Number(last)
	return ok && (strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X"))
}

// parseIPv4 is the WHATWG URL parser's IPv4 parser: up to four dot-separated
// numbers, each decimal, octal (a leading 0) or hex (0x), the last filling
// the bytes left. It returns the dotted-decimal form.
func parseIPv4(host string) (string, bool) {
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return "", false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok || (i < len(parts)-1 && n > 255) {
			return "", false
		}
		nums[i] = n
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return "", false
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v += n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String(), true
}

// ipv4Number parses one part of an IPv4 host as the WHATWG URL parser does.
func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" {
		return 0, true
	}
	if strings.ContainsAny(s, "+-_") {
		return 0, false // ParseUint takes underscores only with base 0; signs never, but be plain
	}
	n, err := strconv.ParseUint(s, base, 64)
	return n, err == nil
}
