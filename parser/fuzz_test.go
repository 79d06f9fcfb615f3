package parser

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkFetchForm fails t unless link is an absolute http(s) URL without a
// fragment that net/url parses and that Normalize leaves unchanged.
func checkFetchForm(t *testing.T, link string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", link, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		t.Fatalf("%q: scheme %q, want http or https", link, u.Scheme)
	}
	if u.Host == "" {
		t.Fatalf("%q: empty host", link)
	}
	if strings.Contains(link, "#") || u.Fragment != "" {
		t.Fatalf("%q: has a fragment", link)
	}
	again, err := Normalize(link)
	if err != nil {
		t.Fatalf("Normalize(%q): %v", link, err)
	}
	if again != link {
		t.Fatalf("Normalize(%q) = %q, want it unchanged", link, again)
	}
	if len(link) > MaxURLLength {
		t.Fatalf("%q: %d bytes, over MaxURLLength", link, len(link))
	}
}

func FuzzNormalize(f *testing.F) {
	for _, tt := range normalizeTests {
		f.Add(tt.in)
	}
	for _, tt := range resolveTests {
		f.Add(tt.ref)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, err := Normalize(raw)
		if err != nil {
			return
		}
		checkFetchForm(t, n)
		k := DedupKey(n)
		if k2 := DedupKey(k); k2 != k {
			t.Fatalf("DedupKey(%q) = %q, want it unchanged (from %q)", k, k2, n)
		}
	})
}

func FuzzResolve(f *testing.F) {
	for _, tt := range resolveTests {
		f.Add(tt.base, tt.ref)
	}
	f.Fuzz(func(t *testing.T, rawBase, ref string) {
		base, err := url.Parse(rawBase)
		if err != nil {
			return
		}
		link, ok := Resolve(base, ref)
		if !ok {
			if link != "" {
				t.Fatalf("Resolve(%q, %q) = %q, false; want empty", rawBase, ref, link)
			}
			return
		}
		checkFetchForm(t, link)
	})
}

// asciiSpace is ASCII whitespace as the HTML standard defines it.
const asciiSpace = " \t\n\f\r"

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, "text/html")
	}
	f.Add([]byte("\x00\xff\xfe<a href=x>"), "text/html; charset=utf-16le")
	f.Add([]byte("<meta charset=shift_jis><title>\x82\xa0</title>"), "")
	f.Add([]byte(`<base href="//other.example/dir/"><a href="p?q#f">`), "text/html; charset=bogus")
	page, err := url.Parse("https://example.com/dir/page.html?x=1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		p, err := Parse(body, contentType, page, nil)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		checkFetchForm(t, p.Base)
		seen := make(map[string]bool, len(p.Links))
		for _, link := range p.Links {
			checkFetchForm(t, link)
			if seen[link] {
				t.Fatalf("duplicate link %q", link)
			}
			seen[link] = true
		}
		if !utf8.ValidString(p.Title) {
			t.Fatalf("Title %q is not valid UTF-8", p.Title)
		}
		if p.Title != strings.Trim(p.Title, asciiSpace) || strings.ContainsAny(p.Title, "\t\n\f\r") ||
			strings.Contains(p.Title, "  ") {
			t.Fatalf("Title %q is not collapsed", p.Title)
		}
	})
}
