package crawler_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/store/warc"
	"github.com/crawl-dev/crawl/testserver"
)

// generationSwitch serves whichever generation of a site the test set
// last, at one address: a re-crawl's history is keyed by URL.
type generationSwitch struct {
	site atomic.Pointer[testserver.Site]
}

func (g *generationSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.site.Load().Handler().ServeHTTP(w, r)
}

// crawlWARC crawls cfg into a new WARC file at path and returns the
// crawl's records.
func crawlWARC(t *testing.T, cfg crawler.Config, base, path string) crawlResult {
	t.Helper()
	w, err := warc.Open(path, warc.Options{Software: "crawl-test/1"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.WARC = w
	res := runCrawl(t, cfg, base)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestWARCRevisits crawls generation 0 of a changing site, then
// generation 1 with the first crawl's output as Config.Since, both into
// WARC files, and checks the second file: a 304 to a conditional request
// is a server-not-modified revisit record, a 2xx with the previous body
// fingerprint an identical-payload-digest one (its WARC-Payload-Digest the
// first crawl's), both with the HTTP header alone as block and referring
// to the first crawl's record by URL and fetched_at; every other final
// response is a response record. gowarc's strict reader checks every
// record and digest, warcio too when CRAWL_TEST_WARCIO is set.
func TestWARCRevisits(t *testing.T) {
	for _, name := range []string{"night.warc", "night.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			scfg := testserver.Config{Pages: 400, Links: 5, Seed: 7, Features: testserver.Encoded}
			sw := &generationSwitch{}
			sw.site.Store(testserver.New(scfg))
			srv := httptest.NewServer(sw)
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			cfg := testConfig()
			cfg.Seeds, cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = []string{srv.URL + "/"}, 4, 8, 4

			first := crawlWARC(t, cfg, srv.URL, filepath.Join(dir, "first-"+name))
			firstRecs := readWARCFile(t, filepath.Join(dir, "first-"+name))
			out := filepath.Join(dir, "first.jsonl")
			writeOutput(t, out, first)
			firstAt := map[int64]warcRecord{}
			for _, r := range firstRecs {
				firstAt[r.Offset] = r
			}

			scfg.Generation = 1
			sw.site.Store(testserver.New(scfg))
			var err error
			if cfg.Since, err = crawler.LoadHistory(out); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name)
			second := crawlWARC(t, cfg, srv.URL, path)
			recs := readWARCFile(t, path)
			at := map[int64]int{}
			for i, r := range recs {
				at[r.Offset] = i
				checkDigests(t, r)
				if r.Type == "revisit" {
					if req := recs[i+1]; req.Type != "request" || req.Header[gowarc.WarcConcurrentTo] != r.Header[gowarc.WarcRecordID] {
						t.Errorf("revisit of %s: then %s %v, want its request", r.Header[gowarc.WarcTargetURI], req.Type, req.Header)
					}
				}
			}

			counts := map[string]int{}
			for u, r := range second.records {
				if r.WARC == nil {
					continue
				}
				i, ok := at[r.WARC.Offset]
				if !ok {
					t.Errorf("%s: its warc %+v is no record's start", u, *r.WARC)
					continue
				}
				rec := recs[i]
				prev := first.records[u]
				kind := "response"
				switch {
				case r.Status == http.StatusNotModified:
					kind = warc.ProfileServerNotModified
				case r.Change == crawler.ChangeUnchanged && r.Status >= 200 && r.Status < 300 && r.Fingerprint != "":
					kind = warc.ProfileIdenticalPayloadDigest
				}
				counts[kind]++
				if kind == "response" {
					if rec.Type != "response" {
						t.Errorf("%s (%d, %s): a %s record, want response", u, r.Status, r.Change, rec.Type)
					}
					continue
				}
				h := rec.Header
				line, _, payload := httpParts(t, rec.Block)
				if rec.Type != "revisit" || h[gowarc.WarcProfile] != kind || h[gowarc.WarcTargetURI] != u ||
					h[gowarc.ContentType] != "application/http;msgtype=response" || len(payload) != 0 {
					t.Errorf("%s (%d, %s): %s record %v with %d payload bytes, want a revisit of profile %s, header alone",
						u, r.Status, r.Change, rec.Type, h, len(payload), kind)
					continue
				}
				if want := "HTTP/1.1 " + strconv.Itoa(r.Status) + " " + http.StatusText(r.Status); line != want {
					t.Errorf("%s: status line %q, want %s", u, line, want)
				}
				if h[gowarc.WarcRefersToTargetURI] != prev.URL {
					t.Errorf("%s: WARC-Refers-To-Target-URI %q, want %q", u, h[gowarc.WarcRefersToTargetURI], prev.URL)
				}
				if d, err := time.Parse(time.RFC3339Nano, h[gowarc.WarcRefersToDate]); err != nil || !d.Equal(prev.FetchedAt) {
					t.Errorf("%s: WARC-Refers-To-Date %q (%v), want the first crawl's fetched_at %v", u, h[gowarc.WarcRefersToDate], err, prev.FetchedAt)
				}
				if tr, ok := h[gowarc.WarcTruncated]; ok {
					t.Errorf("%s: WARC-Truncated %q on a revisit", u, tr)
				}
				digest, hasDigest := h[gowarc.WarcPayloadDigest]
				switch {
				case kind == warc.ProfileServerNotModified && hasDigest:
					t.Errorf("%s: a server-not-modified revisit with WARC-Payload-Digest %s", u, digest)
				case kind == warc.ProfileIdenticalPayloadDigest:
					orig := firstAt[prev.WARC.Offset]
					if orig.Type != "response" || digest == "" || digest != orig.Header[gowarc.WarcPayloadDigest] {
						t.Errorf("%s: WARC-Payload-Digest %q, want the first crawl's %s record's %q", u, digest, orig.Type, orig.Header[gowarc.WarcPayloadDigest])
					}
					_, _, origPayload := httpParts(t, orig.Block)
					if want := sha1B32(origPayload); digest != want {
						t.Errorf("%s: WARC-Payload-Digest %s, want %s of the payload archived before", u, digest, want)
					}
				}
				if !bytes.HasSuffix(rec.Block, []byte("\r\n\r\n")) {
					t.Errorf("%s: block does not end with the blank line", u)
				}
			}
			t.Logf("final records: %v", counts)
			if counts["response"] == 0 || counts[warc.ProfileServerNotModified] == 0 || counts[warc.ProfileIdenticalPayloadDigest] == 0 {
				t.Errorf("final records %v: want some of each kind", counts)
			}
			checkWarcio(t, path, recs)
		})
	}
}

// writeOutput writes a crawl's records to a JSONL file at path, the
// history of the next night.
func writeOutput(t *testing.T, path string, res crawlResult) {
	t.Helper()
	jw, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.records {
		if err := jw.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := jw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWARCRevisitChains: over three nights, a page unchanged on the second
// and third is a revisit on both, and both refer to the first night's full
// capture, not the third to the second's revisit. Records say so in
// captured_at: the date of the full capture on unchanged 2xx and 304
// records, absent on the others.
func TestWARCRevisitChains(t *testing.T) {
	scfg := testserver.Config{Pages: 300, Links: 5, Seed: 11, Features: testserver.Encoded}
	sw := &generationSwitch{}
	sw.site.Store(testserver.New(scfg))
	srv := httptest.NewServer(sw)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := testConfig()
	cfg.Seeds, cfg.MaxDepth, cfg.Concurrency, cfg.PerHost = []string{srv.URL + "/"}, 4, 8, 4

	var nights []crawlResult
	for gen := range 3 {
		scfg.Generation = gen
		sw.site.Store(testserver.New(scfg))
		if gen > 0 {
			out := filepath.Join(dir, strconv.Itoa(gen-1)+".jsonl")
			writeOutput(t, out, nights[gen-1])
			var err error
			if cfg.Since, err = crawler.LoadHistory(out); err != nil {
				t.Fatal(err)
			}
		}
		nights = append(nights, crawlWARC(t, cfg, srv.URL, filepath.Join(dir, strconv.Itoa(gen)+".warc")))
	}
	// captured is when a night's record's content was fetched in full.
	captured := func(r *store.Record) time.Time {
		if r.CapturedAt != nil {
			return *r.CapturedAt
		}
		return r.FetchedAt
	}
	for night := 1; night < 3; night++ {
		for u, r := range nights[night].records {
			prev := nights[night-1].records[u]
			unchanged := r.Change == crawler.ChangeUnchanged && (r.Status == http.StatusNotModified || r.Status >= 200 && r.Status < 300)
			switch {
			case unchanged && (r.CapturedAt == nil || !r.CapturedAt.Equal(captured(prev))):
				t.Errorf("night %d: %s (%d, unchanged): captured_at %v, want the previous record's capture %v", night, u, r.Status, r.CapturedAt, captured(prev))
			case !unchanged && r.CapturedAt != nil:
				t.Errorf("night %d: %s (%d, %s): captured_at %v, want none", night, u, r.Status, r.Change, *r.CapturedAt)
			}
		}
	}
	recs := readWARCFile(t, filepath.Join(dir, "2.warc"))
	byOffset := map[int64]warcRecord{}
	for _, r := range recs {
		byOffset[r.Offset] = r
	}
	chains := 0
	for u, r := range nights[2].records {
		if r.WARC == nil {
			continue
		}
		rec := byOffset[r.WARC.Offset]
		if rec.Type != "revisit" {
			continue
		}
		first, second := nights[0].records[u], nights[1].records[u]
		want := captured(second)
		if second.CapturedAt != nil {
			chains++
			if !want.Equal(first.FetchedAt) {
				t.Errorf("%s: unchanged on night 2 but its capture %v is not night 1's %v", u, want, first.FetchedAt)
			}
		}
		if d, err := time.Parse(time.RFC3339Nano, rec.Header[gowarc.WarcRefersToDate]); err != nil || !d.Equal(want) {
			t.Errorf("%s: WARC-Refers-To-Date %q, want the full capture's %v", u, rec.Header[gowarc.WarcRefersToDate], want)
		}
	}
	if chains == 0 {
		t.Error("no page was a revisit on both later nights")
	}
	t.Logf("%d revisits of night 3 refer to night 1", chains)
}
