package parser

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzExtractPage is the small page FuzzParseRules applies rules to: some
// of everything a selector may look for.
const fuzzExtractPage = `<!DOCTYPE html><html lang=en><head><title> A  page </title>
<meta name="description" content="About &amp; more"><base href="/dir/"></head>
<body class="home x"><h1 id="top">Hello <em>big</em> world</h1>
<div id="user@host" data-x="1"><p class=a>one</p><p class="a b">two<br>lines</p></div>
<ul><li>1<li>2<li><a href="mailto:me@example.com" title="mail">me</a></ul>
<img src="/i.png"><img alt="alt" src="/j.png"><svg viewBox="0 0 1 1"><a href="#s">s</a></svg>
<template><p class=a>hidden</p></template><table><tr><td>cell</td></tr></table>
<form><input name=q value="v"></form>caf` + "\xe9 \xff</body></html>"

func FuzzParseRules(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "extract", "rules.txt")); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"",
		"title=title\n",
		"# comment\r\n\r\nh[]=h1, p.a\r\nsrc=img@src\r\n",
		`mail=a[href$="@example.com"]` + "\n" + `href=a[href$="@example.com"]@href`,
		`u=#user\@host@data-x` + "\nall[]=*\ntext[]=body :not(li)",
		"dup=p\ndup[]=li\n",
		"bad name=p\n",
		"n=p:nth-child(2n+1)@class\nm=li:contains(\"2\")\nv=svg@viewBox",
		"n=a[\n",
		"n=" + strings.Repeat("div ", 1200) + "\n",
	} {
		f.Add(s)
	}
	page := mustURL(f, goldenPageURL)
	f.Fuzz(func(t *testing.T, text string) {
		rules, err := ParseRules(strings.NewReader(text))
		if err != nil {
			if rules != nil {
				t.Fatalf("ParseRules: %d rules and error %v", len(rules), err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("ParseRules: error %q is not one line", err)
			}
			return
		}
		for _, r := range rules {
			if r.Name == "" || r.Selector == "" {
				t.Fatalf("ParseRules: rule %+v has an empty name or selector", r)
			}
		}
		ex, err := NewExtractor(rules)
		if err != nil {
			if ex != nil {
				t.Fatalf("NewExtractor: an Extractor and error %v", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("NewExtractor: error %q is not one line", err)
			}
			return
		}
		if (ex == nil) != (len(rules) == 0) {
			t.Fatalf("NewExtractor(%d rules) = %v", len(rules), ex)
		}
		names := ex.Names()
		if len(names) != len(rules) {
			t.Fatalf("Names() = %q for %d rules", names, len(rules))
		}
		p, err := Parse([]byte(fuzzExtractPage), "text/html", page, ex)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		for k, v := range p.Fields {
			i := slices.Index(names, k)
			if i < 0 {
				t.Fatalf("field %q is no rule's (names %q)", k, names)
			}
			switch v := v.(type) {
			case string:
				if rules[i].All {
					t.Fatalf("%s[]: a string %q, want a []string", k, v)
				}
				checkValue(t, k, v)
			case []string:
				if !rules[i].All {
					t.Fatalf("%s: a []string %q, want a string", k, v)
				}
				if len(v) == 0 || len(v) > maxValues {
					t.Fatalf("%s[]: %d values", k, len(v))
				}
				for _, s := range v {
					checkValue(t, k, s)
				}
			default:
				t.Fatalf("%s: value of type %T", k, v)
			}
		}
	})
}

func checkValue(t *testing.T, name, v string) {
	t.Helper()
	if !utf8.ValidString(v) || len(v) > maxValueLen {
		t.Fatalf("%s: value %.60q (%d bytes) is not valid, bounded UTF-8", name, v, len(v))
	}
}
