package testserver

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// snapshot serves every path of s and returns the responses in one string.
func snapshot(s *Site) string {
	var b strings.Builder
	for _, p := range s.Paths() {
		rec := serve(s, http.MethodGet, p, "127.0.0.1:8080")
		body := rec.Body.String()
		if len(body) > 64<<10 {
			// Large files (BigPDFPath) by size and hash, not byte for byte.
			body = fmt.Sprintf("(%d bytes, sha256 %x)", len(body), sha256.Sum256(rec.Body.Bytes()))
		}
		fmt.Fprintf(&b, "== %s %d %s %s\n%s\n", p, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Location"), body)
	}
	return b.String()
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Pages: 80, Links: 7, Seed: 42, Features: AllFeatures}
	a, b := snapshot(New(cfg)), snapshot(New(cfg))
	if a != b {
		t.Fatal("two sites built from one Config serve different responses")
	}
	cfg.Seed = 43
	if c := snapshot(New(cfg)); c == a {
		t.Error("sites built from different seeds serve the same responses")
	}
}

// TestGolden pins the generator: a change of the generated site changes
// every benchmark baseline, so it must be deliberate (go test -update).
func TestGolden(t *testing.T) {
	s := New(Config{Pages: 30, Links: 5, Seed: 1, Features: AllFeatures})
	var b strings.Builder
	e := s.Expect("/", 2)
	for _, p := range e.Paths() {
		fmt.Fprintf(&b, "%s %+v\n", p, e.Records[p])
	}
	fmt.Fprintf(&b, "never %q\nexternal %q\n\n", e.Never, e.External)
	b.WriteString(snapshot(s))
	got := []byte(b.String())
	path := filepath.Join("testdata", "site.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("generated site differs from %s; rerun with -update if the change is intended", path)
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		in, want Config
	}{
		{Config{}, Config{Pages: DefaultPages, Links: DefaultLinks}},
		{Config{Pages: -1, Links: -5, Latency: -time.Second, Jitter: -1}, Config{Pages: DefaultPages, Links: DefaultLinks}},
		{Config{Pages: MaxPages + 1, Links: MaxLinks + 1, Seed: -3}, Config{Pages: MaxPages, Links: MaxLinks, Seed: -3}},
		{Config{Pages: 1, Links: 1, Features: Robots}, Config{Pages: 1, Links: 1, Features: Robots}},
	}
	for _, tt := range tests {
		if got := tt.in.withDefaults(); got != tt.want {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestTinySites(t *testing.T) {
	for _, cfg := range []Config{{Pages: 1, Links: 1}, {Pages: 1, Links: 1, Features: AllFeatures}, {Pages: 2, Features: AllFeatures},
		{Pages: 1, Links: 1, Generation: 40}, {Pages: 3, Links: 1, Features: AllFeatures, Generation: 40}} {
		s := New(cfg)
		if s.Pages() != cfg.Pages {
			t.Errorf("New(%+v).Pages() = %d", cfg, s.Pages())
		}
		e := s.Expect("/", 5)
		if o := e.Records["/"]; o.Status != 200 || o.Depth != 0 {
			t.Errorf("New(%+v).Expect: / = %+v, want status 200 at depth 0", cfg, o)
		}
		for _, p := range s.Paths() {
			if rec := serve(s, http.MethodGet, p, "h"); rec.Code == 0 {
				t.Errorf("New(%+v): GET %s: no status", cfg, p)
			}
		}
	}
}

func TestParseFeatures(t *testing.T) {
	tests := []struct {
		in      string
		want    Features
		wantErr bool
	}{
		{"", 0, false},
		{"none", 0, false},
		{"all", AllFeatures, false},
		{"ALL", AllFeatures, false},
		{"robots", Robots, false},
		{"robots, redirects", Robots | Redirects, false},
		{"all,-variants", AllFeatures &^ Variants, false},
		{"all,encoded", AllFeatures | Encoded, false},
		{"all,none,files", Files, false},
		{"robots,-robots", 0, false},
		{"bogus", 0, true},
		{"robots,bogus", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseFeatures(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFeatures(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFeaturesString(t *testing.T) {
	tests := []struct {
		in   Features
		want string
	}{
		{0, "none"},
		{AllFeatures, "all"},
		{Robots | Query, "robots,query"},
		{Robots | 1<<30, "robots,0x40000000"},
		{Robots | Encoded, "robots,encoded"},
		{AllFeatures | Encoded, "robots,files,redirects,errors,variants,external,decoys,markup,query,encoded"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Features(%d).String() = %q, want %q", uint32(tt.in), got, tt.want)
		}
		if tt.in&^(AllFeatures|Encoded) != 0 {
			continue
		}
		if back, err := ParseFeatures(tt.in.String()); err != nil || back != tt.in {
			t.Errorf("ParseFeatures(%q) = %v, %v; want %v", tt.in.String(), back, err, tt.in)
		}
	}
}

func TestRelative(t *testing.T) {
	tests := []struct{ dir, target, want string }{
		{"/", "/p/3", "p/3"},
		{"/", "/", "./"},
		{"/p/", "/p/3", "3"},
		{"/p/", "/", "../"},
		{"/p/", "/list?page=2&sort=asc", "../list?page=2&sort=asc"},
		{"/trap/err/", "/p/3", "../../p/3"},
		{"/", "/list?page=2", "list?page=2"},
		{"/list/", "/list/?a", "./?a"},
		{"/", "/a:b/c", "./a:b/c"},
	}
	for _, tt := range tests {
		if got := relative(tt.dir, tt.target); got != tt.want {
			t.Errorf("relative(%q, %q) = %q, want %q", tt.dir, tt.target, got, tt.want)
		}
	}
}
