package parser

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Limits on extraction rules and on what they take from a page, so that a
// rule file or a page cannot make a record unbounded.
const (
	maxRules      = 256      // rules in one Extractor
	maxRuleLen    = 4096     // bytes in one rule
	maxRulesBytes = 1 << 20  // bytes in a rule file
	maxValueLen   = 64 << 10 // bytes kept of one value
	maxValues     = 1000     // values kept for one NAME[] rule
	maxPageFields = 1 << 20  // bytes of values kept from one page, all rules together
	maxTextNodes  = 1 << 20  // nodes the text of values may visit on one page
)

// A Rule takes one field from each HTML page: the text (or an attribute)
// of the first element a CSS selector matches, or of every match.
type Rule struct {
	// Name is the field's name: letters, digits, '_', '-' and '.'.
	Name string
	// Selector is the CSS selector, as goquery (cascadia) takes it.
	Selector string
	// Attr is the attribute whose value is taken, its name compared
	// case-insensitively; "" takes the element's text, whitespace-collapsed.
	// Taking an attribute, an element without it is no match: the rule
	// moves on to the next element its selector matches.
	Attr string
	// All takes every match, in document order, as a list.
	All bool

	sel cascadia.Selector
}

// ParseRule parses one rule, "NAME=SELECTOR", "NAME=SELECTOR@ATTR",
// "NAME[]=SELECTOR" or "NAME[]=SELECTOR@ATTR". SELECTOR@ATTR takes the
// attribute ATTR: the text after the last '@', when it is an attribute name
// and what comes before it is a valid selector on its own; otherwise the
// whole text is the selector (so a[href$="@example.com"] stays one).
// Errors are one line naming the rule.
func ParseRule(spec string) (Rule, error) {
	if len(spec) > maxRuleLen {
		return Rule{}, fmt.Errorf("extract rule %.40q...: longer than %d bytes", spec, maxRuleLen)
	}
	name, sel, ok := strings.Cut(spec, "=")
	if !ok {
		return Rule{}, fmt.Errorf("extract rule %q: want NAME=SELECTOR", spec)
	}
	var r Rule
	name = strings.TrimSpace(name)
	r.Name, r.All = strings.CutSuffix(name, "[]")
	if !validName(r.Name) {
		return Rule{}, fmt.Errorf("extract rule %q: name %q: want letters, digits, '_', '-' or '.'", spec, r.Name)
	}
	r.Selector = strings.TrimSpace(sel)
	if i := strings.LastIndexByte(r.Selector, '@'); i >= 0 && validAttr(r.Selector[i+1:]) {
		if s, err := cascadia.Compile(r.Selector[:i]); err == nil {
			r.sel, r.Attr, r.Selector = s, r.Selector[i+1:], strings.TrimSpace(r.Selector[:i])
			return r, nil
		}
	}
	if r.Selector == "" {
		return Rule{}, fmt.Errorf("extract rule %q: empty selector", spec)
	}
	s, err := cascadia.Compile(r.Selector)
	if err != nil {
		return Rule{}, fmt.Errorf("extract rule %q: invalid selector: %v", spec, oneLine(err))
	}
	r.sel = s
	return r, nil
}

// ParseRules reads rules from a file's text: one per line; blank lines and
// lines starting with '#' (after spaces) are skipped. Errors name the line.
func ParseRules(r io.Reader) ([]Rule, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxRulesBytes+1))
	sc.Buffer(make([]byte, 0, 4096), maxRuleLen+2)
	var rules []Rule
	read, line := 0, 0
	for sc.Scan() {
		line++
		read += len(sc.Bytes()) + 1
		if read > maxRulesBytes {
			return nil, fmt.Errorf("line %d: rules longer than %d bytes", line, maxRulesBytes)
		}
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a byte order mark, as Notepad writes
		}
		text = strings.TrimSpace(text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		rule, err := ParseRule(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		rules = append(rules, rule)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", line+1, maxRuleLen)
		}
		return nil, err
	}
	return rules, nil
}

// An Extractor applies rules to parsed pages. It is safe for concurrent
// use; nil extracts nothing.
type Extractor struct {
	rules []Rule
}

// NewExtractor checks rules (each name once, at most maxRules) and returns
// their Extractor; no rules give nil.
func NewExtractor(rules []Rule) (*Extractor, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	if len(rules) > maxRules {
		return nil, fmt.Errorf("%d extract rules, more than %d", len(rules), maxRules)
	}
	seen := make(map[string]bool, len(rules))
	for _, r := range rules {
		if r.sel == nil {
			return nil, fmt.Errorf("extract rule %q: not made by ParseRule", r.Name)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("extract rules: field %q given twice", r.Name)
		}
		seen[r.Name] = true
	}
	return &Extractor{rules: rules}, nil
}

// Rules returns a copy of the rules, in the order given.
func (e *Extractor) Rules() []Rule {
	if e == nil {
		return nil
	}
	return slices.Clone(e.rules)
}

// Names returns the fields' names in the order the rules were given.
func (e *Extractor) Names() []string {
	if e == nil {
		return nil
	}
	names := make([]string, len(e.rules))
	for i, r := range e.rules {
		names[i] = r.Name
	}
	return names
}

// extraction is one page's extraction in progress: Parse's walk of the
// document shows it every element, in document order, so extracting costs
// no walk of its own.
type extraction struct {
	e      *Extractor
	fields map[string]any
	done   []bool // a single rule has its value, or a list rule its maxValues
	left   int    // rules not done
	bytes  int    // bytes of values left to keep: maxPageFields at the start
	nodes  int    // nodes the text of values may still visit: maxTextNodes at the start
}

func (e *Extractor) start() *extraction {
	if e == nil {
		return nil
	}
	return &extraction{e: e, done: make([]bool, len(e.rules)), left: len(e.rules), bytes: maxPageFields, nodes: maxTextNodes}
}

// visit offers element n to every rule not done yet. Once the page's
// values reach maxPageFields bytes, or their text has visited maxTextNodes
// nodes (nested matches of a NAME[] rule each take their whole subtree),
// no rule takes more.
func (x *extraction) visit(n *html.Node) {
	if x == nil || x.left == 0 {
		return
	}
	for i, r := range x.e.rules {
		if x.done[i] || !r.sel.Match(n) {
			continue
		}
		v, ok := r.value(n, min(maxValueLen, x.bytes), &x.nodes)
		if !ok {
			continue
		}
		if x.bytes -= len(v); x.bytes <= 0 || x.nodes <= 0 {
			x.left = 0
		}
		if x.fields == nil {
			x.fields = make(map[string]any, len(x.e.rules))
		}
		if !r.All {
			x.fields[r.Name] = v
			x.done[i], x.left = true, x.left-1
			continue
		}
		vs, _ := x.fields[r.Name].([]string)
		vs = append(vs, v)
		x.fields[r.Name] = vs
		if len(vs) == maxValues {
			x.done[i], x.left = true, x.left-1
		}
	}
}

// result returns the fields taken: a field is absent when nothing matched
// (or, taking an attribute, no match has it); a single field is a string,
// a NAME[] field a []string in document order. Nil when none.
func (x *extraction) result() map[string]any {
	if x == nil {
		return nil
	}
	return x.fields
}

// value is what r takes from n: its attribute (false when n has none) or
// its text, valid UTF-8 and at most limit bytes; the text's walk visits at
// most *nodes nodes, and takes them off.
func (r Rule) value(n *html.Node, limit int, nodes *int) (string, bool) {
	var v string
	if r.Attr != "" {
		a, ok := attrFold(n, r.Attr)
		if !ok {
			return "", false
		}
		v = strings.TrimSpace(a)
	} else {
		v = collapsedText(n, limit, nodes)
	}
	return cut(strings.ToValidUTF8(v, "\uFFFD"), limit), true
}

// collapsedText concatenates the text nodes under n, as textContent does
// (without an HTML <template>'s contents, as elements walks), collapsed by
// a collapser. It stops once it has kept more than limit bytes or visited
// *nodes nodes, so neither a long text, a long run of spaces nor a big
// subtree without text costs more than that; the caller cuts the result
// to limit.
func collapsedText(n *html.Node, limit int, nodes *int) string {
	var c collapser
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for ch := n.FirstChild; ch != nil && c.b.Len() <= limit && *nodes > 0; ch = ch.NextSibling {
			*nodes--
			switch ch.Type {
			case html.TextNode:
				c.write(ch.Data, limit)
			case html.ElementNode:
				if !(ch.DataAtom == atom.Template && ch.Namespace == "") {
					walk(ch)
				}
			}
		}
	}
	walk(n)
	return c.b.String()
}

// A collapser builds a text with each run of ASCII whitespace collapsed to
// one space and none at either end (the HTML standard's "strip and
// collapse ASCII whitespace").
type collapser struct {
	b     strings.Builder
	space bool // a space is due before the next byte kept
}

// write appends s, stopping once more than limit bytes are kept.
func (c *collapser) write(s string, limit int) {
	for i := 0; i < len(s) && c.b.Len() <= limit; i++ {
		ch := s[i]
		if ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r' {
			c.space = c.b.Len() > 0
			continue
		}
		if c.space {
			c.b.WriteByte(' ')
			c.space = false
		}
		c.b.WriteByte(ch)
	}
}

// attrFold is n's attribute named key, compared case-insensitively: the
// HTML parser lowercases HTML attributes but keeps SVG's camelCase ones
// (viewBox), and a rule may write either. A foreign attribute is named
// with its prefix, as written: xlink:href.
func attrFold(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		k := a.Key
		if a.Namespace != "" {
			k = a.Namespace + ":" + a.Key
		}
		if strings.EqualFold(k, key) {
			return a.Val, true
		}
	}
	return "", false
}

// cut truncates a collapsed text to at most n bytes, at a rune boundary,
// without a space left at its end.
func cut(s string, n int) string {
	return strings.TrimRight(truncateUTF8(s, n), " ")
}

// truncateUTF8 cuts s to at most n bytes, at a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validAttr reports whether s is an HTML attribute name as a rule may
// write it (letters, digits, '-', '_', ':', '.', not starting with a
// digit or '-').
func validAttr(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// oneLine keeps the first line of err's message, with any other control
// character in it (cascadia quotes a selector's '\r' as is) escaped.
func oneLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	var b strings.Builder
	for _, r := range msg {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
