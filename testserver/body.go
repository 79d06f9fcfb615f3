package testserver

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// render renders the body of every node and robots.txt.
func (r *renderer) render() {
	for _, n := range r.b.nodes {
		switch n.kind {
		case kindPage, kindError:
			if n.style == styleFrames {
				r.frames(n)
			} else {
				r.page(n)
			}
		case kindFile:
			if n.path == BigPDFPath {
				// 3 MiB: not worth a copy through the scratch buffer.
				n.body = bigPDF(r.b.cfg.Seed)
				continue
			}
			r.file(n)
		case kindRedirect:
			continue
		}
		r.finish(n)
	}
}

// words writes n escaped vocabulary words separated by spaces.
func (r *renderer) words(n int) {
	for i := range n {
		if i > 0 {
			r.s(" ")
		}
		r.esc(vocabulary[r.b.rng.IntN(len(vocabulary))])
	}
}

func (r *renderer) head(n *node) {
	r.s("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
	r.esc(n.title)
	r.s("</title>\n")
	if n.style == styleBase {
		r.s("<base href=\"" + baseHref + "\">\n")
	}
	r.s("</head>\n")
}

// page renders an HTML page: title, paragraphs, links in a list, iframes and
// an image map, then the decoys.
func (r *renderer) page(n *node) {
	r.head(n)
	r.s("<body>\n<h1 id=\"top\">")
	r.esc(n.title)
	r.s("</h1>\n")
	if n.revision > 0 && n.kind == kindPage {
		r.s("<p class=\"revision\">Revision ")
		r.s(strconv.Itoa(int(n.revision)))
		r.s(" of this page.</p>\n")
	}
	for range n.paras {
		r.s("<p>")
		r.words(6 + r.b.rng.IntN(6))
		r.s(".</p>\n")
	}
	// decorate sorted the links by element: <a> in a list, then iframes,
	// then an image map, so document order is the order of n.links.
	r.s("<ul>\n")
	for i, l := range n.links {
		if l.el != elemA {
			continue
		}
		r.s("<li><a href=\"")
		r.href(n, l)
		r.s("\">link ")
		r.s(strconv.Itoa(i))
		r.s("</a></li>\n")
	}
	r.s("</ul>\n")
	areas := false
	for i, l := range n.links {
		switch l.el {
		case elemIframe:
			r.s("<p><iframe src=\"")
			r.href(n, l)
			r.s("\" title=\"frame " + strconv.Itoa(i) + "\"></iframe></p>\n")
		case elemArea:
			if !areas {
				r.s("<p><img src=\"data:,\" usemap=\"#map\" alt=\"map\"></p>\n<map name=\"map\">\n")
				areas = true
			}
			r.s("<area shape=\"rect\" coords=\"0,0,8,8\" href=\"")
			r.href(n, l)
			r.s("\" alt=\"area " + strconv.Itoa(i) + "\">\n")
		}
	}
	if areas {
		r.s("</map>\n")
	}
	for _, d := range n.decoys {
		r.decoy(d)
	}
	r.s("</body>\n</html>\n")
}

// frames renders a frameset document whose links are all <frame src>.
func (r *renderer) frames(n *node) {
	r.head(n)
	r.s("<frameset cols=\"")
	for i := range n.links {
		if i > 0 {
			r.s(",")
		}
		r.s("*")
	}
	r.s("\">\n")
	for _, l := range n.links {
		r.s("<frame src=\"")
		r.href(n, l)
		r.s("\">\n")
	}
	r.s("</frameset>\n</html>\n")
}

// decoy renders one link look-alike.
func (r *renderer) decoy(d decoy) {
	t := ""
	if d.to >= 0 {
		t = r.b.nodes[d.to].path
	}
	switch d.kind {
	case decoyMailto:
		r.s("<p><a href=\"mailto:someone@example.invalid\">mail us</a></p>\n")
	case decoyJS:
		r.s("<p><a href=\"javascript:location=&#39;" + t + "&#39;\">script link</a></p>\n")
	case decoyTel:
		r.s("<p><a href=\"tel:+15555550100\">call us</a></p>\n")
	case decoyData:
		r.s("<p><a href=\"data:text/html,&lt;a href=/trap&gt;\">data link</a></p>\n")
	case decoyComment:
		r.s("<!-- old navigation: <a href=\"" + t + "\">gone</a> -->\n")
	case decoyScript:
		r.s("<script>var next = \"" + t + "\"; document.write('<a href=\"" + t + "\">x</a>');</script>\n")
	case decoyImg:
		r.s("<p><img src=\"" + t + "\" alt=\"picture\"></p>\n")
	case decoyCSS:
		r.s("<link rel=\"stylesheet\" href=\"" + t + "\">\n")
	case decoyForm:
		r.s("<form action=\"" + t + "\"><input name=\"q\"></form>\n")
	case decoyNoHref:
		r.s("<p><a data-href=\"" + t + "\" name=\"anchor\">anchor without href</a></p>\n")
	case decoyText:
		r.s("<p>Not a link: " + t + " or &lt;a href=\"" + t + "\"&gt;</p>\n")
	case decoyTextarea:
		r.s("<textarea><a href=\"" + t + "\">not parsed</a></textarea>\n")
	case decoyStyle:
		r.s("<style>/* <a href=\"" + t + "\"> */ body { background: url(" + t + ") }</style>\n")
	}
}

// png1x1 is a valid 1x1 transparent PNG.
var png1x1 = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82")

// file renders a non-HTML resource; its link-looking content must not be
// followed because the crawler does not parse non-HTML bodies.
func (r *renderer) file(n *node) {
	t := ""
	if len(n.decoys) > 0 && n.decoys[0].to >= 0 {
		t = r.b.nodes[n.decoys[0].to].path
	}
	switch {
	case strings.HasSuffix(n.path, ".png"):
		r.buf = append(r.buf, png1x1...)
	case strings.HasSuffix(n.path, ".pdf"):
		r.s("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /URI (" + t + ") >>\nendobj\n")
		r.s("% <a href=\"" + t + "\">not a link</a>\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	case n.ctype[0] == pdfType[0]:
		// A PDF without a .pdf extension (/get?id=N).
		r.s("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Title (" + n.path + ") >>\nendobj\n")
		r.s("trailer << /Root 1 0 R >>\n%%EOF\n")
	case n.ctype[0] == zipType[0]:
		r.buf = append(r.buf, zipFile(n.path)...)
	default:
		r.s("Plain text, not HTML: <a href=\"" + t + "\">not a link</a>\n")
		r.hole(holeOrigin)
		r.s(t + "\n")
	}
}

// zipFile returns a zip archive holding one stored file that names path,
// with a fixed modification time, so its bytes never change.
func zipFile(path string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "readme.txt", Method: zip.Store,
		Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err) // a valid header into a bytes.Buffer cannot fail
	}
	io.WriteString(w, "Archive "+path+" of the crawl test site.\n")
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// bigPDF returns BigPDFPath's body: BigPDFSize bytes, "%PDF-1.4\n", then
// bytes of a PCG stream seeded by seed, then "\n%%EOF\n".
func bigPDF(seed int64) []byte {
	const head, tail = "%PDF-1.4\n", "\n%%EOF\n"
	b := make([]byte, BigPDFSize)
	copy(b, head)
	rng := rand.NewPCG(uint64(seed), 0x6269677064660000)
	mid := b[len(head) : len(b)-len(tail)]
	for i := 0; i < len(mid); i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(mid[i:], w[:])
	}
	copy(b[len(b)-len(tail):], tail)
	return b
}

// robotsBody is robots.txt when the Robots feature is on: /private/ is
// disallowed for every agent, and a group for another agent disallows
// everything (a crawler must pick the * group).
const robotsBody = `# robots.txt of the crawl test site
User-agent: BadBot
Disallow: /

User-agent: *
Disallow: /private/
`
