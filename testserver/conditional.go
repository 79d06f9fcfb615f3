package testserver

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// validatorClass is which validators a 200 of a generated site sends and
// how honest they are. Every HTML page and file of a generated site (not
// robots.txt, redirects or error pages) has one, fixed by a hash of the
// seed and its path, so it is the same in every generation.
type validatorClass uint8

const (
	valNA       validatorClass = iota // not a 200 of a generated site: no validators, no conditional requests
	valStrong                         // ~65%: strong ETag and Last-Modified
	valNone                           // ~10%: neither
	valWeak                           // ~10%: weak ETag and Last-Modified
	valModified                       // ~5%: Last-Modified only
	valLying                          // ~5%: an ETag that changes every generation, and Last-Modified
	valStuck                          // ~5%: a strong ETag, and a Last-Modified that never moves
)

// Shares of the validator classes, in percent; the rest is valStuck.
const (
	pctStrong   = 65
	pctNone     = 10
	pctWeak     = 10
	pctModified = 5
	pctLying    = 5
)

// modifiedBase is the Last-Modified of a body of revision 0; revision r is
// r days later.
var modifiedBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// classOf is the validator class of a generated site's 200 resource.
func classOf(seed int64, path string) validatorClass {
	h := fnv.New64a()
	h.Write([]byte(path)) // hash.Hash.Write never returns an error
	switch u := mix64(h.Sum64()^mix64(uint64(seed)^0x76616c6964)) % 100; {
	case u < pctStrong:
		return valStrong
	case u < pctStrong+pctNone:
		return valNone
	case u < pctStrong+pctNone+pctWeak:
		return valWeak
	case u < pctStrong+pctNone+pctWeak+pctModified:
		return valModified
	case u < pctStrong+pctNone+pctWeak+pctModified+pctLying:
		return valLying
	}
	return valStuck
}

// validators are the ETag and Last-Modified of one representation.
type validators struct {
	etag     string    // the ETag field value, "" for none
	modified time.Time // zero for no Last-Modified
}

// validatorsOf returns the validators of node n's 200 in this generation,
// for the gzip representation when gz is set: a strong ETag differs per
// content coding (RFC 9110 §8.8.3), a weak one does not.
func (s *Site) validatorsOf(n *node, gz bool) validators {
	if n.vclass == valNA || n.vclass == valNone {
		return validators{}
	}
	tag := hex16(pathHash(s.cfg.Seed, n.path, n.revision))
	sfx := ""
	if gz {
		sfx = "-gzip"
	}
	v := validators{modified: modifiedBase.AddDate(0, 0, int(n.revision))}
	switch n.vclass {
	case valStrong:
		v.etag = `"` + tag + sfx + `"`
	case valWeak:
		v.etag = `W/"` + tag + `"`
	case valLying:
		v.etag = `"` + tag + "-g" + strconv.Itoa(s.cfg.Generation) + sfx + `"`
	case valStuck:
		v.etag = `"` + tag + sfx + `"`
		v.modified = modifiedBase
	}
	return v
}

// hex16 is x in 16 lower-case hex digits.
func hex16(x uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[x&15]
		x >>= 4
	}
	return string(b[:])
}

// lastModified is the Last-Modified field value, "" for none.
func (v validators) lastModified() string {
	if v.modified.IsZero() {
		return ""
	}
	return v.modified.Format(http.TimeFormat)
}

// set adds the validators to a response header.
func (v validators) set(h http.Header) {
	if v.etag != "" {
		h["Etag"] = []string{v.etag}
	}
	if lm := v.lastModified(); lm != "" {
		h["Last-Modified"] = []string{lm}
	}
}

// notModified evaluates the preconditions of a GET or HEAD of a 200
// resource with validators v as RFC 9110 §13.2.2 orders them (there is no
// If-Match or If-Unmodified-Since to evaluate: the site has no state to
// protect): If-None-Match when present, with the weak comparison (a "*"
// matches any current representation); otherwise If-Modified-Since, when
// the resource has a Last-Modified and the field is one valid HTTP-date,
// at one-second resolution. It reports whether the answer is 304.
func notModified(r *http.Request, v validators) bool {
	if inm := strings.Join(r.Header.Values("If-None-Match"), ","); strings.TrimSpace(inm) != "" {
		return noneMatchFails(inm, v.etag)
	}
	ims := r.Header.Values("If-Modified-Since")
	if v.modified.IsZero() || len(ims) != 1 {
		return false
	}
	t, err := http.ParseTime(ims[0])
	if err != nil {
		return false // an invalid date is ignored (RFC 9110 §13.1.3)
	}
	return !v.modified.Truncate(time.Second).After(t.Truncate(time.Second))
}

// noneMatchFails reports whether the If-None-Match field value list
// matches etag (the current representation's; "" when it has none) by the
// weak comparison, or is "*". Parsing stops at the first malformed member.
func noneMatchFails(list, etag string) bool {
	want := opaque(etag)
	for list != "" {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			break
		}
		if list[0] == '*' {
			return true
		}
		tag, rest, ok := scanETag(list)
		if !ok {
			return false
		}
		if want != "" && opaque(tag) == want {
			return true
		}
		list = rest
	}
	return false
}

// scanETag reads one entity-tag (W/"..." or "...") from the start of s and
// returns it and the rest of s.
func scanETag(s string) (tag, rest string, ok bool) {
	start := s
	s = strings.TrimPrefix(s, "W/")
	if len(s) < 2 || s[0] != '"' {
		return "", "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			n := len(start) - len(s) + i + 1
			return start[:n], start[n:], true
		case c == 0x21 || c >= 0x23 && c <= 0x7e || c >= 0x80:
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// opaque is an entity-tag without its weakness indicator, for the weak
// comparison.
func opaque(tag string) string { return strings.TrimPrefix(tag, "W/") }

// writeNotModified answers 304: the header the 200 would have, without the
// fields that describe its body, and no body.
func writeNotModified(w http.ResponseWriter) {
	h := w.Header()
	delete(h, "Content-Type")
	delete(h, "Content-Length")
	delete(h, "Content-Encoding")
	w.WriteHeader(http.StatusNotModified)
}
