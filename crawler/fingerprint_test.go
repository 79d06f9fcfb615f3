package crawler_test

import (
	"bytes"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/crawler"
	"github.com/crawl-dev/crawl/parser"
	"github.com/crawl-dev/crawl/store/save"
	"github.com/crawl-dev/crawl/store/warc"
)

// recorded changes each Config field that decides which URLs are recorded
// or what their records say: each must change the fingerprint.
var recorded = map[string]func(*crawler.Config){
	"Seeds":        func(c *crawler.Config) { c.Seeds = append(c.Seeds, "http://other.example/") },
	"MaxDepth":     func(c *crawler.Config) { c.MaxDepth++ },
	"MaxPages":     func(c *crawler.Config) { c.MaxPages++ },
	"Scope":        func(c *crawler.Config) { c.Scope = crawler.ScopeDomain },
	"Include":      func(c *crawler.Config) { c.Include = append(c.Include, regexp.MustCompile(`/docs/`)) },
	"Exclude":      func(c *crawler.Config) { c.Exclude = append(c.Exclude, regexp.MustCompile(`\.pdf$`)) },
	"MaxURLLength": func(c *crawler.Config) { c.MaxURLLength++ },
	"MaxRepeats":   func(c *crawler.Config) { c.MaxRepeats = 0 },
	"MaxHostPages": func(c *crawler.Config) { c.MaxHostPages = 5 },
	"MaxRedirects": func(c *crawler.Config) { c.MaxRedirects = 0 },
	"MaxBody":      func(c *crawler.Config) { c.MaxBody++ },
	"IgnoreRobots": func(c *crawler.Config) { c.IgnoreRobots = true },
	"UserAgent":    func(c *crawler.Config) { c.UserAgent = "otherbot/1.0" },
	"Accept":       func(c *crawler.Config) { c.Accept = append(c.Accept, ".pdf") },
	"Reject":       func(c *crawler.Config) { c.Reject = append(c.Reject, "image/*") },
	"Save":         func(c *crawler.Config) { c.Save = new(save.Dir) },
	"WARC":         func(c *crawler.Config) { c.WARC = new(warc.Writer) },
	"Extract":      func(c *crawler.Config) { c.Extract = mustExtractor("title=title") },
	"Anchors":      func(c *crawler.Config) { c.Anchors = true },
	"CheckLinks":   func(c *crawler.Config) { c.CheckLinks = true },
	"Sitemaps":     func(c *crawler.Config) { c.Sitemaps = true },
	"SitemapSince": func(c *crawler.Config) { c.SitemapSince = time.Unix(1e9, 0) },
	"AllowPrivate": func(c *crawler.Config) { c.AllowPrivate = true },
	"Since":        func(c *crawler.Config) { c.Since = new(crawler.History) },
	"ChangesOnly":  func(c *crawler.Config) { c.ChangesOnly = true },
	"RequireFields": func(c *crawler.Config) {
		c.RequireFields = append(c.RequireFields, "title")
	},
}

func mustExtractor(specs ...string) *parser.Extractor {
	var rules []parser.Rule
	for _, s := range specs {
		r, err := parser.ParseRule(s)
		if err != nil {
			panic(err)
		}
		rules = append(rules, r)
	}
	ex, err := parser.NewExtractor(rules)
	if err != nil {
		panic(err)
	}
	return ex
}

// notRecorded changes each Config field that only changes how fast or how
// politely a crawl goes: none may change the fingerprint, so a resumed
// crawl may change them.
var notRecorded = map[string]func(*crawler.Config){
	"Concurrency":   func(c *crawler.Config) { c.Concurrency++ },
	"PerHost":       func(c *crawler.Config) { c.PerHost++ },
	"Rate":          func(c *crawler.Config) { c.Rate = 1 },
	"Timeout":       func(c *crawler.Config) { c.Timeout++ },
	"Retries":       func(c *crawler.Config) { c.Retries++ },
	"CrawlDelayCap": func(c *crawler.Config) { c.CrawlDelayCap = 0 },
	"BackoffBase":   func(c *crawler.Config) { c.BackoffBase = 0 },
	"BackoffMax":    func(c *crawler.Config) { c.BackoffMax++ },
	"RetryAfterMax": func(c *crawler.Config) { c.RetryAfterMax = 0 },
	"Grace":         func(c *crawler.Config) { c.Grace = 0 },
	"FlushInterval": func(c *crawler.Config) { c.FlushInterval++ },
	"Transport":     func(c *crawler.Config) { c.Transport = http.DefaultTransport },
	"Resolver":      func(c *crawler.Config) { c.Resolver = net.DefaultResolver },
	"Dial":          func(c *crawler.Config) { c.Dial = (&net.Dialer{}).DialContext },
	"Observer":      func(c *crawler.Config) { c.Observer = &eventLog{} },
}

// TestFingerprintClassifiesEveryField fails when a Config field is in
// neither list: a new field must be classified.
func TestFingerprintClassifiesEveryField(t *testing.T) {
	typ := reflect.TypeFor[crawler.Config]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		_, in := recorded[name]
		_, out := notRecorded[name]
		switch {
		case in && out:
			t.Errorf("Config.%s is in both lists", name)
		case !in && !out:
			t.Errorf("Config.%s is not classified: add it to Fingerprint and recorded, or to notRecorded", name)
		}
	}
	for name := range recorded {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("recorded lists %s, not a field of Config", name)
		}
	}
	for name := range notRecorded {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("notRecorded lists %s, not a field of Config", name)
		}
	}
}

func TestFingerprint(t *testing.T) {
	base := func() crawler.Config {
		c := crawler.DefaultConfig()
		c.Seeds = []string{"http://example.com/"}
		return c
	}
	want := base().Fingerprint()
	if got := base().Fingerprint(); !bytes.Equal(got, want) {
		t.Fatalf("two fingerprints of one Config differ: %x, %x", got, want)
	}
	for name, change := range recorded {
		c := base()
		change(&c)
		if bytes.Equal(c.Fingerprint(), want) {
			t.Errorf("changing %s does not change the fingerprint", name)
		}
	}
	for name, change := range notRecorded {
		c := base()
		change(&c)
		if !bytes.Equal(c.Fingerprint(), want) {
			t.Errorf("changing %s changes the fingerprint", name)
		}
	}
	// Only the robots.txt name of the User-Agent decides what is recorded.
	c := base()
	c.UserAgent = "Crawl/9.9 (+mailto:ops@example.com)"
	if !bytes.Equal(c.Fingerprint(), want) {
		t.Errorf("User-Agent %q changes the fingerprint, but its robots.txt name is still crawl", c.UserAgent)
	}
	// Include and Exclude are told apart.
	in, ex := base(), base()
	in.Include = []*regexp.Regexp{regexp.MustCompile(`x`)}
	ex.Exclude = []*regexp.Regexp{regexp.MustCompile(`x`)}
	if bytes.Equal(in.Fingerprint(), ex.Fingerprint()) {
		t.Error("--include x and --exclude x have one fingerprint")
	}
}
