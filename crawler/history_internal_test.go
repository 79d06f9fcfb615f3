package crawler

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/crawl-dev/crawl/frontier"
)

// TestChange applies the change rules to one result against one previous
// record each.
func TestChange(t *testing.T) {
	page := &Prior{Status: 200, Fingerprint: "aa", ContentType: "text/html", ETag: `"1"`}
	redirect := &Prior{Status: 301, Target: "http://h/b"}
	missing := &Prior{Status: 404, ErrorKind: "http_4xx"}
	resp := func(status int) *Response {
		return &Response{Status: status, Header: http.Header{}, MediaType: "text/html"}
	}
	tests := []struct {
		name  string
		prior *Prior
		res   Result
		want  string
	}{
		{"no prior", nil, Result{Response: resp(200), Fingerprint: "aa"}, ChangeNew},
		{"prior no longer reached", &Prior{Gone: true}, Result{Response: resp(200)}, ChangeNew},
		{"gone item", page, Result{lease: frontier.Lease{Item: frontier.Item{Mode: modeGone}}}, ChangeGone},
		{"304", page, Result{Response: resp(304), notModified: true}, ChangeUnchanged},
		{"same body", page, Result{Response: resp(200), Fingerprint: "aa"}, ChangeUnchanged},
		{"other body", page, Result{Response: resp(200), Fingerprint: "bb"}, ChangeChanged},
		{"now 404", page, Result{Response: resp(404), Kind: KindHTTP4xx, Err: "http status 404"}, ChangeGone},
		{"now 410", page, Result{Response: resp(410), Kind: KindHTTP4xx, Err: "http status 410"}, ChangeGone},
		{"still 404", missing, Result{Response: resp(404), Kind: KindHTTP4xx, Err: "http status 404"}, ChangeUnchanged},
		{"back from 404", missing, Result{Response: resp(200), Fingerprint: "aa"}, ChangeChanged},
		{"now redirects", page, Result{Response: resp(301), Target: "http://h/b"}, ChangeMoved},
		{"same redirect", redirect, Result{Response: resp(301), Target: "http://h/b"}, ChangeUnchanged},
		{"redirects elsewhere", redirect, Result{Response: resp(301), Target: "http://h/c"}, ChangeMoved},
		{"now 500", page, Result{Response: resp(500), Kind: KindHTTP5xx, Err: "http status 500"}, ChangeChanged},
		{"network error", page, Result{Kind: KindTimeout, Err: "timeout"}, ChangeChanged},
		{"same error", &Prior{ErrorKind: "timeout"}, Result{Kind: KindTimeout, Err: "timeout"}, ChangeUnchanged},
		{"body not read, same etag", &Prior{Status: 200, ContentType: "text/html", ETag: `"1"`},
			Result{Response: &Response{Status: 200, Header: http.Header{"Etag": {`"1"`}}, MediaType: "text/html"}}, ChangeUnchanged},
		{"body not read, no validators", &Prior{Status: 200, ContentType: "text/html"}, Result{Response: resp(200)}, ChangeUnchanged},
		{"body not read, other type", &Prior{Status: 200, ContentType: "image/png"}, Result{Response: resp(200)}, ChangeChanged},
		{"body not read, validator changed", &Prior{Status: 200, ContentType: "text/html", ETag: `"1"`},
			Result{Response: &Response{Status: 200, Header: http.Header{"Etag": {`"2"`}}, MediaType: "text/html"}}, ChangeChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.res
			r.prior = tt.prior
			if got := r.change(); got != tt.want {
				t.Errorf("change() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLoadHistorySkipsNonURLs keeps only records of normalized http(s)
// URLs: a record without one would make a gone item no request can be.
func TestLoadHistorySkipsNonURLs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "prev.jsonl")
	lines := `{"url":""}
{"url":"mailto:a@b"}
{"url":"::::"}
{"url":"http://h.example/a","status":200,"generation":4}
`
	if err := os.WriteFile(p, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := LoadHistory(p)
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 1 || h.Generation() != 4 {
		t.Errorf("LoadHistory kept %d records of generation %d, want 1 of 4", h.Len(), h.Generation())
	}
}
