package testserver

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RobotsMode is how a robots site answers /robots.txt. Each mode is its
// own site (NewRobotsSite), because a crawler keys robots.txt by origin:
// serve each on its own listener or in-memory host.
type RobotsMode uint8

const (
	// RobotsRules serves the standard rules: /private/ is disallowed for
	// every agent.
	RobotsRules RobotsMode = iota
	// RobotsNotFound answers 404: everything is allowed.
	RobotsNotFound
	// RobotsServerError answers 500 every time: the host is treated as
	// disallowed, the seed is recorded with an error after its retries and
	// nothing but robots.txt is ever requested.
	RobotsServerError
	// RobotsUnavailable answers 503 to the first Failures requests, then
	// serves the standard rules.
	RobotsUnavailable
	// RobotsTooManyRequests answers 429 (with Retry-After) to the first
	// Failures requests, then serves the standard rules.
	RobotsTooManyRequests
	// RobotsHang never answers: like RobotsServerError, by timeouts.
	RobotsHang
	// RobotsRedirect redirects (301) to /robots/real.txt, which serves the
	// standard rules.
	RobotsRedirect
	// RobotsCrawlDelay serves the standard rules with a Crawl-delay:
	// consecutive page requests must start CrawlDelay apart.
	RobotsCrawlDelay
	// RobotsAgentGroup has a group for the crawler's token ("crawl") that
	// differs from the * group: /no-crawl/ is disallowed for "crawl",
	// /no-star/ for everyone else; the crawler must use its own group only.
	RobotsAgentGroup
	// RobotsLarge is larger than 500 KiB: after the first rule comes a
	// 100 KiB comment line, then a second rule (/also-private/), then
	// filler; both rules are within the first 500 KiB that RFC 9309 asks
	// crawlers to parse.
	RobotsLarge
	// RobotsGarbage serves binary garbage with status 200: no rules, so
	// everything is allowed.
	RobotsGarbage
	numRobotsModes
)

var robotsModeNames = [numRobotsModes]string{
	"rules", "404", "500", "503", "429", "hang", "redirect", "crawl-delay", "agent", "large", "garbage",
}

// String returns the mode's name, as ParseRobotsMode reads it.
func (m RobotsMode) String() string {
	if m < numRobotsModes {
		return robotsModeNames[m]
	}
	return fmt.Sprintf("RobotsMode(%d)", uint8(m))
}

// ParseRobotsMode parses a mode name: rules, 404, 500, 503, 429, hang,
// redirect, crawl-delay, agent, large or garbage.
func ParseRobotsMode(s string) (RobotsMode, error) {
	for m, name := range robotsModeNames {
		if strings.EqualFold(s, name) {
			return RobotsMode(m), nil
		}
	}
	return 0, fmt.Errorf("unknown robots mode %q (want %s)", s, strings.Join(robotsModeNames[:], ", "))
}

// RobotsModes returns every mode, for table tests.
func RobotsModes() []RobotsMode {
	modes := make([]RobotsMode, numRobotsModes)
	for i := range modes {
		modes[i] = RobotsMode(i)
	}
	return modes
}

// Defaults applied by NewRobotsSite.
const (
	DefaultRobotsFailures = 2
	DefaultCrawlDelay     = 2 * time.Second
)

// RobotsConfig describes a robots site.
type RobotsConfig struct {
	Mode RobotsMode
	// Failures is how many requests RobotsUnavailable and
	// RobotsTooManyRequests fail before they serve the rules (<= 0:
	// DefaultRobotsFailures). More failures than the crawl's retries make
	// the host unavailable for the whole crawl.
	Failures int
	// CrawlDelay is RobotsCrawlDelay's Crawl-delay, written in seconds
	// (<= 0: DefaultCrawlDelay).
	CrawlDelay time.Duration
	// Seed seeds RobotsGarbage's bytes.
	Seed int64
}

// robotsPages returns the pages of a robots site; "/" links to all of
// them.
func robotsPages() []string {
	return []string{
		"/page/1", "/page/2", "/page/3", "/page/4", "/page/5",
		"/private/1", "/also-private/1", "/no-star/1", "/no-crawl/1",
	}
}

// NewRobotsSite builds a small site whose robots.txt behaves as cfg.Mode
// says: "/" links to /page/1 ... /page/5, /private/1, /also-private/1,
// /no-star/1 and /no-crawl/1, which link nowhere. Expect and ExpectCrawl
// give what a crawl from "/" must record (with Crawl.Retries and
// Crawl.UserAgent), Expectation.Support how often robots.txt is requested,
// and Expectation.MinGap the Crawl-delay.
func NewRobotsSite(cfg RobotsConfig) *Site {
	if cfg.Failures <= 0 {
		cfg.Failures = DefaultRobotsFailures
	}
	if cfg.CrawlDelay <= 0 {
		cfg.CrawlDelay = DefaultCrawlDelay
	}
	hc := HostileConfig{RetryAfter: time.Second}.withDefaults()
	b := &hostileBuilder{cfg: hc, traps: make(map[string]bool)}
	pages := robotsPages()
	b.page("/", "Robots test site: "+cfg.Mode.String(), pages...)
	for _, p := range pages {
		b.page(p, "Robots test page "+p)
	}
	m := robotsModel{mode: cfg.Mode, failures: cfg.Failures, delay: cfg.CrawlDelay}
	b.robots(m, cfg.Seed)
	h := &hostile{cfg: hc, robots: m}
	h.bomb = buildBomb
	return b.site(h)
}

// robotsModel is what a site's robots.txt means to a crawl: whether it can
// be read at all, the disallowed prefixes, the Crawl-delay and how often
// it is requested.
type robotsModel struct {
	mode     RobotsMode
	failures int
	delay    time.Duration
}

const robotsRules = "User-agent: *\nDisallow: /private/\n"

// robots adds the fixtures that serve robots.txt in mode m.
func (b *hostileBuilder) robots(m robotsModel, seed int64) {
	const path = "/robots.txt"
	plain := func(path string, status int, body string) *fixture {
		return b.add(&fixture{path: path, status: status, ctype: textType, body: []byte(body)})
	}
	switch m.mode {
	case RobotsRules:
		plain(path, 200, robotsRules)
	case RobotsNotFound:
		plain(path, 404, "no robots.txt: everything is allowed\n")
	case RobotsServerError:
		plain(path, 500, "robots.txt is broken\n")
	case RobotsUnavailable, RobotsTooManyRequests:
		f := plain(path, 200, robotsRules)
		f.failFirst, f.failStatus = int64(m.failures), 503
		if m.mode == RobotsTooManyRequests {
			f.failStatus, f.retryAfter = 429, retrySeconds
		}
		f.failBody = errorHTML(f.failStatus, "/")
	case RobotsHang:
		b.add(&fixture{path: path, act: actNever})
	case RobotsRedirect:
		b.add(&fixture{path: path, status: 301, location: "/robots/real.txt", target: "/robots/real.txt"})
		plain("/robots/real.txt", 200, robotsRules)
	case RobotsCrawlDelay:
		plain(path, 200, "User-agent: *\nCrawl-delay: "+strconv.FormatFloat(m.delay.Seconds(), 'f', -1, 64)+
			"\nDisallow: /private/\n")
	case RobotsAgentGroup:
		plain(path, 200, "# The crawler's own group replaces the * group.\n"+
			"User-agent: *\nDisallow: /private/\nDisallow: /no-star/\n\n"+
			"User-agent: crawl\nDisallow: /private/\nDisallow: /no-crawl/\n")
	case RobotsLarge:
		plain(path, 200, largeRobots())
	case RobotsGarbage:
		b.add(&fixture{path: path, status: 200, ctype: textType, body: garbage(seed, 4096, "\r\n:#")})
	}
}

// largeRobots returns a robots.txt of about 600 KiB whose rules are in its
// first 110 KiB, one of them after a 100 KiB line.
func largeRobots() string {
	var b strings.Builder
	b.WriteString(robotsRules)
	b.WriteString("# ")
	b.WriteString(strings.Repeat("x", 100<<10))
	b.WriteString("\nDisallow: /also-private/\n")
	for i := 0; b.Len() < 600<<10; i++ {
		fmt.Fprintf(&b, "# filler line %06d: robots.txt files this large exist in the wild\n", i)
	}
	return b.String()
}

// available reports whether a crawl with this many retries gets to read
// the rules: a robots.txt that fails every time (5xx, 429, no answer)
// makes the host disallowed (RFC 9309 2.3.1.4).
func (m robotsModel) available(retries int) bool {
	switch m.mode {
	case RobotsServerError, RobotsHang:
		return false
	case RobotsUnavailable, RobotsTooManyRequests:
		return m.failures <= retries
	}
	return true
}

// disallow returns the disallowed path prefixes for a crawler whose
// product token is agent (lower case).
func (m robotsModel) disallow(agent string) []string {
	switch m.mode {
	case RobotsNotFound, RobotsGarbage, RobotsServerError, RobotsHang:
		return nil
	case RobotsAgentGroup:
		if agent == "crawl" {
			return []string{"/private/", "/no-crawl/"}
		}
		return []string{"/private/", "/no-star/"}
	case RobotsLarge:
		return []string{"/private/", "/also-private/"}
	}
	return []string{"/private/"}
}

// crawlDelay is the Crawl-delay the rules ask for.
func (m robotsModel) crawlDelay() time.Duration {
	if m.mode == RobotsCrawlDelay {
		return m.delay
	}
	return 0
}

// support returns how many times a crawl of one seed with this many
// retries requests robots.txt (and where it redirects): once when it
// answers; once per attempt of the seed while it fails, the robots.txt
// request standing in for the page's.
func (m robotsModel) support(retries int) map[string]int {
	switch m.mode {
	case RobotsServerError, RobotsHang:
		return map[string]int{"/robots.txt": retries + 1}
	case RobotsUnavailable, RobotsTooManyRequests:
		if m.available(retries) {
			return map[string]int{"/robots.txt": m.failures + 1}
		}
		return map[string]int{"/robots.txt": retries + 1}
	case RobotsRedirect:
		return map[string]int{"/robots.txt": 1, "/robots/real.txt": 1}
	}
	return map[string]int{"/robots.txt": 1}
}
