package crawler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/crawler"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*crawler.Config)
		want   string // "" = valid
	}{
		{"defaults", func(*crawler.Config) {}, ""},
		{"zero means zero", func(c *crawler.Config) {
			c.MaxDepth, c.Retries, c.MaxRedirects, c.MaxRepeats, c.MaxHostPages = 0, 0, 0, 0, 0
			c.CrawlDelayCap, c.RetryAfterMax, c.Grace, c.BackoffBase, c.BackoffMax = 0, 0, 0, 0, 0
		}, ""},
		{"zero backoff base", func(c *crawler.Config) { c.BackoffBase = 0 }, ""},
		{"no seeds", func(c *crawler.Config) { c.Seeds = nil }, "no seed URL given"},
		{"zero concurrency", func(c *crawler.Config) { c.Concurrency = 0 }, "concurrency must be greater than zero"},
		{"zero per-host", func(c *crawler.Config) { c.PerHost = 0 }, "per-host must be greater than zero"},
		{"zero timeout", func(c *crawler.Config) { c.Timeout = 0 }, "timeout must be greater than zero"},
		{"negative max-body", func(c *crawler.Config) { c.MaxBody = -1 }, "max-body must be greater than zero"},
		{"zero max-url-length", func(c *crawler.Config) { c.MaxURLLength = 0 }, "max-url-length must be greater than zero"},
		{"zero flush-interval", func(c *crawler.Config) { c.FlushInterval = 0 }, "flush-interval must be greater than zero"},
		{"empty user-agent", func(c *crawler.Config) { c.UserAgent = "" }, "user-agent must not be empty"},
		{"negative max-repeats", func(c *crawler.Config) { c.MaxRepeats = -1 }, "max-repeats must not be negative"},
		{"negative grace", func(c *crawler.Config) { c.Grace = -time.Second }, "grace must not be negative"},
		{"backoff base above max", func(c *crawler.Config) { c.BackoffMax = 0 }, "backoff-base must not exceed backoff-max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := crawler.DefaultConfig()
			c.Seeds = []string{"http://example.com/"}
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Errorf("Validate() = %q, want one line", err)
			}
		})
	}
}
