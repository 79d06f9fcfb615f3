package testserver

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// ServedHost is the Host a bare path passed to Served is requested with.
const ServedHost = "127.0.0.1:8080"

// Served returns exactly what Handler sends for a GET of path (with query)
// by a client whose Accept-Encoding is "gzip" and that sends no
// precondition (so never a 304): the status, the header fields the handler
// sets (net/http adds Date, and Transfer-Encoding for a chunked response,
// on the wire), and the body bytes as sent, the gzip-compressed bytes when
// the response is compressed (see Encoded). It runs the handler's own
// code for the path into an httptest.ResponseRecorder, so it cannot drift
// from what is served, and it is deterministic.
//
// path is either a path such as "/p/3" or "/get?id=1", requested with Host
// ServedHost, or an absolute URL such as "http://127.0.0.1:39041/p/3",
// requested with its host: bodies spell some links with the request's host,
// so pass the URL the crawler fetched. Served does not wait for Latency or
// Jitter and is not counted in Requests, Order or Log. ok is false for a
// path the site does not serve as a resource of its model (an unknown path,
// which the handler answers 404) and for the fixtures of hostile and robots
// sites, whose responses depend on timing and on earlier requests.
func (s *Site) Served(path string) (status int, header http.Header, body []byte, ok bool) {
	target := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		if !strings.HasPrefix(path, "/") {
			return 0, nil, nil, false
		}
		target = "http://" + ServedHost + path
	}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	key := req.URL.Path
	if req.URL.RawQuery != "" {
		key += "?" + req.URL.RawQuery
	}
	n := s.byPath[key]
	if n == nil || n.fx != nil {
		return 0, nil, nil, false
	}
	rec := httptest.NewRecorder()
	s.serveNode(rec, req, n)
	res := rec.Result()
	return res.StatusCode, res.Header, rec.Body.Bytes(), true
}

// Decoded returns the body Served returns for path with its
// Content-Encoding undone: the bytes a client that decompresses gzip reads.
// It returns nil when Served's ok is false.
func (s *Site) Decoded(path string) []byte {
	_, h, body, ok := s.Served(path)
	if !ok {
		return nil
	}
	if h.Get("Content-Encoding") != "gzip" {
		return body
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		panic("testserver: served gzip body is invalid: " + err.Error())
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		panic("testserver: served gzip body is invalid: " + err.Error())
	}
	return b
}
