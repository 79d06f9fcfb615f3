package crawler_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"github.com/crawl-dev/crawl/store/warc"
	"github.com/crawl-dev/crawl/testserver"
)

// warcRecord is one record of a WARC file as gowarc's strictest reader
// found it, with its raw block: the tests split and hash blocks themselves.
type warcRecord struct {
	Type   string
	Offset int64
	Header map[string]string // the first value of each field read
	Block  []byte
}

var warcFieldNames = []string{
	gowarc.WarcType, gowarc.WarcRecordID, gowarc.WarcDate, gowarc.WarcTargetURI, gowarc.WarcIPAddress,
	gowarc.WarcConcurrentTo, gowarc.WarcRefersTo, gowarc.WarcWarcinfoID, gowarc.WarcBlockDigest,
	gowarc.WarcPayloadDigest, gowarc.WarcTruncated, gowarc.ContentType, gowarc.ContentLength, gowarc.WarcFilename,
	gowarc.WarcProfile, gowarc.WarcRefersToTargetURI, gowarc.WarcRefersToDate,
}

// readWARCFile reads every record of path with gowarc failing on any
// syntax error, spec violation, unknown record type or block error, and
// on any digest it finds wrong.
func readWARCFile(t *testing.T, path string) []warcRecord {
	t.Helper()
	rd, err := gowarc.NewWarcFileReader(path, 0, gowarc.WithStrictValidation(), gowarc.WithBlockErrorPolicy(gowarc.ErrFail))
	if err != nil {
		t.Fatalf("gowarc: open %s: %v", path, err)
	}
	defer rd.Close()
	var recs []warcRecord
	for r, err := range rd.Records() {
		if err != nil {
			t.Fatalf("gowarc: %s: record %d: %v", path, len(recs), err)
		}
		wr := r.WarcRecord
		if len(r.Validation) > 0 {
			t.Fatalf("gowarc: %s: record %d: findings %v", path, len(recs), r.Validation)
		}
		if err := wr.Block().Cache(); err != nil {
			t.Fatalf("gowarc: record %d: %v", len(recs), err)
		}
		if findings, err := wr.ValidateDigest(); err != nil || len(findings) > 0 {
			t.Fatalf("gowarc: record %d at %d: digests: %v %v", len(recs), r.Offset, err, findings)
		}
		rec := warcRecord{Type: wr.Type().String(), Offset: r.Offset, Header: map[string]string{}}
		for _, name := range warcFieldNames {
			if wr.WarcHeader().Has(name) {
				rec.Header[name] = wr.WarcHeader().Get(name)
			}
		}
		raw, err := wr.Block().RawBytes()
		if err == nil {
			rec.Block, err = io.ReadAll(raw)
		}
		if err != nil {
			t.Fatalf("gowarc: record %d: block: %v", len(recs), err)
		}
		recs = append(recs, rec)
		r.Close()
	}
	return recs
}

// sha1B32 is a WARC digest as WARC 1.1 labels it: "sha1:" and the base32
// (RFC 4648) of the SHA-1 of b.
func sha1B32(b []byte) string {
	sum := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

// httpParts splits an application/http block at its first empty line:
// the status or request line, the header fields, and the payload.
func httpParts(t *testing.T, block []byte) (line string, header http.Header, payload []byte) {
	t.Helper()
	end := bytes.Index(block, []byte("\r\n\r\n"))
	if end < 0 {
		t.Fatalf("http block without an empty line: %.200q", block)
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(block[:end+4])))
	line, err := tp.ReadLine()
	if err != nil {
		t.Fatalf("http block: %v", err)
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("http block header: %v", err)
	}
	return line, http.Header(mh), block[end+4:]
}

// checkDigests checks a record's Content-Length and digests against its
// block, hashed here; a response's payload digest is of the bytes after
// the HTTP header.
func checkDigests(t *testing.T, r warcRecord) {
	t.Helper()
	if got, want := r.Header[gowarc.ContentLength], strconv.Itoa(len(r.Block)); got != want {
		t.Errorf("record at %d: Content-Length %s, block has %s bytes", r.Offset, got, want)
	}
	if got, want := r.Header[gowarc.WarcBlockDigest], sha1B32(r.Block); got != want {
		t.Errorf("record at %d: WARC-Block-Digest %s, want %s", r.Offset, got, want)
	}
	if r.Type == "response" {
		_, _, payload := httpParts(t, r.Block)
		if got, want := r.Header[gowarc.WarcPayloadDigest], sha1B32(payload); got != want {
			t.Errorf("record at %d: WARC-Payload-Digest %s, want %s", r.Offset, got, want)
		}
	}
}

// headerAt reads the WARC header of the record that starts at offset in
// path, without gowarc: a gzip member of its own for .warc.gz.
func headerAt(t *testing.T, path string, offset int64) textproto.MIMEHeader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("offset %d is not the start of a gzip member: %v", offset, err)
		}
		zr.Multistream(false)
		r = zr
	}
	tp := textproto.NewReader(bufio.NewReader(r))
	if line, err := tp.ReadLine(); err != nil || line != "WARC/1.1" {
		t.Fatalf("offset %d: first line %q (%v), want WARC/1.1", offset, line, err)
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("offset %d: WARC header: %v", offset, err)
	}
	return h
}

// pathKey keys a URL like testserver's request counts: decoded path and
// raw query.
func pathKey(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("url %q: %v", rawURL, err)
	}
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

// TestWARCOfCrawl crawls a site with gzip, chunked, redirected, 4xx, 5xx
// (retried), robots-disallowed and spooled (3 MiB) responses into a WARC
// file and checks it, read back by gowarc's strict reader, against what
// the server logged and sent: one response and one request record per
// request, payloads byte-exact as on the wire (still gzip, de-chunked),
// digests, and the JSONL records' warc references.
func TestWARCOfCrawl(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 40, Links: 5, Seed: 11, Features: testserver.Encoded |
		testserver.Redirects | testserver.Errors | testserver.Robots | testserver.Files})
	for _, name := range []string{"crawl.warc", "crawl.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			site.Reset()
			const depth, retries = 3, 1
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			w, err := warc.Open(path, warc.Options{Software: "crawl-test/1", Command: []string{"crawl", "--warc", path}})
			if err != nil {
				t.Fatal(err)
			}
			base := serve(t, site)
			cfg := testConfig()
			cfg.Seeds, cfg.MaxDepth, cfg.Retries = []string{base + "/"}, depth, retries
			cfg.Concurrency, cfg.PerHost, cfg.WARC = 8, 4, w
			start := time.Now()
			res := runCrawl(t, cfg, base)
			end := time.Now()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			checkRecords(t, res, site.Expect("/", depth), retries)
			if files, _ := os.ReadDir(dir); len(files) != 1 {
				t.Errorf("%d files beside the WARC file, want none (spooled payloads left?)", len(files)-1)
			}

			recs := readWARCFile(t, path)
			if len(recs) == 0 {
				t.Fatal("an empty WARC file")
			}
			info := recs[0]
			if info.Type != "warcinfo" || info.Header[gowarc.WarcFilename] != name ||
				info.Header[gowarc.ContentType] != "application/warc-fields" {
				t.Fatalf("first record: %s %v, want warcinfo of %s", info.Type, info.Header, name)
			}
			for _, field := range []string{"software: crawl-test/1\r\n", "format: WARC File Format 1.1\r\n", "command: crawl --warc " + path + "\r\n"} {
				if !bytes.Contains(info.Block, []byte(field)) {
					t.Errorf("warcinfo lacks %q:\n%s", field, info.Block)
				}
			}
			checkDigests(t, info)
			if (len(recs)-1)%2 != 0 {
				t.Fatalf("%d records after warcinfo, want response-request pairs", len(recs)-1)
			}

			responses := map[string]int{}     // by request path: how many
			last := map[string]int64{}        // by URL: offset of its last response
			ids := map[string]bool{}          // every WARC-Record-ID
			var gzipped, chunked, spooled int // responses of each kind
			for i := 1; i < len(recs); i += 2 {
				resp, req := recs[i], recs[i+1]
				target := resp.Header[gowarc.WarcTargetURI]
				if resp.Type != "response" || req.Type != "request" {
					t.Fatalf("records %d, %d: %s, %s, want response then request", i, i+1, resp.Type, req.Type)
				}
				for _, r := range []warcRecord{resp, req} {
					checkDigests(t, r)
					if id := r.Header[gowarc.WarcRecordID]; ids[id] {
						t.Errorf("WARC-Record-ID %s twice", id)
					} else {
						ids[id] = true
					}
					if r.Header[gowarc.WarcWarcinfoID] != info.Header[gowarc.WarcRecordID] {
						t.Errorf("%s %s: WARC-Warcinfo-ID %s, want %s", r.Type, target, r.Header[gowarc.WarcWarcinfoID], info.Header[gowarc.WarcRecordID])
					}
					if r.Header[gowarc.WarcIPAddress] != "127.0.0.1" {
						t.Errorf("%s %s: WARC-IP-Address %q", r.Type, target, r.Header[gowarc.WarcIPAddress])
					}
					if d, err := time.Parse(time.RFC3339Nano, r.Header[gowarc.WarcDate]); err != nil || d.Before(start) || d.After(end) {
						t.Errorf("%s %s: WARC-Date %s (%v), not during the crawl", r.Type, target, r.Header[gowarc.WarcDate], err)
					}
				}
				if req.Header[gowarc.WarcConcurrentTo] != resp.Header[gowarc.WarcRecordID] || req.Header[gowarc.WarcTargetURI] != target ||
					req.Header[gowarc.WarcDate] != resp.Header[gowarc.WarcDate] {
					t.Errorf("request of %s: %v, want it concurrent to %v", target, req.Header, resp.Header)
				}
				if resp.Header[gowarc.ContentType] != "application/http;msgtype=response" || req.Header[gowarc.ContentType] != "application/http;msgtype=request" {
					t.Errorf("%s: Content-Types %q and %q", target, resp.Header[gowarc.ContentType], req.Header[gowarc.ContentType])
				}
				if tr, ok := resp.Header[gowarc.WarcTruncated]; ok {
					t.Errorf("%s: WARC-Truncated %q, but every body was read whole", target, tr)
				}
				checkRequestBlock(t, req, target, cfg.UserAgent)
				key := pathKey(t, target)
				responses[key]++
				last[target] = resp.Offset

				status, header, body, ok := site.Served(target)
				if !ok {
					t.Errorf("%s: archived, but the site does not serve it", target)
					continue
				}
				line, got, payload := httpParts(t, resp.Block)
				if want := "HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status); line != want {
					t.Errorf("%s: status line %q, want %q", target, line, want)
				}
				if !bytes.Equal(payload, body) {
					t.Errorf("%s: payload of %d bytes differs from the %d the server sent", target, len(payload), len(body))
				}
				if _, err := http.ParseTime(got.Get("Date")); err != nil {
					t.Errorf("%s: Date %q: %v", target, got.Get("Date"), err)
				}
				want := header.Clone()
				want["Date"] = got["Date"]
				if !maps.EqualFunc(got, want, func(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }) {
					t.Errorf("%s: header fields\n%v\nwant the server's\n%v", target, got, want)
				}
				switch {
				case header.Get("Content-Encoding") == "gzip":
					gzipped++
				case header.Get("Content-Length") == "":
					chunked++
				case len(body) > 256<<10:
					spooled++
				}
			}
			if gzipped == 0 || chunked == 0 || spooled == 0 {
				t.Errorf("%d gzip, %d chunked, %d spooled responses archived: the site should have each", gzipped, chunked, spooled)
			}
			if !maps.Equal(responses, site.Requests()) {
				t.Errorf("response records by path\n%v\nwant one per request the server logged\n%v", responses, site.Requests())
			}
			if n := len(site.Log()); n != (len(recs)-1)/2 || site.LogDropped() != 0 {
				t.Errorf("%d exchanges archived, the server logged %d (%d dropped)", (len(recs)-1)/2, n, site.LogDropped())
			}
			if responses["/robots.txt"] != 1 || responses["/error/0"] != 1+retries {
				t.Errorf("robots.txt archived %d times, the retried /error/0 %d times", responses["/robots.txt"], responses["/error/0"])
			}

			for u, r := range res.records {
				off, fetched := last[u]
				switch {
				case !fetched && r.WARC != nil:
					t.Errorf("%s: not requested, but its record points at %+v", u, *r.WARC)
				case !fetched:
				case r.WARC == nil || r.WARC.File != name || r.WARC.Offset != off:
					t.Errorf("%s: record's warc %+v, want {%s %d}, its last response", u, r.WARC, name, off)
				default:
					if h := headerAt(t, path, r.WARC.Offset); h.Get("WARC-Type") != "response" || h.Get("WARC-Target-URI") != u {
						t.Errorf("%s: the record at %d is %s of %s", u, r.WARC.Offset, h.Get("WARC-Type"), h.Get("WARC-Target-URI"))
					}
				}
				if fetched && responses[pathKey(t, u)] != r.Attempts {
					t.Errorf("%s: %d attempts, %d responses archived", u, r.Attempts, responses[pathKey(t, u)])
				}
			}
			checkWarcio(t, path, recs)
		})
	}
}

// checkRequestBlock checks a request record's block: the crawler's GET of
// target as sent.
func checkRequestBlock(t *testing.T, rec warcRecord, target, userAgent string) {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(rec.Block)))
	if err != nil {
		t.Errorf("request of %s: %v", target, err)
		return
	}
	u, _ := url.Parse(target)
	if req.Method != http.MethodGet || req.RequestURI != u.RequestURI() || req.Host != u.Host ||
		req.UserAgent() != userAgent || req.Header.Get("Accept-Encoding") != "gzip, deflate" {
		t.Errorf("request of %s:\n%s", target, rec.Block)
	}
}

// checkWarcio reads path with warcio, as store/warc's TestWarcio does,
// when CRAWL_TEST_WARCIO names a directory whose node_modules has it
// (store/warc/testdata/ci-warcio.sh), and compares it with recs.
func checkWarcio(t *testing.T, path string, recs []warcRecord) {
	t.Helper()
	dir := os.Getenv("CRAWL_TEST_WARCIO")
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(dir, "node_modules", "warcio")); dir == "" || serr != nil || err != nil {
		t.Logf("warcio does not read the file: CRAWL_TEST_WARCIO=%q names no node_modules/warcio, or no node", dir)
		return
	}
	out, err := exec.Command(node, filepath.Join("..", "store", "warc", "testdata", "read.mjs"), dir, path).Output()
	if err != nil {
		t.Fatalf("warcio (read.mjs): %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(recs) {
		t.Fatalf("warcio read %d records, gowarc %d", len(lines), len(recs))
	}
	for i, line := range lines {
		var got struct {
			Offset        int64
			Type          string
			TargetURI     string `json:"target_uri"`
			RecordID      string `json:"record_id"`
			ConcurrentTo  string `json:"concurrent_to"`
			BlockDigest   string `json:"block_digest"`
			PayloadDigest string `json:"payload_digest"`
			Status        int
			PayloadSHA1   string `json:"payload_sha1"`
			PayloadLength int    `json:"payload_length"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("warcio line %q: %v", line, err)
		}
		r := recs[i]
		payload, status := r.Block, 0
		if r.Type != "warcinfo" {
			var line string
			line, _, payload = httpParts(t, r.Block)
			if r.Type == "response" || r.Type == "revisit" {
				status, _ = strconv.Atoi(strings.Fields(line)[1])
			}
		}
		sum := sha1.Sum(payload)
		if got.Offset != r.Offset || got.Type != r.Type || got.TargetURI != r.Header[gowarc.WarcTargetURI] ||
			got.RecordID != r.Header[gowarc.WarcRecordID] || got.ConcurrentTo != r.Header[gowarc.WarcConcurrentTo] ||
			got.BlockDigest != r.Header[gowarc.WarcBlockDigest] || got.PayloadDigest != r.Header[gowarc.WarcPayloadDigest] ||
			got.Status != status || got.PayloadSHA1 != hex.EncodeToString(sum[:]) || got.PayloadLength != len(payload) {
			t.Errorf("record %d: warcio read %+v\nwant %s at %d, %v, payload %d bytes", i, got, r.Type, r.Offset, r.Header, len(payload))
		}
	}
}
