package warc

import (
	"bytes"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"
)

// TestRevisit writes revisit records of both profiles, read back by
// gowarc's strict reader (digests verified), and checks every field, the
// block (the HTTP header alone) and the request record that follows.
func TestRevisit(t *testing.T) {
	prevDate := time.Date(2026, 12, 23, 3, 4, 5, 678000000, time.UTC)
	body := []byte("<html>the same page</html>")
	notModified := func(uri string) Exchange {
		ex := testExchange(uri, nil)
		ex.ResponseHeader = []byte("HTTP/1.1 304 Not Modified\r\nEtag: \"1\"\r\n\r\n")
		ex.Payload, ex.PayloadSize = nil, 0
		return ex
	}
	tests := []struct {
		name        string
		ex          Exchange
		profile     string
		payloadHash string // WARC-Payload-Digest, "" for none
	}{
		{"server-not-modified", notModified("http://example.test/a"), ProfileServerNotModified, ""},
		{"identical-payload-digest", testExchange("http://example.test/b", body), ProfileIdenticalPayloadDigest, sha1Base32(body)},
		{"identical empty payload", testExchange("http://example.test/c", []byte{}), ProfileIdenticalPayloadDigest, sha1Base32(nil)},
		{"identical gzip payload", func() Exchange {
			z := gzipped(t, body)
			ex := testExchange("http://example.test/d", z)
			ex.ResponseHeader = []byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + strconv.Itoa(len(z)) + "\r\n\r\n")
			return ex
		}(), ProfileIdenticalPayloadDigest, sha1Base32(gzipped(t, body))},
	}
	for _, name := range []string{"rv.warc", "rv.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			w, path := mustOpen(t, name, Options{Software: "crawl/test"})
			var positions []Position
			for _, tt := range tests {
				ex := tt.ex
				if ex.Payload != nil {
					ex.Payload.Seek(0, 0)
				}
				ex.Revisit = &Revisit{Profile: tt.profile, RefersToTargetURI: ex.TargetURI, RefersToDate: prevDate}
				pos, err := w.WriteExchange(ex)
				if err != nil {
					t.Fatalf("%s: WriteExchange: %v", tt.name, err)
				}
				positions = append(positions, pos)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			recs := readWARC(t, path)
			if got, want := types(recs), "warcinfo"+strings.Repeat(",revisit,request", len(tests)); got != want {
				t.Fatalf("records %s, want %s", got, want)
			}
			for i, tt := range tests {
				rv, req := recs[1+2*i], recs[2+2*i]
				h := maps.Clone(rv.Header)
				want := map[string]string{
					gowarc.WarcType:              "revisit",
					gowarc.WarcProfile:           tt.profile,
					gowarc.WarcTargetURI:         tt.ex.TargetURI,
					gowarc.WarcRefersToTargetURI: tt.ex.TargetURI,
					gowarc.WarcRefersToDate:      "2026-12-23T03:04:05.678Z",
					gowarc.WarcDate:              "2026-12-24T10:11:12.345678Z",
					gowarc.ContentType:           "application/http;msgtype=response",
					gowarc.ContentLength:         strconv.Itoa(len(tt.ex.ResponseHeader)),
					gowarc.WarcBlockDigest:       sha1Base32(tt.ex.ResponseHeader),
					gowarc.WarcIPAddress:         "127.0.0.1",
					gowarc.WarcWarcinfoID:        recs[0].Header[gowarc.WarcRecordID],
				}
				if tt.payloadHash != "" {
					want[gowarc.WarcPayloadDigest] = tt.payloadHash
				}
				id := h[gowarc.WarcRecordID]
				if !strings.HasPrefix(id, "<urn:uuid:") {
					t.Errorf("%s: WARC-Record-ID %q", tt.name, id)
				}
				delete(h, gowarc.WarcRecordID)
				for k, v := range want {
					if h[k] != v {
						t.Errorf("%s: %s = %q, want %q", tt.name, k, h[k], v)
					}
				}
				for k, v := range h {
					if _, ok := want[k]; !ok {
						t.Errorf("%s: unexpected field %s: %q", tt.name, k, v)
					}
				}
				if !bytes.Equal(rv.Block, tt.ex.ResponseHeader) {
					t.Errorf("%s: block %q, want the HTTP header alone %q", tt.name, rv.Block, tt.ex.ResponseHeader)
				}
				if rv.Offset != positions[i].Offset {
					t.Errorf("%s: revisit at %d, WriteExchange said %d", tt.name, rv.Offset, positions[i].Offset)
				}
				if req.Type != "request" || req.Header[gowarc.WarcConcurrentTo] != id ||
					!bytes.Equal(req.Block, tt.ex.Request) {
					t.Errorf("%s: request record %v, want it concurrent to the revisit", tt.name, req.Header)
				}
			}
			t.Run("warcio", func(t *testing.T) { checkWarcioRevisits(t, path, recs) })
		})
	}
}

// checkWarcioRevisits reads path with warcio (see TestWarcio) and compares
// it with recs, read by gowarc: a revisit's status is its HTTP header's,
// and warcio finds no payload in it.
func checkWarcioRevisits(t *testing.T, path string, recs []readRecord) {
	t.Helper()
	node, dir := warcioEnv(t)
	got := readWarcio(t, node, dir, path)
	if len(got) != len(recs) {
		t.Fatalf("warcio read %d records, gowarc %d", len(got), len(recs))
	}
	for i, r := range got[1:] {
		o := recs[i+1]
		want := warcioRecord{
			Offset: o.Offset, Type: o.Type,
			TargetURI:     o.Header[gowarc.WarcTargetURI],
			RecordID:      o.Header[gowarc.WarcRecordID],
			ConcurrentTo:  o.Header[gowarc.WarcConcurrentTo],
			WarcinfoID:    o.Header[gowarc.WarcWarcinfoID],
			BlockDigest:   o.Header[gowarc.WarcBlockDigest],
			PayloadDigest: o.Header[gowarc.WarcPayloadDigest],
			PayloadSHA1:   sha1Hex(nil),
		}
		if o.Type == "revisit" {
			want.Status = statusOf(o.Block)
		}
		if r != want {
			t.Errorf("record %d: warcio read\n%+v\nwant\n%+v", i+1, r, want)
		}
	}
}

// TestBadRevisit: a Revisit that would not make a valid record is an
// error that writes nothing.
func TestBadRevisit(t *testing.T) {
	date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		edit func(*Exchange)
		want string
	}{
		{"unknown profile", func(e *Exchange) { e.Revisit.Profile = "http://netpreserve.org/warc/1.0/revisit/x" }, "unknown Profile"},
		{"no refers-to uri", func(e *Exchange) { e.Revisit.RefersToTargetURI = "" }, "RefersToTargetURI is empty"},
		{"refers-to uri with CRLF", func(e *Exchange) { e.Revisit.RefersToTargetURI = "http://x/\r\nA: b" }, "RefersToTargetURI has byte"},
		{"no refers-to date", func(e *Exchange) { e.Revisit.RefersToDate = time.Time{} }, "bad RefersToDate"},
		{"truncated", func(e *Exchange) { e.Truncated = "length" }, "Revisit with Truncated"},
	}
	w, path := mustOpen(t, "badrv.warc", Options{})
	for _, tt := range tests {
		ex := testExchange("http://example.test/", []byte("body"))
		ex.Revisit = &Revisit{Profile: ProfileIdenticalPayloadDigest, RefersToTargetURI: ex.TargetURI, RefersToDate: date}
		tt.edit(&ex)
		if _, err := w.WriteExchange(ex); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: WriteExchange = %v, want %q", tt.name, err, tt.want)
		}
	}
	w.Close()
	if recs := readWARC(t, path); types(recs) != "warcinfo" {
		t.Errorf("records %s, want none after warcinfo", types(recs))
	}
}
