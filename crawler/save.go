package crawler

import (
	"net/url"

	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store/save"
)

// saving is a body on its way into its --save file. Its Write remembers a
// failure of the file, which ends the crawl, apart from one of the body.
type saving struct {
	f   *save.File
	err error
}

// startSave starts the saved file of a response of mediaType for u.
func (c *Crawler) startSave(u *url.URL, mediaType string) (*saving, error) {
	f, err := c.save.Create(save.PathFor(u, mediaType))
	if err != nil {
		return nil, err
	}
	return &saving{f: f}, nil
}

func (s *saving) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

// commit puts the file in place and returns its path and sha256.
func (s *saving) commit() (rel, sum string, err error) { return s.f.Commit() }

// abortSave removes a file not committed (after a commit, it does nothing).
func (c *Crawler) abortSave(s *saving) {
	if err := s.f.Abort(); err != nil {
		c.log.Warn("cannot remove an unfinished saved file", zap.Error(err))
	}
}

// skipsLink reports whether the --accept/--reject rules say, from its
// extension alone, that a link's body would not be kept.
func (c *Crawler) skipsLink(it frontier.Item) bool {
	if !c.keep.any() {
		return false
	}
	u, err := url.Parse(it.URL)
	return err == nil && c.keep.skipsLink(u.Path)
}
