package testserver

import (
	"strconv"
	"strings"
)

// variant is a spelling of a link to a page of this site. Every variant of
// a link to path P resolves (RFC 3986 / WHATWG URL) and normalizes to P.
type variant uint8

const (
	vPath      variant = iota // /p/3
	vRelative                 // 3, ../list?page=2&sort=asc
	vAbsolute                 // http://host:port/p/3
	vUpper                    // HTTP://HOST:PORT/p/3
	vSchemeRel                // //host:port/p/3
	vDotSlash                 // ./3
	vDotDot                   // ../p/3 (one ../ per directory level; above the root at "/")
	vDotMid                   // /up/.././p/3
	vFragment                 // /p/3#section-N
	vPercent                  // /%70/3, /p/%33 (one unreserved character %-encoded)
	vEntity                   // /p/&#51; (one character as an HTML character reference)
	vSpace                    // "  /p/3\n" (white space the URL parser strips)
	numVariants
	vSelfFragment // #top: the page itself
	vSelfEmpty    // "": the page itself
)

// element is the tag that carries a followable link.
type element uint8

const (
	elemA element = iota // in document order: <a> first, then <iframe>, then <area>
	elemIframe
	elemArea
	elemFrame
)

// decoyKind is something that looks like a link but must not be followed.
type decoyKind uint8

const (
	decoyMailto decoyKind = iota
	decoyJS
	decoyTel
	decoyData
	decoyComment
	decoyScript
	decoyImg
	decoyCSS
	decoyForm
	decoyNoHref
	decoyText
	decoyTextarea
	decoyStyle
	numDecoys
)

var decoyNames = [numDecoys]string{"mailto", "js", "tel", "data", "comment", "script", "img", "css", "form", "nohref", "text", "textarea", "style"}

type decoy struct {
	kind decoyKind
	to   int32 // trap page, -1 for none
}

// genDecoys gives page i link look-alikes: every kind on the home page, two
// random kinds elsewhere.
func (b *builder) genDecoys(n *node, i int) {
	add := func(k decoyKind) {
		to := int32(-1)
		switch k {
		case decoyMailto, decoyTel, decoyData:
		default:
			to = b.trap(decoyNames[k], i)
		}
		n.decoys = append(n.decoys, decoy{kind: k, to: to})
	}
	if i == 0 {
		for k := range numDecoys {
			add(k)
		}
		return
	}
	for range 2 {
		add(decoyKind(b.rng.IntN(int(numDecoys))))
	}
}

// Location spellings of a redirect.
const (
	locPath     = iota // /moved/3
	locAbsolute        // http://host:port/moved/3
	locRelative        // ../moved/3
	locDots            // /up/../moved/3
	numLocStyles
)

// holeKind is a part of a body that depends on the request's Host: bodies are
// rendered once with these parts left out and filled in when served.
type holeKind uint8

const (
	holeOrigin holeKind = iota // http://host:port
	holeUpper                  // HTTP://HOST:PORT
	holeHost                   // host:port
	holeAlt                    // http://otherhost:port
	numHoles
)

type hole struct {
	off  int32 // offset in the body
	kind holeKind
}

// renderer writes bodies into a scratch buffer and copies each finished body
// into large shared chunks, so a big site costs few allocations.
type renderer struct {
	b      *builder
	buf    []byte
	holes  []hole
	chunk  []byte
	hchunk []hole
}

func (r *renderer) s(str string) { r.buf = append(r.buf, str...) }

func (r *renderer) hole(k holeKind) {
	r.holes = append(r.holes, hole{off: int32(len(r.buf)), kind: k})
}

// esc writes str escaped for HTML text and quoted attribute values.
func (r *renderer) esc(str string) {
	for i := 0; i < len(str); i++ {
		switch c := str[i]; c {
		case '&':
			r.s("&amp;")
		case '<':
			r.s("&lt;")
		case '>':
			r.s("&gt;")
		case '"':
			r.s("&#34;")
		case '\'':
			r.s("&#39;")
		default:
			r.buf = append(r.buf, c)
		}
	}
}

// finish moves the current body into the shared chunks and assigns it to n.
func (r *renderer) finish(n *node) {
	// Chunks grow from 32 KiB to 1 MiB: small sites stay small, big ones
	// make few allocations.
	const minChunk, maxChunk = 32 << 10, 1 << 20
	if cap(r.chunk)-len(r.chunk) < len(r.buf) {
		r.chunk = make([]byte, 0, max(min(maxChunk, 2*cap(r.chunk)), minChunk, len(r.buf)))
	}
	start := len(r.chunk)
	r.chunk = append(r.chunk, r.buf...)
	n.body = r.chunk[start:len(r.chunk):len(r.chunk)]
	if len(r.holes) > 0 {
		if cap(r.hchunk)-len(r.hchunk) < len(r.holes) {
			r.hchunk = make([]hole, 0, max(min(maxChunk/8, 2*cap(r.hchunk)), minChunk/8, len(r.holes)))
		}
		hs := len(r.hchunk)
		r.hchunk = append(r.hchunk, r.holes...)
		n.holes = r.hchunk[hs:len(r.hchunk):len(r.hchunk)]
	}
	r.buf = r.buf[:0]
	r.holes = r.holes[:0]
}

// dir returns the directory part of a canonical path: everything up to and
// including the last slash before any query.
func dir(path string) string {
	if q := strings.IndexByte(path, '?'); q >= 0 {
		path = path[:q]
	}
	return path[:strings.LastIndexByte(path, '/')+1]
}

// relative returns a relative reference from directory d to path t.
func relative(d, t string) string {
	if strings.HasPrefix(t, d) {
		rest := t[len(d):]
		if rest == "" || rest[0] == '?' || strings.ContainsRune(firstSegment(rest), ':') {
			return "./" + rest
		}
		return rest
	}
	return strings.Repeat("../", strings.Count(d, "/")-1) + t[1:]
}

func firstSegment(s string) string {
	if i := strings.IndexAny(s, "/?"); i >= 0 {
		return s[:i]
	}
	return s
}

// href writes the attribute value of link l on page n.
func (r *renderer) href(n *node, l link) {
	if l.ext > 0 {
		r.esc(r.b.ext[l.ext-1])
		return
	}
	t := r.b.nodes[l.to].path
	if l.alt {
		r.hole(holeAlt)
		r.esc(t)
		return
	}
	d := dir(n.path)
	if n.style == styleBase {
		d = baseHref
	}
	pathPart, query := t, ""
	if q := strings.IndexByte(t, '?'); q >= 0 {
		pathPart, query = t[:q], t[q:]
	}
	switch l.v {
	case vPath:
		r.esc(t)
	case vRelative:
		r.esc(relative(d, t))
	case vAbsolute:
		r.hole(holeOrigin)
		r.esc(t)
	case vUpper:
		r.hole(holeUpper)
		r.esc(t)
	case vSchemeRel:
		r.s("//")
		r.hole(holeHost)
		r.esc(t)
	case vDotSlash:
		r.s("./")
		r.esc(relative(d, t))
	case vDotDot:
		r.s(strings.Repeat("../", max(1, strings.Count(d, "/")-1)))
		r.esc(t[1:])
	case vDotMid:
		r.s("/up/.././")
		r.esc(t[1:])
	case vFragment:
		r.esc(t)
		r.s("#section-")
		r.s(strconv.Itoa(r.b.rng.IntN(9)))
	case vPercent, vEntity:
		pos := r.pick(pathPart)
		if pos < 0 {
			r.esc(t)
			return
		}
		c := pathPart[pos]
		r.esc(pathPart[:pos])
		if l.v == vPercent {
			const upper, lower = "0123456789ABCDEF", "0123456789abcdef"
			hex := upper
			if r.b.rng.IntN(2) == 0 {
				hex = lower
			}
			r.buf = append(r.buf, '%', hex[c>>4], hex[c&15])
		} else if r.b.rng.IntN(2) == 0 {
			r.s("&#")
			r.s(strconv.Itoa(int(c)))
			r.s(";")
		} else {
			r.s("&#x")
			r.s(strconv.FormatInt(int64(c), 16))
			r.s(";")
		}
		r.esc(pathPart[pos+1:])
		r.esc(query)
	case vSpace:
		r.s("  ")
		r.esc(t)
		r.s("\n ")
	case vSelfFragment:
		r.s("#top")
	case vSelfEmpty:
	}
}

// pick returns the index of a random non-slash character of p, or -1.
func (r *renderer) pick(p string) int {
	n := len(p) - strings.Count(p, "/")
	if n == 0 {
		return -1
	}
	k := r.b.rng.IntN(n)
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			continue
		}
		if k == 0 {
			return i
		}
		k--
	}
	return -1
}

// location returns the Location of redirect n as served for the given host
// forms.
func (n *node) location(nodes []*node, hf *hostForms) string {
	if n.target < 0 {
		return n.ext
	}
	t := nodes[n.target].path
	switch n.locStyle {
	case locAbsolute:
		return hf.origin + t
	case locRelative:
		return relative(dir(n.path), t)
	case locDots:
		return "/up/../" + t[1:]
	}
	return t
}
