package crawler

import (
	"strings"
	"testing"
	"time"
)

// TestRobotsRFC9309 checks robots.txt against RFC 9309, section by section,
// with the defects an independent suite found in temoto/robotstxt's
// matcher as cases. The agent is "crawl" unless a case says otherwise.
func TestRobotsRFC9309(t *testing.T) {
	const homeOnly = "User-agent: *\nAllow: /$\nDisallow: /\n"
	tests := []struct {
		section string // RFC 9309 section the case comes from
		name    string
		body    string
		agent   string // default "crawl"
		path    string
		allow   bool
	}{
		// 2.2.3: "*" matches any sequence, "$" the end; matching is
		// from the start of the path.
		{"2.2.3", "home page only: /", homeOnly, "", "/", true},
		{"2.2.3", "home page only: a directory", homeOnly, "", "/dir/", false},
		{"2.2.3", "home page only: a query", homeOnly, "", "/?q=1", false},
		{"2.2.3", "wildcard anchored at start", "User-agent: *\nDisallow: /fish*.php\n", "", "/a/fish.php", true},
		{"2.2.3", "wildcard matches", "User-agent: *\nDisallow: /fish*.php\n", "", "/fish/salmon.php", false},
		{"2.2.3", "wildcard without $ is a prefix", "User-agent: *\nDisallow: /*.php\n", "", "/index.php?x=1", false},
		{"2.2.3", "$ anchors the end", "User-agent: *\nDisallow: /*.php$\n", "", "/index.php?x=1", true},
		{"2.2.3", "$ anchors the end: match", "User-agent: *\nDisallow: /*.php$\n", "", "/a/index.php", false},
		{"2.2.3", "$ inside a pattern is an octet", "User-agent: *\nDisallow: /a$b\n", "", "/a$b/c", false},
		{"2.2.3", "trailing * is no change", "User-agent: *\nDisallow: /fish*\n", "", "/fishheads", false},
		{"2.2.3", "leading * matches anywhere", "User-agent: *\nDisallow: *private\n", "", "/a/private/b", false},
		{"2.2.3", "several wildcards", "User-agent: *\nDisallow: /*/b/*/d$\n", "", "/a/b/c/d", false},
		{"2.2.3", "several wildcards: no match", "User-agent: *\nDisallow: /*/b/*/d$\n", "", "/a/b/c/de", true},

		// 2.2.2: the most specific (most octets) match wins; Allow wins
		// a tie.
		{"2.2.2", "longer allow wins", "User-agent: *\nDisallow: /a\nAllow: /a/b\n", "", "/a/b/c", true},
		{"2.2.2", "longer disallow wins", "User-agent: *\nAllow: /a\nDisallow: /a/b\n", "", "/a/b/c", false},
		{"2.2.2", "octets, not a compiled length", "User-agent: *\nAllow: /*.html\nDisallow: /private/\n", "", "/private/a.html", false},
		{"2.2.2", "octets: the wildcard rule is longer", "User-agent: *\nAllow: /private/*.html\nDisallow: /private/\n", "", "/private/a.html", true},
		{"2.2.2", "tie goes to allow", "User-agent: *\nDisallow: /page\nAllow: /page\n", "", "/page", true},
		{"2.2.2", "tie goes to allow, allow first", "User-agent: *\nAllow: /page\nDisallow: /page\n", "", "/page", true},
		{"2.2.2", "tie with wildcards goes to allow", "User-agent: *\nDisallow: /*.htm\nAllow: /a*.ht\n", "", "/ab.htm", true},
		{"2.2.2", "no match allows", "User-agent: *\nDisallow: /x\n", "", "/y", true},
		{"2.2.2", "empty disallow is no rule", "User-agent: *\nDisallow:\n", "", "/x", true},
		{"2.2.2", "empty allow is no rule", "User-agent: *\nAllow:\nDisallow: /\n", "", "/x", false},
		{"2.2.2", "robots.txt is always allowed", "User-agent: *\nDisallow: /\n", "", "/robots.txt", true},
		{"2.2.2", "query is part of the path", "User-agent: *\nDisallow: /p?session=\n", "", "/p?session=1", false},
		{"2.2.3", "%24 in a rule is a literal $", "User-agent: *\nDisallow: /path/foo-%24\n", "", "/path/foo-$", false},
		{"2.2.3", "%2A in a rule is a literal *", "User-agent: *\nDisallow: /\nAllow: /path/file-with-a-%2A.html\n", "", "/path/file-with-a-*.html", true},
		{"2.2.3", "%2A is no wildcard", "User-agent: *\nDisallow: /a%2Ab\n", "", "/axxb", true},
		{"2.2.3", "a literal * in the path matches a wildcard", "User-agent: *\nDisallow: /a*\n", "", "/a*b", false},
		{"2.2.2", "no-break space is part of the rule", "User-agent: *\nDisallow: /secret\nAllow: /secret\u00a0\n", "", "/secret/x", false},
		{"2.2.2", "allow without a slash is no rule", "User-agent: *\nDisallow: /\nAllow: public\n", "", "/public/x", false},
		{"2.2.2", "pattern without a slash", "User-agent: *\nDisallow: private\n", "", "/private/x", false},

		// 2.2.2: paths and rules are compared percent-encoded, with
		// unreserved characters decoded.
		{"2.2.2", "UTF-8 rule, encoded path", "User-agent: *\nDisallow: /café/\n", "", "/caf%C3%A9/menu", false},
		{"2.2.2", "lowercase escape in the rule", "User-agent: *\nDisallow: /caf%c3%a9/\n", "", "/caf%C3%A9/menu", false},
		{"2.2.2", "lowercase escape in the path", "User-agent: *\nDisallow: /caf%C3%A9/\n", "", "/caf%c3%a9/menu", false},
		{"2.2.2", "escaped unreserved in the rule", "User-agent: *\nDisallow: /%7Ejoe/\n", "", "/~joe/x", false},
		{"2.2.2", "escaped unreserved in the path", "User-agent: *\nDisallow: /~joe/\n", "", "/%7ejoe/x", false},
		{"2.2.2", "RFC table: %62%61%7A is baz", "User-agent: *\nDisallow: /foo/bar/baz\n", "", "/foo/bar/%62%61%7A", false},
		{"2.2.2", "an escaped slash stays escaped", "User-agent: *\nDisallow: /a/b\n", "", "/a%2Fb", true},

		// 2.1, 2.2: lines, comments, keys.
		{"2.1", "UTF-8 byte order mark", "\xEF\xBB\xBFCrawl-delay: 10\nUser-agent: *\nDisallow: /private\n", "", "/private", false},
		{"2.1", "byte order mark before user-agent", "\xEF\xBB\xBFUser-agent: *\nDisallow: /private\n", "", "/private", false},
		{"2.1", "cut byte order mark", "\xEF\xBBUser-agent: *\nDisallow: /private\n", "", "/private", false},
		{"2.1", "one byte of a byte order mark", "\xEFUser-agent: *\nDisallow: /private\n", "", "/private", false},
		{"2.1", "CR line ends", "User-agent: *\rDisallow: /x\r", "", "/x", false},
		{"2.1", "CRLF line ends", "User-agent: *\r\nDisallow: /x\r\n", "", "/x", false},
		{"2.1", "# comment inside a value", "User-agent: *\nDisallow: /x # not /y\n", "", "/x", false},
		{"2.1", "# comment: the rest is no rule", "User-agent: *\nDisallow: /x#/y\n", "", "/x/y", false},
		{"2.1", "keys are case-insensitive", "USER-AGENT: *\nDISALLOW: /x\n", "", "/x", false},
		{"2.1", "misspelt disallow", "User-agent: *\nDissallow: /x\n", "", "/x", false},
		{"2.1", "user agent with a space", "User agent: *\nDisallow: /x\n", "", "/x", false},
		{"2.1", "forgotten colon", "User-agent *\nDisallow /x\n", "", "/x", false},
		{"2.1", "unknown lines ignored", "User-agent: *\nNoindex: /x\nDisallow: /y\n", "", "/x", true},

		// 2.3.1.5 and 2.2: what cannot be parsed is skipped, not the file.
		{"2.3.1.5", "Crawl-delay NaN", "User-agent: *\nCrawl-delay: NaN\nDisallow: /private\n", "", "/private", false},
		{"2.3.1.5", "no colon before the first group", "Disallow /tmp\nUser-agent: *\nDisallow: /private\n", "", "/private", false},
		{"2.3.1.5", "no colon: the rule is no group's", "Disallow /tmp\nUser-agent: *\nDisallow: /private\n", "", "/tmp", true},
		{"2.3.1.5", "three words without a colon", "User-agent: *\nDisallow /a /b\nDisallow: /c\n", "", "/a", true},
		{"2.3.1.5", "binary garbage", "\x00\xff\xfe garbage \x01", "", "/x", true},
		{"2.3.1.5", "garbage line among rules", "User-agent: *\n\x00\x01\x02\nDisallow: /x\n", "", "/x", false},

		// 2.2.1: groups. The agent's own groups are merged; "*" applies
		// only when none names it; matching is by exact product token.
		{"2.2.1", "let one crawler in", "User-agent: *\nDisallow: /\n\nUser-agent: crawl\nDisallow:", "", "/x", true},
		{"2.2.1", "let one crawler in: others out", "User-agent: *\nDisallow: /\n\nUser-agent: crawl\nDisallow:", "other", "/x", false},
		{"2.2.1", "rule-less last group", "User-agent: *\nDisallow: /\n\nUser-agent: crawl\n", "", "/x", true},
		{"2.2.1", "rule-less group before others", "User-agent: crawl\n\nUser-agent: *\nDisallow: /\n", "", "/x", false},
		{"2.2.1", "group by prefix does not apply", "User-agent: Foo\nDisallow: /\n", "foobot", "/x", true},
		{"2.2.1", "agent by prefix does not apply", "User-agent: FooBot\nDisallow: /\n", "foo", "/x", true},
		{"2.2.1", "case-insensitive agent", "User-agent: CRAWL\nDisallow: /x\n", "", "/x", false},
		{"2.2.1", "product token with a version", "User-agent: FooBot/1.0\nDisallow: /\n", "foobot", "/x", false},
		{"2.2.1", "product token and a comment word", "User-agent: FooBot extra\nDisallow: /\n", "foobot", "/x", false},
		{"2.2.1", "two agents, one group", "User-agent: a\nUser-agent: crawl\nDisallow: /x\n", "", "/x", false},
		{"2.2.1", "groups merged", "User-agent: crawl\nDisallow: /a\n\nUser-agent: other\nDisallow: /b\n\nUser-agent: crawl\nDisallow: /c\n", "", "/c", false},
		{"2.2.1", "groups merged: first too", "User-agent: crawl\nDisallow: /a\n\nUser-agent: other\nDisallow: /b\n\nUser-agent: crawl\nDisallow: /c\n", "", "/a", false},
		{"2.2.1", "merged: other group not", "User-agent: crawl\nDisallow: /a\n\nUser-agent: other\nDisallow: /b\n\nUser-agent: crawl\nDisallow: /c\n", "", "/b", true},
		{"2.2.1", "star groups merged", "User-agent: *\nDisallow: /a\nUser-agent: *\nDisallow: /b\n", "", "/b", false},
		{"2.2.1", "own group hides star", "User-agent: *\nDisallow: /a\n\nUser-agent: crawl\nDisallow: /b\n", "", "/a", true},
		{"2.2.1", "a blank line does not end a group", "User-agent: crawl\n\nDisallow: /x\n", "", "/x", false},
		{"2.2.1", "sitemap does not end a group", "User-agent: crawl\nSitemap: https://h/s.xml\nUser-agent: b\nDisallow: /x\n", "", "/x", false},
		{"2.2.1", "crawl-delay does not end a group", "User-agent: crawl\nCrawl-delay: 5\nUser-agent: b\nDisallow: /x\n", "", "/x", false},
		{"2.2.1", "rules before any group", "Disallow: /\nUser-agent: *\nDisallow: /x\n", "", "/y", true},
		{"2.2.1", "star with a comment word", "User-agent: * all\nDisallow: /x\n", "", "/x", false},
		{"2.2.1", "star followed by letters is no star", "User-agent: *bot\nDisallow: /x\n", "", "/x", true},

		// Google's parser, where the RFC leaves room: allowing
		// /index.html allows the directory.
		{"google", "index.html allows the directory", "User-agent: *\nDisallow: /\nAllow: /dir/index.html\n", "", "/dir/", true},
		{"google", "index.html: not below", "User-agent: *\nDisallow: /\nAllow: /dir/index.html\n", "", "/dir/other", false},
	}
	for _, tt := range tests {
		t.Run(tt.section+"/"+tt.name, func(t *testing.T) {
			agent := tt.agent
			if agent == "" {
				agent = "crawl"
			}
			r := parseRobots([]byte(tt.body), agent)
			if got := r.allowed(tt.path); got != tt.allow {
				t.Errorf("RFC 9309 %s: allowed(%q) for %q = %v, want %v\n%s", tt.section, tt.path, agent, got, tt.allow, tt.body)
			}
		})
	}
}

func TestRobotsCrawlDelayAndSitemaps(t *testing.T) {
	body := "Sitemap: https://h/a.xml\nUser-agent: *\nCrawl-delay: 3\n\nUser-agent: crawl\nCrawl-delay: 1.5\nCrawl-delay: -1\nCrawl-delay: Inf\nDisallow: /x\nsite-map: https://h/b.xml # two\n"
	r := parseRobots([]byte(body), "crawl")
	if got := r.crawlDelay(); got != 1500*time.Millisecond {
		t.Errorf("crawlDelay = %v, want 1.5s (the agent's group)", got)
	}
	if got := parseRobots([]byte(body), "other").crawlDelay(); got != 3*time.Second {
		t.Errorf("other's crawlDelay = %v, want 3s (the star group)", got)
	}
	if got, want := strings.Join(r.sitemaps, " "), "https://h/a.xml https://h/b.xml"; got != want {
		t.Errorf("sitemaps = %q, want %q", got, want)
	}
}

func TestRobotsAgentToken(t *testing.T) {
	for ua, want := range map[string]string{
		"crawl/0.1 (+https://x)": "crawl",
		"MyBot":                  "mybot",
		"My Bot/2":               "my",
		"Foo_Bot-2":              "foo_bot-",
		"Mozilla/5.0 (compatible; ExampleBot/1.0)": "mozilla",
	} {
		if got := newRobotsCache(ua).agent; got != want {
			t.Errorf("agent of %q = %q, want %q", ua, got, want)
		}
	}
}

// FuzzParseRobots reads untrusted robots.txt files: it never panics, and
// whatever the file says, /robots.txt stays allowed, and another agent's
// group put before the file does not change the verdict.
func FuzzParseRobots(f *testing.F) {
	for _, s := range []string{
		"", "User-agent: *\nDisallow: /\n", "\xEF\xBB\xBFUser-agent: *\rAllow: /$\r\nDisallow: /",
		"User-agent: crawl\nDisallow: /*.php$\nAllow: /a%7e*b\nCrawl-delay: 1e309\n",
		"Disallow /x\nuser agent crawl\nsitemap: x\n#\n%", "User-agent: *\nDisallow: ****$$\n",
	} {
		f.Add([]byte(s), "/a/b.php")
	}
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r := parseRobots(body, "crawl")
		if !r.allowed("/robots.txt") {
			t.Fatalf("/robots.txt disallowed by %q", body)
		}
		got := r.allowed(path)
		other := append([]byte("User-agent: other\nDisallow: /\nCrawl-delay: 9\n\n"), trimBOM(body)...)
		if r2 := parseRobots(other, "crawl"); r2.allowed(path) != got || r2.crawlDelay() != r.crawlDelay() {
			t.Fatalf("another agent's group changed allowed(%q) from %v:\n%q", path, got, body)
		}
		if d := r.crawlDelay(); d < 0 {
			t.Fatalf("negative crawl delay %v", d)
		}
	})
}
