package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseTool(t *testing.T) {
	tests := []struct {
		in   string
		want tool
		err  string // part of the error; "" = no error
	}{
		{"colly=/bin/colly --url {url} --depth {depth}", tool{"colly", []string{"/bin/colly", "--url", "{url}", "--depth", "{depth}"}}, ""},
		{"a.b_c-1=  prog   -x={url}  ", tool{"a.b_c-1", []string{"prog", "-x={url}"}}, ""},
		{"k=p {url} {out} {dir} {concurrency} a{depth}b =x", tool{"k", []string{"p", "{url}", "{out}", "{dir}", "{concurrency}", "a{depth}b", "=x"}}, ""},
		{"x=p {URL}", tool{}, "does not use {url}"}, // placeholders are lower case; {URL} is literal text
		{"noequals", tool{}, "NAME=TEMPLATE"},
		{"=p {url}", tool{}, "tool name"},
		{"has space=p {url}", tool{}, "tool name"},
		{strings.Repeat("n", 33) + "=p {url}", tool{}, "tool name"},
		{"x=", tool{}, "empty command"},
		{"x=p {dir}", tool{}, "does not use {url}"},
		{"x=p {url} {seed}", tool{}, "unknown placeholder {seed}"},
	}
	for _, tt := range tests {
		got, err := parseTool(tt.in)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("parseTool(%q) = %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseTool(%q) = %v, want an error with %q", tt.in, err, tt.err)
		case got.name != tt.want.name || !slices.Equal(got.argv, tt.want.argv):
			t.Errorf("parseTool(%q) = %q %q, want %q %q", tt.in, got.name, got.argv, tt.want.name, tt.want.argv)
		}
	}
}

func TestExpand(t *testing.T) {
	v := vars{url: "http://127.0.0.1:8080/", depth: 3, concurrency: 16, dir: "/tmp/run1"}
	tests := []struct {
		name string
		argv []string
		want []string
	}{
		{"crawl", defaultTools("/bin/crawl")[0].argv, []string{"/bin/crawl", "--seed", "http://127.0.0.1:8080/", "--depth", "3",
			"--concurrency", "16", "--per-host", "16", "--out", "/tmp/run1/out", "--quiet", "--log-level", "warn"}},
		{"wget2", defaultTools("")[1].argv, []string{"wget2", "-r", "-l", "3", "--max-threads=16", "--delete-after", "-q",
			"-P", "/tmp/run1", "http://127.0.0.1:8080/"}},
		{"embedded", []string{"p", "--start={url}index.html", "{depth}{depth}", "{out}.gz", "{nope}"},
			[]string{"p", "--start=http://127.0.0.1:8080/index.html", "33", "/tmp/run1/out.gz", "{nope}"}},
	}
	for _, tt := range tests {
		if got := (tool{tt.name, tt.argv}).expand(v); !slices.Equal(got, tt.want) {
			t.Errorf("%s: expand(%q) = %q, want %q", tt.name, tt.argv, got, tt.want)
		}
	}
}

func TestShellLine(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"/bin/crawl", "--out", "$RUN/out", "--max-threads=16", "http://127.0.0.1:1/"}, "/bin/crawl --out $RUN/out --max-threads=16 http://127.0.0.1:1/"},
		{[]string{"p", "a b", "", "it's", "*"}, `p 'a b' '' 'it'\''s' '*'`},
	}
	for _, tt := range tests {
		if got := shellLine(tt.argv); got != tt.want {
			t.Errorf("shellLine(%q) = %s, want %s", tt.argv, got, tt.want)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	for _, s := range []string{"abc", "defgh", "ijklmnopq", "r"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.String(); got != "klmnopqr" {
		t.Errorf("tail = %q, want %q", got, "klmnopqr")
	}
	if got := lastLine("one\ntwo\n\n"); got != "two" {
		t.Errorf("lastLine = %q, want two", got)
	}
}

// TestResolveTools checks the choice and order of tools, overrides, and
// that programs are resolved to paths.
func TestResolveTools(t *testing.T) {
	bin := t.TempDir()
	for _, name := range []string{"crawl", "wget2", "colly"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	colly := tool{"colly", []string{"colly", "{url}"}}
	myWget := tool{"wget2", []string{"wget2", "--spider", "{url}"}}
	tests := []struct {
		name  string
		o     options
		names []string
		argv0 []string
	}{
		{"default", options{crawl: "crawl"}, []string{"crawl", "wget2"}, []string{"crawl", "wget2"}},
		{"extra", options{crawl: "crawl", tools: []tool{colly}}, []string{"crawl", "wget2", "colly"}, []string{"crawl", "wget2", "colly"}},
		{"only, in its order", options{crawl: "crawl", tools: []tool{colly}, only: []string{"colly", " crawl"}},
			[]string{"colly", "crawl"}, []string{"colly", "crawl"}},
		{"override", options{crawl: "crawl", tools: []tool{myWget}, only: []string{"wget2"}}, []string{"wget2"}, []string{"wget2"}},
	}
	for _, tt := range tests {
		got, err := resolveTools(tt.o, io.Discard)
		if err != nil {
			t.Errorf("%s: resolveTools = %v", tt.name, err)
			continue
		}
		var names, argv0 []string
		for _, u := range got {
			names = append(names, u.name)
			argv0 = append(argv0, strings.TrimPrefix(u.argv[0], bin+"/"))
		}
		if !slices.Equal(names, tt.names) || !slices.Equal(argv0, tt.argv0) {
			t.Errorf("%s: resolveTools = %q %q, want %q %q", tt.name, names, argv0, tt.names, tt.argv0)
		}
		if tt.name == "override" && !slices.Contains(got[0].argv, "--spider") {
			t.Errorf("override: wget2 template %q, want the --tool one", got[0].argv)
		}
	}
	if err := os.Remove(filepath.Join(bin, "wget2")); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	got, err := resolveTools(options{crawl: "crawl"}, &stderr)
	if err != nil || len(got) != 1 || got[0].name != "crawl" || !strings.Contains(stderr.String(), "wget2 is not on PATH") {
		t.Errorf("without wget2: resolveTools = %v, %v; stderr %q", got, err, stderr.String())
	}
}
