package testserver

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
)

var (
	binType   = []string{"application/octet-stream"}
	xhtmlType = []string{"application/xhtml+xml"}
	upperType = []string{"TEXT/HTML; CHARSET=UTF-8"}
)

// streamHead is the start of the HTML bodies that are streamed: the title
// comes first, so that a crawler that keeps only the first bytes still
// reads it.
func streamHead(title string) []byte {
	return []byte("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title + "</title></head><body>\n")
}

// slow adds the fixtures that answer slowly or never.
func (b *hostileBuilder) slow() {
	b.entry(b.add(&fixture{path: "/slow/never", act: actNever}).path)
	b.entry(b.add(&fixture{path: "/slow/drip", act: actDrip, status: 200, ctype: htmlType,
		body: streamHead("Dripping page"), size: -1}).path)
	f := b.page("/slow/latency", "Slow page")
	f.delay = b.cfg.Latency
	b.entry(f.path)
}

// sizes adds the fixtures whose bodies are too large for any crawler to
// keep.
func (b *hostileBuilder) sizes() {
	b.entry(b.add(&fixture{path: "/size/endless", act: actEndless, status: 200, ctype: htmlType,
		title: "Endless body", body: streamHead("Endless body"), size: -1}).path)
	b.entry(b.add(&fixture{path: "/size/large", act: actSized, status: 200, ctype: htmlType,
		title: "Large body", body: streamHead("Large body"), size: b.cfg.LargeSize}).path)
	b.entry(b.add(&fixture{path: "/size/large.bin", act: actSized, status: 200, ctype: binType,
		size: b.cfg.LargeSize}).path)
	b.entry(b.add(&fixture{path: "/size/bomb", act: actBomb, status: 200, ctype: htmlType,
		title: "Gzip bomb", encoding: "gzip", size: BombSize, body: []byte(bombPrefix)}).path)
}

// The gzip bomb is one gzip member holding bombPrefix followed by
// bombMembers copies of one member holding bombChunk bytes of "<p>": a
// multi-member gzip stream (RFC 1952 2.2) that every gzip reader,
// net/http's included, inflates whole. Building it compresses 1 MiB once.
const (
	bombPrefix    = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Gzip bomb</title></head><body>\n"
	bombPrefixLen = len(bombPrefix)
	bombChunk     = 3 * 349_525 // "<p>" 349525 times: just under 1 MiB
	bombMembers   = 1025
)

// buildBomb returns the gzip bomb's compressed bytes (about 1 MiB).
func buildBomb() ([]byte, error) {
	var member bytes.Buffer
	if err := gzipTo(&member, bytes.Repeat([]byte("<p>"), bombChunk/3)); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(64 + bombMembers*member.Len())
	if err := gzipTo(&out, []byte(bombPrefix)); err != nil {
		return nil, err
	}
	for range bombMembers {
		out.Write(member.Bytes()) // bytes.Buffer.Write never fails
	}
	return out.Bytes(), nil
}

// gzipTo appends one gzip member holding data to buf.
func gzipTo(buf *bytes.Buffer, data []byte) error {
	zw, err := gzip.NewWriterLevel(buf, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("gzip bomb: %w", err)
	}
	if _, err := zw.Write(data); err != nil {
		return fmt.Errorf("gzip bomb: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip bomb: %w", err)
	}
	return nil
}

// redirects adds the hostile redirects. Every redirect target is reached
// only through its redirect, so the expected depth is unambiguous.
func (b *hostileBuilder) redirects() {
	redirect := func(path string, status int, location, target string) *fixture {
		return b.add(&fixture{path: path, status: status, location: location, target: target})
	}
	b.entry(redirect("/redir/self", 302, "/redir/self", "/redir/self").path)
	// A two-cycle: y's relative Location leads back to x.
	b.entry(redirect("/redir/x", 301, "/redir/y", "/redir/y").path)
	redirect("/redir/y", 302, "x", "/redir/x")
	// A chain two hops longer than the default limit.
	hops := DefaultMaxRedirects + 2
	for k := range hops {
		next := "/redir/long/" + itoa(k+1)
		if k == hops-1 {
			next = "/redir/long/end"
		}
		redirect("/redir/long/"+itoa(k), redirects[k%len(redirects)], next, next)
	}
	b.page("/redir/long/end", "End of a long redirect chain")
	b.entry("/redir/long/0")
	out := "http://" + ExternalHost + "/elsewhere"
	b.ext = append(b.ext, out)
	b.entry(redirect("/redir/out", 302, out, out).path)
	// Unusable Locations: recorded with an error, nothing queued. The
	// bodies link to a trap: 3xx bodies are not parsed.
	trap := b.trap("redirect-body")
	for _, u := range []struct{ path, location string }{
		{"/redir/garbage", "http://[::1"},
		{"/redir/bad-escape", "http://%zz/"},
		{"/redir/non-http", "ftp://example.invalid/file"},
	} {
		f := redirect(u.path, 302, u.location, "")
		f.ctype, f.body = htmlType, pageHTML("Moved", []string{trap}, "")
		b.entry(f.path)
	}
	b.entry(redirect("/redir/rel/from", 307, "../landing?via=relative", "/redir/landing?via=relative").path)
	b.page("/redir/landing?via=relative", "Landing of a relative redirect")
	b.entry(b.add(&fixture{path: "/redir/no-location", status: 302, ctype: htmlType,
		body: pageHTML("Moved somewhere", []string{trap}, "")}).path)
	b.entry(b.add(&fixture{path: "/redir/not-modified", status: 304}).path)
}

// retries adds the fixtures that fail, transiently or for good.
func (b *hostileBuilder) retries() {
	for _, e := range []struct {
		path   string
		status int
		retry  retryStyle
	}{
		{"/retry/429-seconds", 429, retrySeconds},
		{"/retry/429-date", 429, retryDate},
		{"/retry/503", 503, retryNone},
		{"/retry/503-seconds", 503, retrySeconds},
		{"/retry/408", 408, retryNone},
		{"/retry/403", 403, retryNone},
		{"/retry/410", 410, retryNone},
	} {
		b.errorPage(e.path, e.status).retryAfter = e.retry
		b.entry(e.path)
	}
	f := b.page("/retry/flaky", "Flaky page, served at last")
	f.failFirst, f.failStatus = int64(b.cfg.FailFirst), 500
	f.failBody = errorHTML(500, b.trap("error-body"))
	b.entry(f.path)
}

// types adds bodies that are not what they claim, or claim nothing.
func (b *hostileBuilder) types() {
	b.entry(b.add(&fixture{path: "/types/garbage", status: 200, ctype: htmlType,
		body: garbage(b.cfg.Seed, 4096, "<")}).path)
	trap := b.trap("binary")
	b.entry(b.add(&fixture{path: "/types/doc.pdf", status: 200, ctype: pdfType,
		body: []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /URI (" + trap + ") >>\nendobj\n" +
			"% <a href=\"" + trap + "\">not a link</a>\ntrailer << /Root 1 0 R >>\n%%EOF\n")}).path)
	b.entry(b.add(&fixture{path: "/types/img.png", status: 200, ctype: pngType, body: png1x1}).path)
	b.entry(b.add(&fixture{path: "/types/empty", status: 200, ctype: htmlType}).path)
	// No Content-Type at all: a crawler must sniff the body as HTML.
	f := b.page("/types/no-type", "No Content-Type", "/types/no-type/child")
	f.ctype = nil
	b.page("/types/no-type/child", "Found through a sniffed page")
	b.entry(f.path)
	f = b.page("/types/xhtml", "XHTML page", "/types/xhtml/child")
	f.ctype = xhtmlType
	f.body = []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">" +
		"<head><title>XHTML page</title></head><body><p><a href=\"/types/xhtml/child\">child</a></p></body></html>\n")
	b.page("/types/xhtml/child", "Found through an XHTML page")
	b.entry(f.path)
	f = b.page("/types/upper-case", "Upper-case Content-Type", "/types/upper-case/child")
	f.ctype = upperType
	b.page("/types/upper-case/child", "Found through an upper-case type")
	b.entry(f.path)
}

// garbage returns n deterministic random bytes from seed: a NUL first (so
// that no byte order mark or markup starts the body), none of the bytes in
// avoid.
func garbage(seed int64, n int, avoid string) []byte {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6761726261676521))
	out := make([]byte, n)
	for i := 1; i < n; i++ {
		c := byte(rng.Uint32())
		for strings.IndexByte(avoid, c) >= 0 {
			c = byte(rng.Uint32())
		}
		out[i] = c
	}
	return out
}

func statusName(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Status"
}
