package crawler

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/crawl-dev/crawl/parser"
)

// This file is where robots.txt is read and applied, to the letter of
// RFC 9309 (and, where the RFC leaves room, as Google's open-source parser
// does). temoto/robotstxt cannot be corrected from outside: its groups'
// rules are unexported, its Test matches wildcard rules unanchored and
// ranks them by the length of a compiled regexp, a tie goes to the first
// rule listed, groups match by prefix, and one line it cannot parse fails
// the whole file. So the file is parsed here, line by line.

// robotsMaxSitemaps is how many Sitemap lines of one robots.txt are kept.
const robotsMaxSitemaps = 1000

// robotsRules is a host's robots.txt as it applies to one product token:
// the rules of every group that names the token (merged, RFC 9309 2.2.1),
// or of the "*" groups when none does.
type robotsRules struct {
	rules    []robotsRule
	delay    time.Duration // Crawl-delay, the largest of the groups'
	sitemaps []string      // Sitemap lines, for every agent
}

// robotsRule is one Allow or Disallow line, its pattern in the form paths
// are compared in (parser.NormalizeEscapes: "/café/", "/caf%c3%a9/" and
// "/caf%C3%A9/" are one path; so are "/%7Ejoe/" and "/~joe/").
type robotsRule struct {
	pattern string
	allow   bool
}

// allowed reports whether a URL's path and query (as RequestURI gives them)
// may be fetched: the matching rule with the longest pattern decides, Allow
// wins a tie, and no matching rule allows (RFC 9309 2.2.2). /robots.txt is
// always allowed.
func (r *robotsRules) allowed(pathAndQuery string) bool {
	if r == nil || len(r.rules) == 0 {
		return true
	}
	path := robotsPath(pathAndQuery)
	if path == "/robots.txt" {
		return true
	}
	best, allow := -1, true
	for _, rule := range r.rules {
		n := len(rule.pattern)
		if n < best || (n == best && allow) || !robotsMatch(rule.pattern, path) {
			continue
		}
		best, allow = n, rule.allow
	}
	return allow
}

func (r *robotsRules) crawlDelay() time.Duration {
	if r == nil {
		return 0
	}
	return r.delay
}

// rulesOf returns the rules of a robots.txt file for agent; a nil file (a
// 4xx robots.txt) allows everything.
func rulesOf(file []byte, agent string) *robotsRules {
	if file == nil {
		return &robotsRules{}
	}
	return parseRobots(file, agent)
}

// robotsAgent is the product token of a User-Agent, lowercased: its
// leading letters, '_' and '-' (RFC 9309 2.2.1), matched against robots.txt's
// User-agent lines ("crawl" for "crawl/0.1 (+https://...)", "mozilla" for
// "Mozilla/5.0 (compatible; ExampleBot/1.0)").
func robotsAgent(userAgent string) string {
	return strings.ToLower(productToken(strings.TrimSpace(userAgent)))
}

// productToken is the leading run of s made of [a-zA-Z_-].
func productToken(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return s[:i]
		}
	}
	return s
}

// parseRobots reads a robots.txt for agent. Whatever cannot be parsed is
// skipped and the rest applies (RFC 9309 2.2: "crawlers MUST... parse" what
// they can; 2.3.1.5 asks for a best effort). In detail:
//
//   - a UTF-8 byte order mark, even a cut one, is skipped; lines end at CR, LF or CRLF;
//   - '#' starts a comment anywhere on a line;
//   - a line is "key: value"; a line without a colon is read as
//     "key value" when it holds exactly two words, and skipped otherwise;
//   - keys are case-insensitive, and common misspellings are accepted
//     (useragent, "user agent", dissallow, disalow...);
//   - a group is one or more User-agent lines and the rules after them; a
//     User-agent line after a rule starts a new group; rules before any
//     User-agent line belong to no group;
//   - a User-agent value is its product token ("FooBot" in "FooBot/1.0"),
//     matched case-insensitively and exactly: "Foo" is not "FooBot"; "*" is
//     every crawler without a group of its own;
//   - a group that names the agent applies even with no rules (it allows
//     everything), and every group that names it is merged;
//   - an empty Allow or Disallow is no rule; an unreadable, negative or
//     infinite Crawl-delay is skipped.
func parseRobots(body []byte, agent string) *robotsRules {
	body = trimBOM(body)
	var (
		specific, global   []robotsRule
		specificDelay      time.Duration
		globalDelay        time.Duration
		seenSpecific       bool // some group names agent
		inSpecific, inStar bool // the current group names agent, "*"
		seenRule           bool // the current group has had a rule
		sitemaps           []string
	)
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexAny(body, "\r\n"); i >= 0 {
			line = body[:i]
			if body[i] == '\r' && i+1 < len(body) && body[i+1] == '\n' {
				i++
			}
			body = body[i+1:]
		} else {
			line, body = body, nil
		}
		key, value, ok := robotsLine(line)
		if !ok {
			continue
		}
		switch key {
		case "user-agent":
			if seenRule {
				inSpecific, inStar, seenRule = false, false, false
			}
			if value == "*" || strings.HasPrefix(value, "*") && (len(value) == 1 || value[1] == ' ' || value[1] == '\t') {
				inStar = true
			} else if tok := productToken(value); tok != "" && strings.EqualFold(tok, agent) {
				inSpecific, seenSpecific = true, true
			}
		case "allow", "disallow":
			seenRule = true
			if value == "" {
				continue
			}
			pattern := robotsPattern(value)
			if !strings.HasPrefix(pattern, "/") && !strings.HasPrefix(pattern, "*") {
				if key == "allow" {
					continue // not a path (RFC 9309 2.2.2): the stricter reading of a broken line
				}
				pattern = "/" + pattern
			}
			rules := []robotsRule{{pattern: pattern, allow: key == "allow"}}
			if dir, ok := indexPage(pattern); ok && key == "allow" {
				// As Google's parser does: allowing /dir/index.html
				// allows /dir/ too.
				rules = append(rules, robotsRule{pattern: dir + "$", allow: true})
			}
			if inSpecific {
				specific = append(specific, rules...)
			}
			if inStar {
				global = append(global, rules...)
			}
		case "crawl-delay":
			// Not a rule (RFC 9309 2.2's grammar has Allow and
			// Disallow only): it does not end the group's agents.
			d, err := strconv.ParseFloat(value, 64)
			if err != nil || d < 0 || math.IsNaN(d) || math.IsInf(d, 0) || d > 1e6 {
				continue
			}
			delay := time.Duration(d * float64(time.Second))
			if inSpecific {
				specificDelay = max(specificDelay, delay)
			}
			if inStar {
				globalDelay = max(globalDelay, delay)
			}
		case "sitemap":
			if value != "" && len(sitemaps) < robotsMaxSitemaps {
				sitemaps = append(sitemaps, value)
			}
		}
	}
	if seenSpecific {
		return &robotsRules{rules: specific, delay: specificDelay, sitemaps: sitemaps}
	}
	return &robotsRules{rules: global, delay: globalDelay, sitemaps: sitemaps}
}

// robotsPath is a URL's path and query in the form rules are compared in:
// percent-encoding normalized (parser.NormalizeEscapes), and a literal '*'
// or '$' encoded, since in a rule those octets are written %2A and %24
// (RFC 9309 2.2.3).
func robotsPath(pathAndQuery string) string {
	p := parser.NormalizeEscapes(pathAndQuery)
	if strings.ContainsAny(p, "*$") {
		p = strings.NewReplacer("*", "%2A", "$", "%24").Replace(p)
	}
	return p
}

// robotsPattern is a rule's value in the form it is compared in: as
// robotsPath, but '*' is the wildcard and a final '$' the end of the path;
// a '$' elsewhere is the octet.
func robotsPattern(value string) string {
	p := parser.NormalizeEscapes(value)
	body, end := strings.CutSuffix(p, "$")
	if strings.Contains(body, "$") {
		body = strings.ReplaceAll(body, "$", "%24")
	}
	if end {
		return body + "$"
	}
	return body
}

// trimBOM cuts a leading UTF-8 byte order mark, or what is left of one:
// as in Google's parser, a cut BOM must not hide the first group.
func trimBOM(body []byte) []byte {
	for _, bom := range []string{"\xEF\xBB\xBF", "\xEF\xBB", "\xEF"} {
		if rest, ok := bytes.CutPrefix(body, []byte(bom)); ok {
			return rest
		}
	}
	return body
}

// asciiSpace is the whitespace of robots.txt lines: ASCII only (U+00A0 in
// a rule is part of it).
const asciiSpace = " \t\v\f"

// robotsKeys maps the keys of robots.txt lines, lowercased, to the ones
// this parser knows, misspellings included.
var robotsKeys = map[string]string{
	"user-agent": "user-agent", "useragent": "user-agent", "user agent": "user-agent",
	"allow":    "allow",
	"disallow": "disallow", "dissallow": "disallow", "dissalow": "disallow",
	"disalow": "disallow", "diasllow": "disallow", "disallaw": "disallow",
	"crawl-delay": "crawl-delay", "crawldelay": "crawl-delay",
	"sitemap": "sitemap", "site-map": "sitemap",
}

// robotsLine splits one line into its known key and trimmed value; ok is
// false for blank, comment, unknown or unreadable lines.
func robotsLine(line []byte) (key, value string, ok bool) {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	s := strings.Trim(string(line), asciiSpace)
	if s == "" {
		return "", "", false
	}
	k, v, found := strings.Cut(s, ":")
	if !found {
		// "Disallow /tmp": a forgotten colon, accepted when the line
		// is exactly two words.
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return "", "", false
		}
		k, v = s[:i], strings.TrimLeft(s[i:], " \t")
		if strings.ContainsAny(v, " \t") {
			return "", "", false
		}
	}
	key, ok = robotsKeys[strings.ToLower(strings.Trim(k, asciiSpace))]
	return key, strings.Trim(v, asciiSpace), ok
}

// indexPage reports whether pattern ends in /index.htm or /index.html, and
// returns it cut after the slash.
func indexPage(pattern string) (string, bool) {
	for _, page := range []string{"index.htm", "index.html"} {
		if dir, ok := strings.CutSuffix(pattern, "/"+page); ok {
			return dir + "/", true
		}
	}
	return "", false
}

// robotsMatch reports whether pattern matches path from its start: '*'
// matches any run of octets, and '$' at the end of pattern matches the end
// of path (RFC 9309 2.2.3). Anywhere else '$' is itself.
func robotsMatch(pattern, path string) bool {
	pattern, anchored := strings.CutSuffix(pattern, "$")
	if !strings.Contains(pattern, "*") {
		if anchored {
			return path == pattern
		}
		return strings.HasPrefix(path, pattern)
	}
	parts := strings.Split(pattern, "*")
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(path, first) {
		return false
	}
	rest := path[len(first):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, part)
		if i < 0 {
			return false
		}
		rest = rest[i+len(part):]
	}
	if anchored {
		return strings.HasSuffix(rest, last)
	}
	return strings.Contains(rest, last)
}
