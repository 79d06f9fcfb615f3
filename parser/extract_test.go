package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// checkOneLineError fails t unless err is a non-nil, one-line error.
func checkOneLineError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("%s: error %q is not one line", what, err)
	}
}

// namesRule reports whether msg names spec, as written or quoted.
func namesRule(msg, spec string) bool {
	return strings.Contains(msg, spec) || strings.Contains(msg, strconv.Quote(spec))
}

func mustRules(t testing.TB, specs ...string) []Rule {
	t.Helper()
	rules := make([]Rule, len(specs))
	for i, s := range specs {
		r, err := ParseRule(s)
		if err != nil {
			t.Fatalf("ParseRule(%q): %v", s, err)
		}
		rules[i] = r
	}
	return rules
}

func mustExtractor(t testing.TB, specs ...string) *Extractor {
	t.Helper()
	ex, err := NewExtractor(mustRules(t, specs...))
	if err != nil {
		t.Fatalf("NewExtractor(%q): %v", specs, err)
	}
	return ex
}

// extract parses body as UTF-8 HTML with ex and returns its Fields.
func extract(t testing.TB, body string, ex *Extractor) map[string]any {
	t.Helper()
	p, err := Parse([]byte(body), "text/html; charset=utf-8", mustURL(t, goldenPageURL), ex)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p.Fields
}

func TestParseRule(t *testing.T) {
	type want struct {
		Name, Selector, Attr string
		All                  bool
	}
	tests := []struct {
		spec string
		want want
	}{
		{"title=title", want{"title", "title", "", false}},
		{"  heading  =  h1  ", want{"heading", "h1", "", false}},
		{"items[]=ul.items > li", want{"items", "ul.items > li", "", true}},
		{"links[]=a@href", want{"links", "a", "href", true}},
		{"desc=meta[name=description]@content", want{"desc", "meta[name=description]", "content", false}},
		{"a.b-c_D9=p", want{"a.b-c_D9", "p", "", false}},
		// '=' after the first one belongs to the selector.
		{"next=a[rel=next]", want{"next", "a[rel=next]", "", false}},
		{"next=a[rel=next]@href", want{"next", "a[rel=next]", "href", false}},
		// '@' inside an attribute selector's value stays in the selector.
		{`mail=a[href$="@example.com"]`, want{"mail", `a[href$="@example.com"]`, "", false}},
		{`mail[]=a[href$='@example.com']`, want{"mail", `a[href$='@example.com']`, "", true}},
		{`mail=a[href*="x@y" i]`, want{"mail", `a[href*="x@y" i]`, "", false}},
		// ... and with an attribute taken as well.
		{`mail=a[href$="@example.com"]@href`, want{"mail", `a[href$="@example.com"]`, "href", false}},
		{`who=a[title="a@b"]@title`, want{"who", `a[title="a@b"]`, "title", false}},
		{`has=p:contains("a@b")`, want{"has", `p:contains("a@b")`, "", false}},
		// An escaped '@' in an id is part of the selector.
		{`user=#user\@host`, want{"user", `#user\@host`, "", false}},
		{`user=#user\@host@data-id`, want{"user", `#user\@host`, "data-id", false}},
		{"ns=use@xlink:href", want{"ns", "use", "xlink:href", false}},
		{"all=*", want{"all", "*", "", false}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r, err := ParseRule(tt.spec)
			if err != nil {
				t.Fatalf("ParseRule(%q): %v", tt.spec, err)
			}
			got := want{r.Name, r.Selector, r.Attr, r.All}
			if got != tt.want {
				t.Errorf("ParseRule(%q) = %+v, want %+v", tt.spec, got, tt.want)
			}
			if _, err := NewExtractor([]Rule{r}); err != nil {
				t.Errorf("NewExtractor(ParseRule(%q)): %v", tt.spec, err)
			}
		})
	}
}

func TestParseRuleErrors(t *testing.T) {
	for _, spec := range []string{
		// No '=' or no name.
		"", "title", "=p", "  =p", "[]=p",
		// Invalid names.
		"a b=p", "a[]b=p", "a[][]=p", "a/b=p", "a:b=p", "é=p", "a\x00=p", "a@b=p",
		// Empty selectors.
		"n=", "n=   ", "n[]=", "n=@href", "n[]= @href",
		// Invalid selectors.
		"n=a[", "n=div>", "n=a,", "n=p:no-such-pseudo", "n=#", `n=a[href="x]`,
		"n=a[\nhref", "n=p\n@", "n=p@", "n=p@@href", "n=p@1x", "n=p @ href", "n=@",
	} {
		t.Run(spec, func(t *testing.T) {
			r, err := ParseRule(spec)
			checkOneLineError(t, fmt.Sprintf("ParseRule(%q) = %+v", spec, r), err)
			if err != nil && !namesRule(err.Error(), spec) {
				t.Errorf("ParseRule(%q): error %q does not name the rule", spec, err)
			}
		})
	}
}

func TestParseRuleTooLong(t *testing.T) {
	// A valid selector of exactly maxRuleLen bytes is accepted ...
	ok := "n=p"
	ok += strings.Repeat(" ", maxRuleLen-len(ok)-1) + "p"
	if _, err := ParseRule(ok); err != nil {
		t.Errorf("ParseRule of %d bytes: %v", len(ok), err)
	}
	// ... one byte more is not, and the error is short and one line.
	for _, spec := range []string{ok + " ", "n=" + strings.Repeat("p,", 1<<16) + "p"} {
		_, err := ParseRule(spec)
		checkOneLineError(t, fmt.Sprintf("ParseRule of %d bytes", len(spec)), err)
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("ParseRule of %d bytes: error of %d bytes, want it short: %.300q", len(spec), len(err.Error()), err)
		}
		if err != nil && !strings.Contains(err.Error(), "n=p") {
			t.Errorf("ParseRule of %d bytes: error %q does not show the rule's start", len(spec), err)
		}
	}
}

func ruleNames(rules []Rule) []string {
	var names []string
	for _, r := range rules {
		n := r.Name
		if r.All {
			n += "[]"
		}
		if r.Attr != "" {
			n += "@" + r.Attr
		}
		names = append(names, n)
	}
	return names
}

func TestParseRules(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // Name, "[]" if All, "@Attr" if any
	}{
		{"empty", "", nil},
		{"only comments", "# a\n   # b\n\n\t\n#c=p\n", nil},
		{"rules", "title=title\nlinks[]=a@href\n", []string{"title", "links[]@href"}},
		{"no final newline", "a=p\nb=h1", []string{"a", "b"}},
		{"comments and blanks", "\n# heading\n a=p \n\n\t# indented\nb[]=li\n\n", []string{"a", "b[]"}},
		{"crlf", "# c\r\na=p\r\n\r\nb=img@alt\r\nc[]=li\r\n", []string{"a", "b@alt", "c[]"}},
		{"cr lf no final newline", "a=p\r\nb=img@src", []string{"a", "b@src"}},
		// A '#' that does not start the line is part of the rule.
		{"id selector", "main=#main\nx=a[href^='#']@href\n", []string{"main", "x@href"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseRules(strings.NewReader(tt.text))
			if err != nil {
				t.Fatalf("ParseRules(%q): %v", tt.text, err)
			}
			if got := ruleNames(rules); !slices.Equal(got, tt.want) {
				t.Errorf("ParseRules(%q) = %q, want %q", tt.text, got, tt.want)
			}
			for _, r := range rules {
				if strings.ContainsAny(r.Selector+r.Attr+r.Name, "\r\n") {
					t.Errorf("rule %+v keeps a line ending", r)
				}
			}
			if _, err := NewExtractor(rules); err != nil {
				t.Errorf("NewExtractor: %v", err)
			}
		})
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		name, text, line string
	}{
		{"bad selector", "a=p\n\n# c\nb=div>\n", "line 4"},
		{"bad name", "# c\nbad name=p\n", "line 2"},
		{"no equals", "a=p\nnonsense\nb=p\n", "line 2"},
		{"crlf", "a=p\r\n\r\nb=[\r\n", "line 3"},
		{"first line", "b=[", "line 1"},
		// '#' only starts a comment at the start of a line.
		{"no trailing comment", "main=#main\nm=div # trailing\n", "line 2"},
		{"rule just too long", "a=p\n" + "n=" + strings.Repeat("p", maxRuleLen-1) + "\n", "line 2"},
		// A line too long for the scanner's buffer still names its line.
		{"line far too long", "a=p\n# ok\n" + strings.Repeat("x", 3*maxRuleLen) + "\n", "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseRules(strings.NewReader(tt.text))
			checkOneLineError(t, fmt.Sprintf("ParseRules = %d rules", len(rules)), err)
			if err == nil {
				return
			}
			if rules != nil {
				t.Errorf("ParseRules returned %d rules with its error", len(rules))
			}
			if !strings.Contains(err.Error(), tt.line) {
				t.Errorf("ParseRules: error %q does not name %s", err, tt.line)
			}
			if len(err.Error()) > 300 {
				t.Errorf("ParseRules: error of %d bytes", len(err.Error()))
			}
		})
	}
}

func TestParseRulesLimits(t *testing.T) {
	// A rule file is untrusted: one larger than maxRulesBytes, even of
	// comments, is refused rather than read to its end.
	comment := "#" + strings.Repeat("c", 100) + "\n"
	big := strings.Repeat(comment, maxRulesBytes/len(comment)+2)
	_, err := ParseRules(strings.NewReader(big))
	checkOneLineError(t, fmt.Sprintf("ParseRules of %d bytes", len(big)), err)

	// A rule of exactly maxRuleLen bytes is read, whatever its line ending.
	rule := "n=" + strings.Repeat("p", maxRuleLen-2)
	for _, text := range []string{rule, rule + "\n", rule + "\r\n", "# c\r\n" + rule + "\r\n"} {
		if rules, err := ParseRules(strings.NewReader(text)); err != nil || len(rules) != 1 {
			t.Errorf("ParseRules(rule of %d bytes + %q) = %d rules, %v; want 1", len(rule), text[len(text)-min(2, len(text)):], len(rules), err)
		}
	}

	// A read error is returned.
	_, err = ParseRules(iotest.ErrReader(errors.New("disk on fire")))
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("ParseRules(failing reader) error = %v, want the read error", err)
	}
}

func TestNewExtractor(t *testing.T) {
	ex, err := NewExtractor(nil)
	if ex != nil || err != nil {
		t.Errorf("NewExtractor(nil) = %v, %v; want nil, nil", ex, err)
	}
	ex, err = NewExtractor([]Rule{})
	if ex != nil || err != nil {
		t.Errorf("NewExtractor([]) = %v, %v; want nil, nil", ex, err)
	}

	for _, specs := range [][]string{
		{"a=p", "a=h1"},
		{"a=p", "b=p", "a=p@id"},
		{"a=p", "a[]=li"}, // one field either way
	} {
		_, err := NewExtractor(mustRules(t, specs...))
		checkOneLineError(t, fmt.Sprintf("NewExtractor(%q)", specs), err)
		if err != nil && !strings.Contains(err.Error(), `"a"`) {
			t.Errorf("NewExtractor(%q): error %q does not name the field", specs, err)
		}
	}

	// A Rule not made by ParseRule has no compiled selector.
	if _, err := NewExtractor([]Rule{{Name: "x", Selector: "p"}}); err == nil {
		t.Error("NewExtractor(Rule literal): no error")
	}

	// At most maxRules rules.
	var many []Rule
	for i := range maxRules + 1 {
		many = append(many, mustRules(t, fmt.Sprintf("f%d=p", i))...)
	}
	if _, err := NewExtractor(many[:maxRules]); err != nil {
		t.Errorf("NewExtractor(%d rules): %v", maxRules, err)
	}
	_, err = NewExtractor(many)
	checkOneLineError(t, fmt.Sprintf("NewExtractor(%d rules)", len(many)), err)

	ex = mustExtractor(t, "z=p", "a[]=li", "m=img@src")
	if got, want := ex.Names(), []string{"z", "a", "m"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestNilExtractor(t *testing.T) {
	var ex *Extractor
	if names := ex.Names(); names != nil {
		t.Errorf("nil Names() = %q, want nil", names)
	}
	if f := extract(t, "<title>t</title><p>x</p>", nil); f != nil {
		t.Errorf("Parse with a nil Extractor: Fields = %v, want nil", f)
	}
	// No rules give a nil Extractor, which extracts nothing.
	ex, err := NewExtractor(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := extract(t, "<p>x</p>", ex); f != nil {
		t.Errorf("Parse with NewExtractor(nil): Fields = %v, want nil", f)
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name  string
		rules []string
		html  string
		want  map[string]any // nil: no Fields
	}{
		{"first match", []string{"p=p"}, "<p>one</p><p>two</p>", map[string]any{"p": "one"}},
		{"every match", []string{"p[]=p"}, "<p>one</p><div><p>two</p></div><p>three</p>",
			map[string]any{"p": []string{"one", "two", "three"}}},
		{"one match as a list", []string{"p[]=p"}, "<p>only</p>", map[string]any{"p": []string{"only"}}},
		{"nested text", []string{"h=h1"}, "<h1>a<b>b<i>c</i></b> <span>d</span>e</h1>",
			map[string]any{"h": "abc de"}},
		{"whitespace collapsed", []string{"p=p"}, "<p>\n\t  a \r\n\f b\t\tc  <br>  d\n</p>",
			map[string]any{"p": "a b c d"}},
		{"whitespace only", []string{"p=p"}, "<p> \n\t </p>", map[string]any{"p": ""}},
		{"non-breaking space kept", []string{"p=p"}, "<p>a&nbsp;&nbsp;b</p>", map[string]any{"p": "a\u00a0\u00a0b"}},
		{"entities decoded", []string{"p=p"}, "<p>a &amp; b &lt;c&gt;</p>", map[string]any{"p": "a & b <c>"}},
		{"comments are not text", []string{"p=p"}, "<p>a<!-- hidden -->b</p>", map[string]any{"p": "ab"}},
		{"nested matches in order", []string{"d[]=div"}, "<div>a<div>b</div></div><div>c</div>",
			map[string]any{"d": []string{"ab", "b", "c"}}},
		{"attribute", []string{"src=img@src"}, `<img src="/a.png"><img src="/b.png">`,
			map[string]any{"src": "/a.png"}},
		{"attribute absent on first match", []string{"alt=img@alt"}, `<img src="/a.png"><img alt="second"><img alt="third">`,
			map[string]any{"alt": "second"}},
		{"attribute list skips elements without it", []string{"alt[]=img@alt"}, `<img alt="1"><img><img alt=""><img alt="3">`,
			map[string]any{"alt": []string{"1", "", "3"}}},
		{"attribute name case-insensitive", []string{"alt=img@ALT"}, `<img ALT="x">`, map[string]any{"alt": "x"}},
		{"attribute on no element", []string{"x=p@data-x"}, "<p>a</p>", nil},
		{"no match", []string{"x=.nothing", "y[]=.nothing"}, "<p>a</p>", nil},
		{"some match", []string{"x=.nothing", "y[]=.nothing", "p=p"}, "<p>a</p>", map[string]any{"p": "a"}},
		{"one element, many rules", []string{"a=p", "b=p.c", "c[]=p", "d=p@class"}, `<p class="c">x</p>`,
			map[string]any{"a": "x", "b": "x", "c": []string{"x"}, "d": "c"}},
		{"at-sign selector", []string{`m=a[href$="@example.com"]`, `h=a[href$="@example.com"]@href`},
			`<a href="/x">no</a><a href="mailto:me@example.com">Mail</a>`,
			map[string]any{"m": "Mail", "h": "mailto:me@example.com"}},
		{"title and head", []string{"t=title", "d=meta[name=description]@content"},
			`<title> The  title </title><meta name="description" content="About.">`,
			map[string]any{"t": "The title", "d": "About."}},
		{"invalid utf-8 made valid", []string{"p=p", "a=p@title"}, "<p title=\"x\xffy\">a\xfeb</p>",
			map[string]any{"p": "a\uFFFDb", "a": "x\uFFFDy"}},
		{"malformed html", []string{"li[]=li"}, "<ul><li>one<li>two</ul><li>three",
			map[string]any{"li": []string{"one", "two", "three"}}},
		// x/net/html keeps SVG attributes in camelCase (viewBox).
		{"svg camelCase attribute", []string{"v=svg@viewBox", "w=svg@viewbox"}, `<svg viewBox="0 0 10 10"></svg>`,
			map[string]any{"v": "0 0 10 10", "w": "0 0 10 10"}},
		{"foreign attribute", []string{"h=use@xlink:href"}, `<svg><use xlink:href="#i"/></svg>`,
			map[string]any{"h": "#i"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extract(t, tt.html, mustExtractor(t, tt.rules...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Fields = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestExtractBounds(t *testing.T) {
	ex := mustExtractor(t, "p=p", "t=p@title", "li[]=li")

	// A huge text node, its runes 2 bytes and starting 1 byte in, so that
	// maxValueLen falls inside a rune.
	huge := "a" + strings.Repeat("é", maxValueLen)
	var b strings.Builder
	fmt.Fprintf(&b, "<p title=%q>%s</p><ul>", huge, huge)
	for i := range maxValues + 500 {
		fmt.Fprintf(&b, "<li>%d</li>", i)
	}
	b.WriteString("</ul>")
	f := extract(t, b.String(), ex)

	for _, k := range []string{"p", "t"} {
		v, _ := f[k].(string)
		if len(v) > maxValueLen || len(v) < maxValueLen-utf8.UTFMax {
			t.Errorf("%s: %d bytes, want at most %d, cut near it", k, len(v), maxValueLen)
		}
		if !utf8.ValidString(v) {
			t.Errorf("%s: value is not valid UTF-8 (ends %q)", k, v[max(0, len(v)-4):])
		}
		if !strings.HasPrefix(huge, v) {
			t.Errorf("%s: value is not a prefix of the text", k)
		}
	}

	list, _ := f["li"].([]string)
	if len(list) != maxValues {
		t.Fatalf("li: %d values, want %d", len(list), maxValues)
	}
	for i, v := range list {
		if v != strconv.Itoa(i) {
			t.Fatalf("li[%d] = %q, want %d (document order)", i, v, i)
		}
	}

	// Many text nodes, together huge, are bounded too.
	b.Reset()
	b.WriteString("<div>")
	for range 20000 {
		b.WriteString("<span>word word </span>")
	}
	b.WriteString("</div>")
	f = extract(t, b.String(), mustExtractor(t, "d=div"))
	if v, _ := f["d"].(string); len(v) > maxValueLen || !strings.HasPrefix(v, "word word word") {
		t.Errorf("d: %d bytes starting %.20q, want at most %d of the text", len(v), v, maxValueLen)
	}
}

// Whitespace does not count toward maxValueLen: a page cannot hide a
// field's text behind 128 KiB of spaces.
func TestExtractWhitespacePadding(t *testing.T) {
	body := "<div><span>" + strings.Repeat(" \n", maxValueLen+1) + "</span><span>X</span></div>"
	f := extract(t, body, mustExtractor(t, "d=div"))
	if got := f["d"]; got != "X" {
		t.Errorf("d = %q, want %q", got, "X")
	}
}

func TestExtractConcurrent(t *testing.T) {
	ex := mustExtractor(t, "t=title", "li[]=li", "h=a@href")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			body := fmt.Sprintf("<title>%d</title><ul><li>a</li><li>%d</li></ul><a href=/x>", i, i)
			p, err := Parse([]byte(body), "", mustURL(t, goldenPageURL), ex)
			if err != nil {
				t.Error(err)
				return
			}
			want := map[string]any{"t": strconv.Itoa(i), "li": []string{"a", strconv.Itoa(i)}, "h": "/x"}
			if !reflect.DeepEqual(p.Fields, want) {
				t.Errorf("goroutine %d: Fields = %v, want %v", i, p.Fields, want)
			}
		})
	}
	wg.Wait()
}

// extractGoldenTypes gives the Content-Type each testdata/extract page is
// served with; others are served as "text/html".
var extractGoldenTypes = map[string]string{
	"sjis.html": "text/html; charset=Shift_JIS",
}

// TestExtractGolden applies testdata/extract/rules.txt to each
// testdata/extract/*.html page and compares the Fields, as indented JSON,
// with the page's .json file (rewritten with -update).
func TestExtractGolden(t *testing.T) {
	dir := filepath.Join("testdata", "extract")
	rulesText, err := os.ReadFile(filepath.Join(dir, "rules.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules(bytes.NewReader(rulesText))
	if err != nil {
		t.Fatalf("ParseRules(rules.txt): %v", err)
	}
	ex, err := NewExtractor(rules)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/extract/*.html")
	}
	page := mustURL(t, goldenPageURL)
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			body, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			ct, ok := extractGoldenTypes[filepath.Base(name)]
			if !ok {
				ct = "text/html"
			}
			p, err := Parse(body, ct, page, ex)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for k, v := range p.Fields {
				if !slices.Contains(ex.Names(), k) {
					t.Errorf("field %q is no rule's", k)
				}
				switch v := v.(type) {
				case string:
					if !utf8.ValidString(v) {
						t.Errorf("%s = %q: not valid UTF-8", k, v)
					}
				case []string:
					if len(v) == 0 {
						t.Errorf("%s: empty list, want the key absent", k)
					}
				default:
					t.Errorf("%s: value of type %T", k, v)
				}
			}
			got, err := json.MarshalIndent(p.Fields, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			checkGolden(t, strings.TrimSuffix(name, ".html")+".json", got)
		})
	}
}

// TestExtractGoldenFacts asserts what the golden files could be
// regenerated into hiding.
func TestExtractGoldenFacts(t *testing.T) {
	rulesText, err := os.ReadFile(filepath.Join("testdata", "extract", "rules.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules(bytes.NewReader(rulesText))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := NewExtractor(rules)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(name, ct string) *Page {
		body, err := os.ReadFile(filepath.Join("testdata", "extract", name))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(body, ct, mustURL(t, goldenPageURL), ex)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	p := parse("page.html", "text/html")
	for k, want := range map[string]any{
		"title":     "Extract golden page",
		"heading":   "Hello, nested world!",
		"intro":     "Lots of whitespace here.",
		"image_alt": "second  image", // from the second img: the first has no alt
		"image_src": "/first.png",
		"items":     []string{"one", "two (2)", "", "four"},
		"links":     []string{"mailto:someone@example.com", "/about"},
		"mail":      "Mail me",
		"mail_href": "mailto:someone@example.com",
		"price":     "12,00 EUR",
	} {
		if got := p.Fields[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("page.html: %s = %#v, want %#v", k, got, want)
		}
	}
	for _, k := range []string{"missing", "missing_list", "no_attr"} {
		if v, ok := p.Fields[k]; ok {
			t.Errorf("page.html: %s = %#v, want no key", k, v)
		}
	}

	// Shift_JIS, known only from the Content-Type header.
	p = parse("sjis.html", extractGoldenTypes["sjis.html"])
	if p.Charset != "shift_jis" {
		t.Errorf("sjis.html: Charset = %q, want shift_jis", p.Charset)
	}
	for k, want := range map[string]any{
		"title":     "日本語のページ",
		"heading":   "日本語",
		"image_alt": "テスト",
		"items":     []string{"一", "二"},
	} {
		if got := p.Fields[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("sjis.html: %s = %#v, want %#v", k, got, want)
		}
	}
}

// TestExtractTextLikeTextContent checks what the text of a value leaves
// out, as a browser's textContent and the standard's whitespace rules do.
func TestExtractTextLikeTextContent(t *testing.T) {
	tests := []struct {
		name, rule, html, want string
	}{
		{"template contents left out", "d=#d", "<div id=d>a<template>b</template>c</div>", "ac"},
		{"no space left at a cut", "p=p", "<p>" + strings.Repeat("a", maxValueLen-1) + " bbbb</p>", strings.Repeat("a", maxValueLen-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := extract(t, tt.html, mustExtractor(t, tt.rule))
			if got := f[strings.Split(tt.rule, "=")[0]]; got != tt.want {
				t.Errorf("value = %.60q (%d bytes), want %.60q", got, len(fmt.Sprint(got)), tt.want)
			}
		})
	}
}

// TestExtractPageBudget checks that nested matches of list rules, which
// each take their whole subtree's text, keep at most maxPageFields bytes
// of a page, and that subtrees without text are not walked without end.
func TestExtractPageBudget(t *testing.T) {
	text := strings.Repeat("x", maxValueLen)
	body := strings.Repeat("<div>", 500) + text + strings.Repeat("</div>", 500)
	f := extract(t, body, mustExtractor(t, "a[]=div", "b[]=div", "c=p"))
	total := 0
	for _, v := range f {
		for _, s := range v.([]string) {
			total += len(s)
		}
	}
	if total > maxPageFields || total < maxPageFields-maxValueLen {
		t.Errorf("%d bytes of values, want at most %d, and near it", total, maxPageFields)
	}

	empty := strings.Repeat("<div>", 400) + strings.Repeat("<i></i>", 100000) + "<p>y</p>"
	f = extract(t, empty, mustExtractor(t, "a[]=div", "p=p"))
	if n := len(f["a"].([]string)); n == 0 || n == 400 {
		t.Errorf("%d values of a: the node budget did not stop the walks", n)
	}
}

func TestParseRulesByteOrderMark(t *testing.T) {
	rules, err := ParseRules(strings.NewReader("\ufeffh=h1\r\nt=title\r\n"))
	if err != nil || len(rules) != 2 || rules[0].Name != "h" {
		t.Fatalf("ParseRules = %+v, %v; want rules h and t", rules, err)
	}
}
