package crawler

import (
	"bytes"
	"context"
	"net/url"

	"golang.org/x/sync/semaphore"

	"github.com/crawl-dev/crawl/parser"
)

// Parsing memory. goquery builds a node for every tag and text run, about
// 100-200 bytes each, so the tree of a page costs in proportion to its tags,
// not its bytes: 5 MB of "<p>" is 1.7 million nodes and ~200 MB. MaxBody
// alone cannot bound that, so the crawler also bounds tags:
//
//   - a page with more than maxTags tags is parsed up to its maxTags-th tag
//     only (its record says truncated): real pages, even 2.5 MB
//     documentation indexes with thousands of links, have far fewer;
//   - parses hold a share of a weighted semaphore in proportion to their
//     tags, so the trees built at once hold at most parseBudget tags
//     (~40 MB) whatever the concurrency: one page of maxTags tags parses
//     alone, while ordinary pages of a few thousand tags never wait on
//     each other.
const (
	maxTags     = 150_000
	parseBudget = maxTags
)

// parseLimiter bounds the memory of the HTML parses in flight. Safe for
// concurrent use.
type parseLimiter struct {
	sem     *semaphore.Weighted
	extract *parser.Extractor // applied to every page parsed; may be nil
}

func newParseLimiter(extract *parser.Extractor) *parseLimiter {
	return &parseLimiter{sem: semaphore.NewWeighted(parseBudget), extract: extract}
}

// parse parses an HTML body within the limits. cut reports that the body
// had more than maxTags tags and only its beginning was parsed.
func (pl *parseLimiter) parse(ctx context.Context, body []byte, contentType string, u *url.URL) (page *parser.Page, cut bool, err error) {
	body, tags, cut := cutTags(body, maxTags)
	weight := int64(max(tags, 1))
	if err := pl.sem.Acquire(ctx, weight); err != nil {
		return nil, false, err
	}
	defer pl.sem.Release(weight)
	page, err = parser.Parse(body, contentType, u, pl.extract)
	return page, cut, err
}

// cutTags returns body up to (not including) its (limit+1)-th '<', the
// number of '<' kept, and whether anything was cut. '<' counts every tag
// and comment, so it bounds the nodes of the parsed tree.
func cutTags(body []byte, limit int) ([]byte, int, bool) {
	n := bytes.Count(body, []byte{'<'})
	if n <= limit {
		return body, n, false
	}
	end, seen := 0, 0
	for seen <= limit {
		i := bytes.IndexByte(body[end:], '<')
		end += i + 1
		seen++
	}
	return body[:end-1], limit, true
}
