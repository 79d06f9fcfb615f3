package warc

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nlnwa/gowarc/v3"
)

// warcioRecord is one line of testdata/read.mjs.
type warcioRecord struct {
	Offset        int64  `json:"offset"`
	Type          string `json:"type"`
	TargetURI     string `json:"target_uri"`
	RecordID      string `json:"record_id"`
	ConcurrentTo  string `json:"concurrent_to"`
	WarcinfoID    string `json:"warcinfo_id"`
	BlockDigest   string `json:"block_digest"`
	PayloadDigest string `json:"payload_digest"`
	Status        int    `json:"status"`
	PayloadSHA1   string `json:"payload_sha1"`
	PayloadLength int64  `json:"payload_length"`
}

// warcioEnv returns node and CRAWL_TEST_WARCIO, a directory whose
// node_modules holds warcio (testdata/ci-warcio.sh installs one), and
// skips the test without them.
func warcioEnv(t *testing.T) (node, dir string) {
	t.Helper()
	dir = os.Getenv("CRAWL_TEST_WARCIO")
	if dir == "" {
		t.Skip("CRAWL_TEST_WARCIO is not set: it names a directory whose node_modules has warcio (see testdata/ci-warcio.sh)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "warcio")); err != nil {
		t.Skipf("CRAWL_TEST_WARCIO=%s has no node_modules/warcio: %v", dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	return node, dir
}

// readWarcio reads path with warcio, a reader independent of gowarc.
func readWarcio(t *testing.T, node, dir, path string) []warcioRecord {
	t.Helper()
	cmd := exec.Command(node, filepath.Join("testdata", "read.mjs"), dir, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node read.mjs %s: %v\n%s", path, err, stderr.Bytes())
	}
	var recs []warcioRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r warcioRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("read.mjs line %q: %v", sc.Bytes(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestWarcio(t *testing.T) {
	for _, name := range []string{"io.warc", "io.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			node, dir := warcioEnv(t)
			exs := roundTripExchanges(t)
			var payloads [][]byte
			for _, ex := range exs {
				payloads = append(payloads, payloadBytes(t, ex))
			}
			w, path := mustOpen(t, name, Options{Software: "crawl/test"})
			var positions []Position
			for _, ex := range exs {
				pos, err := w.WriteExchange(ex)
				if err != nil {
					t.Fatal(err)
				}
				positions = append(positions, pos)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			ours := readWARC(t, path) // what was written, by the strict reader
			got := readWarcio(t, node, dir, path)
			if len(got) != len(ours) {
				t.Fatalf("warcio read %d records, want %d", len(got), len(ours))
			}
			for i, r := range got {
				o := ours[i]
				want := warcioRecord{
					Offset:        o.Offset,
					Type:          o.Type,
					TargetURI:     o.Header[gowarc.WarcTargetURI],
					RecordID:      o.Header[gowarc.WarcRecordID],
					ConcurrentTo:  o.Header[gowarc.WarcConcurrentTo],
					WarcinfoID:    o.Header[gowarc.WarcWarcinfoID],
					BlockDigest:   o.Header[gowarc.WarcBlockDigest],
					PayloadDigest: o.Header[gowarc.WarcPayloadDigest],
					PayloadSHA1:   r.PayloadSHA1,
					PayloadLength: r.PayloadLength,
					Status:        r.Status,
				}
				if i == 0 { // warcio's payload of a warcinfo is its block
					want.PayloadSHA1, want.PayloadLength = sha1Hex(o.Block), int64(len(o.Block))
				} else {
					ex, payload := exs[(i-1)/2], payloads[(i-1)/2]
					if o.Type == "request" {
						_, body, _ := bytes.Cut(ex.Request, []byte("\r\n\r\n"))
						want.PayloadSHA1, want.PayloadLength = sha1Hex(body), int64(len(body))
					}
					if o.Type == "response" {
						want.PayloadSHA1, want.PayloadLength = sha1Hex(payload), int64(len(payload))
						want.Status = statusOf(ex.ResponseHeader)
						if positions[(i-1)/2].Offset != r.Offset {
							t.Errorf("record %d: warcio finds it at %d, WriteExchange said %d", i, r.Offset, positions[(i-1)/2].Offset)
						}
					}
				}
				if r != want {
					t.Errorf("record %d: warcio read\n%+v\nwant\n%+v", i, r, want)
				}
			}
		})
	}
}

func sha1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// statusOf is the status code of an HTTP status line.
func statusOf(header []byte) int {
	var code int
	line, _, _ := bytes.Cut(header, []byte("\r\n"))
	_, rest, _ := bytes.Cut(line, []byte(" "))
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		code = code*10 + int(c-'0')
	}
	return code
}
