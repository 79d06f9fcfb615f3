package testserver

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxUnknown bounds how many distinct paths outside the model (unknown
// paths, pages of a hostile site's generated families) Requests counts;
// further ones are counted under UnknownOverflow.
const maxUnknown = 10000

// UnknownOverflow is the Requests key that counts requests for paths
// outside the model once maxUnknown distinct ones have been counted.
const UnknownOverflow = "(other unknown paths)"

// hostForms are the Host-dependent parts of bodies for one Host header.
type hostForms struct {
	host   string
	tls    bool
	origin string // scheme://host, unescaped, for Location headers
	forms  [numHoles][]byte
}

// formsFor returns the rendered host parts for a request, reusing the last
// ones when the Host is unchanged (the common case: one server, one host).
func (s *Site) formsFor(r *http.Request) *hostForms {
	host, tls := r.Host, r.TLS != nil
	if host == "" && r.URL != nil {
		host = r.URL.Host // a client-side request served in memory
	}
	if hf := s.hosts.Load(); hf != nil && hf.host == host && hf.tls == tls {
		return hf
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	h := host
	if h == "" {
		h = "localhost"
	}
	alt := altHost(h)
	hf := &hostForms{host: host, tls: tls, origin: scheme + "://" + h}
	hf.forms[holeOrigin] = []byte(escapeString(hf.origin))
	hf.forms[holeUpper] = []byte(escapeString(strings.ToUpper(hf.origin)))
	hf.forms[holeHost] = []byte(escapeString(h))
	hf.forms[holeAlt] = []byte(escapeString(scheme + "://" + alt))
	s.hosts.Store(hf)
	return hf
}

// altHost returns another name for the host of host[:port], with the same
// port: 127.0.0.1 for localhost, localhost for anything else.
func altHost(host string) string {
	alt := "localhost"
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	if strings.EqualFold(name, "localhost") {
		alt = "127.0.0.1"
	}
	if port != "" {
		alt = net.JoinHostPort(alt, port)
	}
	return alt
}

func escapeString(str string) string {
	r := renderer{}
	r.esc(str)
	return string(r.buf)
}

// Handler returns the handler that serves the site: robots.txt, every
// resource of the model, and 404 for anything else. It records every request
// (see Requests, Order, MaxInflight, Log). HTML responses of a generated
// site wait Latency plus the path's jitter first, or until the request's
// context is done; hostile fixtures behave as their descriptions say.
// Pages and files of a generated site send validators and answer
// conditional GET and HEAD with 304 (see "Generations and validators" in
// the package documentation).
func (s *Site) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Site) serveHTTP(w http.ResponseWriter, r *http.Request) {
	cur := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for {
		m := s.maxInflight.Load()
		if cur <= m || s.maxInflight.CompareAndSwap(m, cur) {
			break
		}
	}
	seq := s.seq.Add(1)
	lw := &logWriter{ResponseWriter: w}
	entry := Request{Seq: seq, Method: r.Method, Host: r.Host, UserAgent: r.UserAgent(), Start: time.Now()}
	entry.Path = s.route(lw, r, seq)
	entry.End, entry.Status, entry.Bytes = time.Now(), lw.status, lw.bytes
	s.log.add(entry)
}

// route serves one request and returns its log key.
func (s *Site) route(w http.ResponseWriter, r *http.Request, seq int64) string {
	// The lookup key is the decoded path plus the raw query: a request for
	// /%70/1 counts as /p/1, so fetching one page twice under two
	// spellings shows up as two requests of one path.
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	n := s.byPath[key]
	var f *fixture
	var hits int64
	if n != nil {
		hits = n.hit(seq)
		f = n.fx
	} else {
		s.logOther(key, seq)
		if s.hostile != nil {
			f = s.hostile.dynamic(s, key)
		}
		if f == nil {
			http.NotFound(w, r)
			return key
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return key
	}
	if f != nil {
		s.serveFixture(w, r, f, hits)
		return key
	}
	if n.delay > 0 && !sleep(r.Context(), n.delay) {
		return key
	}
	s.serveNode(w, r, n)
	return key
}

// serveNode writes the response of model node n (not a hostile fixture)
// without waiting or counting: the code path both Handler and Served use.
func (s *Site) serveNode(w http.ResponseWriter, r *http.Request, n *node) {
	hf := s.formsFor(r)
	h := w.Header()
	if n.kind == kindRedirect {
		h["Location"] = []string{n.location(s.nodes, hf)}
		h["Content-Length"] = zeroLength // what net/http would add anyway
		w.WriteHeader(n.status)
		return
	}
	h["Content-Type"] = n.ctype
	if n.kind == kindFile {
		h["X-Content-Type-Options"] = nosniff
	}
	gz := false
	if n.enc == encGzip {
		h["Vary"] = varyAE
		gz = acceptsGzip(r)
	}
	if n.vclass != valNA {
		v := s.validatorsOf(n, gz)
		v.set(h)
		if notModified(r, v) {
			writeNotModified(w)
			return
		}
	}
	switch n.enc {
	case encGzip:
		if gz {
			h["Content-Encoding"] = gzipEnc
			z := gzipBody(n, hf)
			h["Content-Length"] = []string{strconv.Itoa(len(z))}
			w.WriteHeader(n.status)
			if r.Method != http.MethodHead {
				w.Write(z) // an error means the client went away
			}
			return
		}
	case encChunked:
		// No Content-Length and several flushes: net/http sends the body
		// with Transfer-Encoding: chunked.
		w.WriteHeader(n.status)
		if r.Method != http.MethodHead {
			writeChunked(w, fillHoles(n, hf))
		}
		return
	}
	size := len(n.body)
	for _, ho := range n.holes {
		size += len(hf.forms[ho.kind])
	}
	h["Content-Length"] = []string{strconv.Itoa(size)}
	w.WriteHeader(n.status)
	if r.Method != http.MethodHead {
		writeBody(w, n, hf)
	}
}

var (
	varyAE     = []string{"Accept-Encoding"}
	gzipEnc    = []string{"gzip"}
	zeroLength = []string{"0"}
)

// acceptsGzip reports whether the request's Accept-Encoding lists gzip
// (or x-gzip) with a q-value other than 0.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "x-gzip" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ToLower(strings.ReplaceAll(params, " ", "")), "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// fillHoles returns n's body with the host parts filled in.
func fillHoles(n *node, hf *hostForms) []byte {
	size := len(n.body)
	for _, ho := range n.holes {
		size += len(hf.forms[ho.kind])
	}
	b := make([]byte, 0, size)
	prev := 0
	for _, ho := range n.holes {
		b = append(b, n.body[prev:ho.off]...)
		b = append(b, hf.forms[ho.kind]...)
		prev = int(ho.off)
	}
	return append(b, n.body[prev:]...)
}

// gzipBody returns n's body, host parts filled in, gzip-compressed at the
// default level with an empty gzip header: the same bytes on every call.
func gzipBody(n *node, hf *hostForms) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(fillHoles(n, hf)) // writes to a bytes.Buffer do not fail
	zw.Close()
	return buf.Bytes()
}

// chunkedWrites is how many flushed writes a chunked response is cut into.
const chunkedWrites = 3

// writeChunked writes body in chunkedWrites parts, flushing after each.
func writeChunked(w http.ResponseWriter, body []byte) {
	rc := http.NewResponseController(w)
	for i := range chunkedWrites {
		part := body[i*len(body)/chunkedWrites : (i+1)*len(body)/chunkedWrites]
		if _, err := w.Write(part); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// sleep waits for d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var nosniff = []string{"nosniff"}

// writeBody writes n's body with the host parts filled in. Write errors
// mean the client went away; the handler has nothing left to do then.
func writeBody(w http.ResponseWriter, n *node, hf *hostForms) {
	prev := 0
	for _, ho := range n.holes {
		if _, err := w.Write(n.body[prev:ho.off]); err != nil {
			return
		}
		if _, err := w.Write(hf.forms[ho.kind]); err != nil {
			return
		}
		prev = int(ho.off)
	}
	if _, err := w.Write(n.body[prev:]); err != nil {
		return
	}
}

// logOther counts a request for a path that is not a node of the model:
// an unknown path, or a page of a hostile site's generated families.
func (s *Site) logOther(key string, seq int64) {
	s.mu.Lock()
	c := s.unknown[key]
	if c == nil {
		if len(s.unknown) >= s.maxUnknown {
			key = UnknownOverflow
			c = s.unknown[key]
		}
		if c == nil {
			c = &counter{}
			s.unknown[key] = c
		}
	}
	s.mu.Unlock()
	c.hit(seq)
}

// Requests returns how many requests each path received since New or the
// last Reset, keyed like Expectation.Records: the decoded path plus the raw
// query, robots.txt under "/robots.txt". Paths never requested are absent.
func (s *Site) Requests() map[string]int {
	m := make(map[string]int)
	for p, n := range s.byPath {
		if h := n.hits.Load(); h > 0 {
			m[p] = int(h)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, c := range s.unknown {
		if h := c.hits.Load(); h > 0 {
			m[p] = int(h)
		}
	}
	return m
}

// Order returns every requested path once, in the order of its first
// request since New or the last Reset.
func (s *Site) Order() []string {
	type first struct {
		path string
		seq  int64
	}
	var fs []first
	for p, n := range s.byPath {
		if q := n.first.Load(); q > 0 {
			fs = append(fs, first{p, q})
		}
	}
	s.mu.Lock()
	for p, c := range s.unknown {
		if q := c.first.Load(); q > 0 {
			fs = append(fs, first{p, q})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(fs, func(a, b first) int { return cmp.Compare(a.seq, b.seq) })
	paths := make([]string, len(fs))
	for i, f := range fs {
		paths[i] = f.path
	}
	return paths
}

// MaxInflight returns the largest number of requests the handler was serving
// at once since New or the last Reset.
func (s *Site) MaxInflight() int { return int(s.maxInflight.Load()) }

// Reset clears the request log (counts, order, MaxInflight, Log) and the
// per-path counters that hostile fixtures answer by (failures before
// success, session ids), so that the site serves a new crawl as it served
// the first. Requests in flight during Reset may or may not be counted.
func (s *Site) Reset() {
	for _, n := range s.byPath {
		n.reset()
	}
	s.mu.Lock()
	clear(s.unknown)
	s.mu.Unlock()
	s.maxInflight.Store(0)
	s.log.reset()
	if s.hostile != nil {
		s.hostile.reset()
	}
}
