package crawler_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nlnwa/gowarc/v3"

	"github.com/crawl-dev/crawl/store/save"
	"github.com/crawl-dev/crawl/store/warc"
	"github.com/crawl-dev/crawl/testserver"
)

// serve serves site on loopback until the test ends and returns its URL.
func serve(t *testing.T, site *testserver.Site) string {
	t.Helper()
	srv := httptest.NewServer(site.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// openSave opens a save dir, closed when the test ends.
func openSave(t *testing.T, dir string) *save.Dir {
	t.Helper()
	d, err := save.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// openWARC opens a WARC output; the test closes it after the crawl.
func openWARC(t *testing.T, path string) *warc.Writer {
	t.Helper()
	w, err := warc.Open(path, warc.Options{Software: "crawl-test/1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// savedTree returns every file under dir, by slash-separated path relative
// to dir, with the hex sha256 of its bytes. Anything but directories and
// regular files is an error.
func savedTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case e.IsDir():
			return nil
		case !e.Type().IsRegular():
			t.Errorf("%s: a %v in the save dir", p, e.Type())
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		tree[filepath.ToSlash(rel)] = sha256Hex(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// checkOnly checks that dir holds exactly the entries names: a crawl
// writes nowhere else.
func checkOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if slices.Sort(names); !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// byOffset indexes WARC records by their offset.
func byOffset(recs []warcRecord) map[int64]warcRecord {
	m := make(map[int64]warcRecord, len(recs))
	for _, r := range recs {
		m[r.Offset] = r
	}
	return m
}

// TestDownloader is README's downloader: --accept keeps the PDFs a page
// links to, byte for byte (the 3 MiB one too), one record each; HTML pages
// are fetched for their links and not saved; other responses are fetched
// (their body not read) when only their Content-Type can rule them out,
// and not even requested when their extension does.
func TestDownloader(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 60, Links: 5, Seed: 3, Features: testserver.Files})
	isPDF := func(_, mediaType string) bool { return mediaType == "application/pdf" }
	pdfExt := func(p, _ string) bool { return path.Ext(p) == ".pdf" }
	tests := []struct {
		name    string
		accept  []string // as cmd/crawl's --accept appends them
		seed    string
		depth   int
		saves   func(path, mediaType string) bool
		skipped []string // extensions of links never requested
	}{
		{"downloads page", []string{"application/pdf"}, testserver.DownloadsPath, 1, isPDF, nil},
		{"from the home page", []string{"application/pdf"}, "/", 2, isPDF, nil},
		{"by extension", []string{".pdf"}, testserver.DownloadsPath, 1, pdfExt, []string{".png", ".txt", ".zip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site.Reset()
			tmp := t.TempDir()
			dir, warcPath := filepath.Join(tmp, "saved"), filepath.Join(tmp, "dl.warc.gz")
			w := openWARC(t, warcPath)
			base := serve(t, site)
			cfg := testConfig()
			cfg.Seeds, cfg.MaxDepth, cfg.Accept = []string{base + tt.seed}, tt.depth, tt.accept
			cfg.Concurrency, cfg.PerHost, cfg.Save, cfg.WARC = 8, 4, openSave(t, dir), w
			res := runCrawl(t, cfg, base)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			archived := byOffset(readWARCFile(t, warcPath))

			wantRequests, wantTree, recorded := map[string]int{"/robots.txt": 1}, map[string]string{}, 0
			for p, o := range site.Expect(tt.seed, tt.depth).Records {
				r := res.records[base+p]
				if slices.Contains(tt.skipped, path.Ext(p)) {
					if r != nil {
						t.Errorf("%s: recorded, but its extension rules it out: %+v", p, r)
					}
					continue
				}
				wantRequests[p], recorded = 1, recorded+1
				if r == nil {
					t.Errorf("%s: not recorded", p)
					continue
				}
				if r.Status != o.Status || r.ContentType != o.ContentType || r.Depth != o.Depth || r.Error != "" {
					t.Errorf("%s: status %d, type %q, depth %d, error %q; want %d, %q, %d and none",
						p, r.Status, r.ContentType, r.Depth, r.Error, o.Status, o.ContentType, o.Depth)
				}
				_, _, body, _ := site.Served(base + p)
				u, _ := url.Parse(r.URL)
				switch {
				case tt.saves(p, o.ContentType):
					want := sha256Hex(body)
					if r.Saved != save.PathFor(u, o.ContentType) || r.SHA256 != want || r.Bytes != int64(len(body)) {
						t.Errorf("%s: saved %q, sha256 %s, %d bytes; want %q, %s, %d", p, r.Saved, r.SHA256, r.Bytes,
							save.PathFor(u, o.ContentType), want, len(body))
					}
					wantTree[save.PathFor(u, o.ContentType)] = want
				case r.Saved != "" || r.SHA256 != "":
					t.Errorf("%s (%s): saved as %q (sha256 %s), but not accepted", p, o.ContentType, r.Saved, r.SHA256)
				case o.ContentType == "text/html":
					if r.Bytes != int64(len(body)) || !slices.Equal(r.Links, site.Links(p, base)) {
						t.Errorf("%s: page of %d bytes with links %q; want %d bytes, links %q", p, r.Bytes, r.Links, len(body), site.Links(p, base))
					}
				default: // requested, its body not read
					if r.Bytes != 0 || r.WARC == nil {
						t.Fatalf("%s: %d bytes read, warc %v; want 0 and a response record", p, r.Bytes, r.WARC)
					}
					resp := archived[r.WARC.Offset]
					if _, _, payload := httpParts(t, resp.Block); len(payload) != 0 || resp.Header[gowarc.WarcTruncated] != "length" {
						t.Errorf("%s: archived with %d payload bytes, WARC-Truncated %q; want 0, length", p, len(payload), resp.Header[gowarc.WarcTruncated])
					}
				}
			}
			if len(res.records) != recorded || len(res.dups) > 0 {
				t.Errorf("%d records (duplicates: %v), want %d, one per URL", len(res.records), res.dups, recorded)
			}
			if got := site.Requests(); !maps.Equal(got, wantRequests) {
				t.Errorf("requests\n%v\nwant\n%v", got, wantRequests)
			}
			if tree := savedTree(t, dir); !maps.Equal(tree, wantTree) {
				t.Errorf("saved files\n%v\nwant\n%v", tree, wantTree)
			}
			if big := res.records[base+testserver.BigPDFPath]; big == nil || big.Saved == "" || big.Bytes != testserver.BigPDFSize {
				t.Errorf("%s: %+v, want it saved whole", testserver.BigPDFPath, big)
			}
			checkOnly(t, tmp, "saved", "dl.warc.gz")
		})
	}
}

// TestSaveLayoutOfCrawl checks the save dir of a crawl against the layout
// rule: every 2xx body, decoded, at save.PathFor of its URL and type, with
// its sha256 in the record; nothing for other records; nothing else in the
// dir or beside it.
func TestSaveLayoutOfCrawl(t *testing.T) {
	for _, tt := range []struct {
		name     string
		features testserver.Features
	}{
		{"plain", 0},
		{"features", testserver.Encoded | testserver.Redirects | testserver.Errors | testserver.Robots |
			testserver.Files | testserver.Query},
	} {
		t.Run(tt.name, func(t *testing.T) {
			site := testserver.New(testserver.Config{Pages: 40, Links: 5, Seed: 5, Features: tt.features})
			const depth = 3
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "saved")
			base := serve(t, site)
			cfg := testConfig()
			cfg.Seeds, cfg.MaxDepth, cfg.Retries = []string{base + "/"}, depth, 0
			cfg.Concurrency, cfg.PerHost, cfg.Save = 8, 4, openSave(t, dir)
			res := runCrawl(t, cfg, base)
			checkRecords(t, res, site.Expect("/", depth), 0)

			want, by := map[string]string{}, map[string]string{}
			for u, r := range res.records {
				if r.Status < 200 || r.Status > 299 {
					if r.Saved != "" || r.SHA256 != "" {
						t.Errorf("%s: status %d, saved %q sha256 %q; want neither", u, r.Status, r.Saved, r.SHA256)
					}
					continue
				}
				pu, _ := url.Parse(u)
				rel, sum := save.PathFor(pu, r.ContentType), sha256Hex(site.Decoded(u))
				if r.Saved != rel || r.SHA256 != sum || !filepath.IsLocal(rel) {
					t.Errorf("%s: saved %q, sha256 %s; want %q, %s", u, r.Saved, r.SHA256, rel, sum)
				}
				if other, ok := by[rel]; ok {
					t.Fatalf("%s and %s both map to %s: the site should not make the layout ambiguous", u, other, rel)
				}
				want[rel], by[rel] = sum, u
			}
			if len(want) < 30 {
				t.Fatalf("%d files expected: the site is too small to test the layout", len(want))
			}
			if tree := savedTree(t, dir); !maps.Equal(tree, want) {
				for rel := range maps.Keys(tree) {
					if tree[rel] != want[rel] {
						t.Errorf("saved %s: sha256 %q, want %q (of %s)", rel, tree[rel], want[rel], by[rel])
					}
				}
				for rel := range maps.Keys(want) {
					if _, ok := tree[rel]; !ok {
						t.Errorf("%s: not saved (%s)", rel, by[rel])
					}
				}
			}
			checkOnly(t, tmp, "saved")
		})
	}
}

// TestMaxBodySaved crawls with a MaxBody that cuts about half the pages
// (plain and gzip) and the 3 MiB PDF: a cut body is saved with exactly
// MaxBody bytes of the decoded body, the record says truncated, and the
// WARC response record holds a prefix of the wire bytes, with
// WARC-Truncated: length when it is shorter than what was sent (always for
// a body sent as is). Bodies that fit are saved and archived whole.
func TestMaxBodySaved(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 40, Links: 5, Seed: 11, Features: testserver.Encoded | testserver.Files})
	const maxBody = 560
	tmp := t.TempDir()
	dir, warcPath := filepath.Join(tmp, "saved"), filepath.Join(tmp, "cut.warc.gz")
	w := openWARC(t, warcPath)
	base := serve(t, site)
	cfg := testConfig()
	// /downloads/ fits in maxBody: all its links are found.
	cfg.Seeds, cfg.MaxDepth, cfg.MaxBody = []string{base + testserver.DownloadsPath, base + "/"}, 1, maxBody
	cfg.Concurrency, cfg.PerHost, cfg.Save, cfg.WARC = 8, 4, openSave(t, dir), w
	res := runCrawl(t, cfg, base)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	archived := byOffset(readWARCFile(t, warcPath))
	tree := savedTree(t, dir)

	counts := map[string]int{}
	for u, r := range res.records {
		_, header, served, ok := site.Served(u)
		if !ok || r.Status != 200 || r.WARC == nil {
			t.Errorf("%s: status %d, warc %v; want 200 and a response record", u, r.Status, r.WARC)
			continue
		}
		decoded := site.Decoded(u)
		want, cut := decoded, len(decoded) > maxBody
		if cut {
			want = decoded[:maxBody]
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.Saved)))
		if r.Truncated != cut || r.Bytes != int64(len(want)) || err != nil || !bytes.Equal(got, want) ||
			r.SHA256 != sha256Hex(want) || tree[r.Saved] != r.SHA256 {
			t.Errorf("%s (%d bytes): truncated %v, %d bytes, saved %d bytes (%v); want truncated %v, %d bytes saved",
				u, len(decoded), r.Truncated, r.Bytes, len(got), err, cut, len(want))
		}
		resp := archived[r.WARC.Offset]
		_, _, payload := httpParts(t, resp.Block)
		// WARC-Truncated says the archived payload is shorter than what was
		// sent. A cut body that is not encoded is cut on the wire too; a gzip
		// one may have been read whole before its decoded bytes ran out.
		truncated, wireCut := resp.Header[gowarc.WarcTruncated], len(payload) < len(served)
		switch {
		case !bytes.HasPrefix(served, payload):
			t.Errorf("%s: archived payload (%d bytes) is not a prefix of the %d bytes sent", u, len(payload), len(served))
		case wireCut && truncated != "length", !wireCut && truncated != "":
			t.Errorf("%s: archived %d of %d bytes sent with WARC-Truncated %q", u, len(payload), len(served), truncated)
		case cut && !wireCut && header.Get("Content-Encoding") == "":
			t.Errorf("%s: cut at %d of %d bytes, but archived whole", u, maxBody, len(decoded))
		case !cut && wireCut:
			t.Errorf("%s: read whole, but archived %d of %d bytes", u, len(payload), len(served))
		}
		kind := "whole"
		if cut {
			_, sub, _ := strings.Cut(r.ContentType, "/")
			kind = "cut " + sub
			if header.Get("Content-Encoding") == "gzip" {
				kind += " gzip"
			}
		}
		counts[kind]++
	}
	if len(tree) != len(res.records) {
		t.Errorf("%d files saved for %d records", len(tree), len(res.records))
	}
	if counts["whole"] == 0 || counts["cut html"] == 0 || counts["cut html gzip"] == 0 || counts["cut pdf"] != 1 {
		t.Errorf("records by kind %v: want whole ones, cut pages, plain and gzip, and the big PDF cut", counts)
	}
	checkOnly(t, tmp, "saved", "cut.warc.gz")
}
