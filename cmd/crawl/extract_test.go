package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/testserver"
)

// TestExtractCrawl crawls the test server with rules from flags and a
// file and checks every record's fields, --require-field and the report's
// coverage against what the site serves.
func TestExtractCrawl(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 60, Links: 5, Seed: 7})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.txt")
	if err := os.WriteFile(rules, []byte("# from a file\nlang=html@LANG\n\nitems[]=ul > li\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exp := site.Expect("/", 2)

	for _, tt := range []struct {
		name    string
		require string
	}{
		{"matched", "h1"},
		{"required but absent", "none"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, rep := filepath.Join(dir, tt.require+".jsonl"), filepath.Join(dir, tt.require+".json")
			code, _, stderr := runCLI(t, context.Background(), "", "--seed", srv.URL+"/", "--depth", "2",
				"--out", out, "--report", rep, "--log-level", "error", "--quiet",
				"--extract", "h1=h1#top", "--extract", "none=.absent", "--extract-file", rules,
				"--require-field", tt.require)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			html := 0
			err := store.ReadFile(out, func(r *store.Record) error {
				path := strings.TrimPrefix(r.URL, srv.URL)
				want, ok := exp.Records[path]
				if !ok {
					t.Errorf("%s recorded, not expected", path)
					return nil
				}
				if want.Title == "" || r.ContentType != "text/html" || r.Status/100 != 2 {
					if r.Fields != nil {
						t.Errorf("%s: fields %v on a record that is not an HTML 2xx page", path, r.Fields)
					}
					return nil
				}
				html++
				if r.Fields["h1"] != want.Title || r.Fields["lang"] != "en" {
					t.Errorf("%s: fields %v, want h1 %q and lang en", path, r.Fields, want.Title)
				}
				if _, ok := r.Fields["none"]; ok {
					t.Errorf("%s: field none present: %v", path, r.Fields)
				}
				items, _ := r.Fields["items"].([]any)
				for i, it := range items {
					if s, _ := it.(string); !strings.HasPrefix(s, "link ") {
						t.Errorf("%s: items[%d] = %q, want the link text", path, i, it)
					}
				}
				if tt.require == "none" && (r.ErrorKind != "missing_field" || r.Error != "missing field none") {
					t.Errorf("%s: error %q (%s), want missing field none", path, r.Error, r.ErrorKind)
				}
				if tt.require == "h1" && r.ErrorKind == "missing_field" {
					t.Errorf("%s: %s", path, r.Error)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d HTML pages", html)
			if html == 0 {
				t.Fatal("no HTML 2xx record")
			}
			fields, _ := readReport(t, rep)["fields"].([]any)
			cover := map[string]float64{}
			for _, f := range fields {
				m := f.(map[string]any)
				cover[m["name"].(string)] = m["coverage"].(float64)
				if int(m["pages"].(float64)) != html {
					t.Errorf("report: field %v counts %v pages, want %d", m["name"], m["pages"], html)
				}
			}
			want := map[string]float64{"h1": 1, "none": 0, "lang": 1}
			for name, c := range want {
				if cover[name] != c {
					t.Errorf("report: coverage of %s = %v, want %v (fields %v)", name, cover[name], c, fields)
				}
			}
			if _, ok := cover["items"]; !ok {
				t.Errorf("report: no coverage of items: %v", fields)
			}
		})
	}
}

func TestExtractBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("ok=p\n\nbad=p[[\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	seed := []string{"--seed", "http://127.0.0.1:1/"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--extract", "t=p[["}, `"t=p[["`},
		{[]string{"--extract", "noequals"}, "NAME=SELECTOR"},
		{[]string{"--extract", "t=p", "--extract", "t=h1"}, `"t" given twice`},
		{[]string{"--extract-file", bad}, "line 3"},
		{[]string{"--extract-file", filepath.Join(dir, "missing.txt")}, "--extract-file"},
		{[]string{"--extract", "t=p", "--require-field", "u"}, `"u" has no extract rule`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			wantUsageError(t, append(seed, tt.args...), tt.want)
		})
	}
}

// TestAnchorsCrawl checks that --anchors records every HTML page's links
// with their text, and that without it records have none.
func TestAnchorsCrawl(t *testing.T) {
	site := testserver.New(testserver.Config{Pages: 30, Links: 4, Seed: 3})
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	for _, on := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out.jsonl")
		args := []string{"--seed", srv.URL + "/", "--depth", "1", "--out", out, "--quiet", "--log-level", "error"}
		if on {
			args = append(args, "--anchors")
		}
		if code, _, stderr := runCLI(t, context.Background(), "", args...); code != exitOK {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		pages := 0
		err := store.ReadFile(out, func(r *store.Record) error {
			if !on || len(r.Links) == 0 {
				if len(r.Anchors) != 0 {
					t.Errorf("%s: anchors %v (--anchors %t, links %v)", r.URL, r.Anchors, on, r.Links)
				}
				return nil
			}
			pages++
			seen := map[string]bool{}
			for _, a := range r.Anchors {
				if !seen[a.URL] {
					seen[a.URL] = true
				}
				if a.Text == "" {
					t.Errorf("%s: anchor %s without text", r.URL, a.URL)
				}
			}
			for _, l := range r.Links {
				if !seen[l] {
					t.Errorf("%s: link %s has no anchor", r.URL, l)
				}
			}
			if len(seen) != len(r.Links) {
				t.Errorf("%s: anchors lead to %d URLs, links are %d", r.URL, len(seen), len(r.Links))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if on && pages == 0 {
			t.Error("no page with links")
		}
	}
}
