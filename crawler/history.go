package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/parser"
	"github.com/crawl-dev/crawl/store"
)

// Change labels: how a URL's outcome compares with the previous crawl's
// record of it (store.Record.Change).
const (
	ChangeNew       = "new"
	ChangeChanged   = "changed"
	ChangeUnchanged = "unchanged"
	ChangeMoved     = "moved"
	ChangeGone      = "gone"
)

// Prior is what a previous crawl recorded of one URL: enough to ask for it
// conditionally, to follow its links when the server says it has not
// changed, and to tell whether it changed.
type Prior struct {
	URL          string
	Status       int // a 304 record counts as the 200 it stood for
	ErrorKind    string
	Target       string // where a redirect led; "" otherwise
	ContentType  string
	Title        string
	ETag         string
	LastModified string
	Fingerprint  string
	Links        []string
	NoFollow     bool
	Check        bool
	Depth        int
	Parent       string
	Gone         bool // recorded as gone: no longer reached in that crawl
	Generation   int  // the generation that recorded it
	FetchedAt    time.Time
	// CapturedAt is when the content was last fetched in full, for a
	// record that stood for an earlier capture (store.Record.CapturedAt);
	// zero when the record was its own capture.
	CapturedAt time.Time `json:",omitzero"`
}

// captured returns when the content the record stands for was fetched in
// full: its CapturedAt, else its FetchedAt.
func (p *Prior) captured() time.Time {
	if !p.CapturedAt.IsZero() {
		return p.CapturedAt
	}
	return p.FetchedAt
}

// History is the records of a previous crawl by dedup key, read by
// LoadHistory (crawl --since FILE). It is read-only once loaded: safe for
// concurrent use. Each Prior is kept encoded, as a --state annotation is
// (prior_codec.go), and decoded on every lookup: an encoded Prior holds
// no pointers, and takes a fraction of a decoded one's heap.
type History struct {
	gen   int              // the previous crawl's generation
	byKey map[string]int32 // index in priors
	// priors are the encoded Priors, in the order of the file's first
	// record of each key (the gone sweep's order); keys are their keys.
	priors [][]byte
	keys   []string
}

// maxGeneration bounds the generation read from a file, so that the next
// one cannot overflow.
const maxGeneration = 1 << 30

// maxHistoryRecords bounds how many records LoadHistory keeps.
const maxHistoryRecords = 10_000_000

// LoadHistory reads the records of a previous crawl's output (JSONL, plain
// or .gz). When a URL has several records the last one wins. Records
// without a generation count as generation 1; records whose url is not a
// normalized http(s) URL are skipped.
func LoadHistory(path string) (*History, error) {
	h := &History{byKey: make(map[string]int32)}
	err := store.ReadFile(path, func(r *store.Record) error {
		if len(h.byKey) >= maxHistoryRecords {
			return fmt.Errorf("more than %d records", maxHistoryRecords)
		}
		if norm, err := parser.Normalize(r.URL); err != nil || norm != r.URL {
			return nil // not a URL this crawler records: nothing to compare
		}
		v := encodePrior(nil, priorOf(r))
		key := parser.DedupKey(r.URL)
		if i, ok := h.byKey[key]; ok {
			h.priors[i] = v
		} else {
			h.byKey[key] = int32(len(h.priors))
			h.priors, h.keys = append(h.priors, v), append(h.keys, key)
		}
		h.gen = max(h.gen, min(r.Generation, maxGeneration), 1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--since %s: %w", path, err)
	}
	return h, nil
}

// priorOf keeps what a record says that the next crawl needs.
func priorOf(r *store.Record) *Prior {
	p := &Prior{
		URL: r.URL, Status: r.Status, ErrorKind: r.ErrorKind,
		ContentType: r.ContentType, Title: r.Title,
		ETag: r.ETag, LastModified: r.LastModified, Fingerprint: r.Fingerprint,
		Links: r.Links, NoFollow: r.NoFollow, Check: r.Check,
		Depth: r.Depth, Parent: r.Parent, Generation: r.Generation,
		FetchedAt: r.FetchedAt,
		// A URL no longer reached; a 404 is gone too, but was fetched.
		Gone: r.Change == ChangeGone && r.Status == 0 && r.Attempts == 0,
	}
	if p.Status == http.StatusNotModified {
		p.Status = http.StatusOK
	}
	if r.CapturedAt != nil {
		p.CapturedAt = *r.CapturedAt
	}
	if isRedirect(r.Status) && r.FinalURL != r.URL {
		p.Target = r.FinalURL
	}
	return p
}

// Generation is the previous crawl's generation number.
func (h *History) Generation() int { return h.gen }

// Len is the number of URLs the history holds.
func (h *History) Len() int { return len(h.byKey) }

// priors is where the crawler finds the previous generation's records:
// a History (Config.Since) or the annotations of a frontier.Annotator.
type priors interface {
	// prior returns the last record of the URL with dedup key key from an
	// earlier generation; nil when none.
	prior(ctx context.Context, key string) (*Prior, error)
	// generation is the number of this crawl's generation.
	generation() int
	// sweep calls fn with the URLs that earlier generations recorded and
	// that are not yet recorded in this one, gone ones left out.
	sweep(ctx context.Context, fn func(key string, p *Prior)) error
}

func (h *History) prior(_ context.Context, key string) (*Prior, error) {
	i, ok := h.byKey[key]
	if !ok {
		return nil, nil
	}
	return decodePrior(h.priors[i])
}

func (h *History) generation() int { return h.gen + 1 }

func (h *History) sweep(_ context.Context, fn func(string, *Prior)) error {
	for i, v := range h.priors {
		p, err := decodePrior(v)
		if err != nil {
			return err
		}
		fn(h.keys[i], p)
	}
	return nil
}

// prior returns what an earlier generation recorded of it; nil when
// nothing, or when the lookup failed (the URL is then fetched in full, as
// if new: a failure costs bytes, not a wrong label... but it is logged).
func (c *Crawler) prior(it *frontier.Item) *Prior {
	if c.priors == nil || c.priors.generation() < 2 {
		return nil // a first generation has nothing to look up
	}
	p, err := c.priors.prior(context.Background(), it.DedupKey())
	if err != nil {
		c.log.Warn("cannot read the previous record of a URL; fetching it in full", zap.String("url", it.URL), zap.Error(err))
		return nil
	}
	return p
}

// generation is the number of this crawl's generation.
func (c *Crawler) generation() int {
	if c.priors == nil {
		return 1
	}
	return c.priors.generation()
}

// setConditional asks for the URL only if it changed since the previous
// crawl's response, by that response's validators (RFC 9110 §13.1: both
// may be sent; a server that knows the entity tag ignores the date).
func setConditional(h http.Header, p *Prior) bool {
	if p == nil || p.Gone || p.Check || p.Status < 200 || p.Status >= 300 || (p.ETag == "" && p.LastModified == "") {
		// Nothing to ask by; or a link check's record, which has
		// no links: a 304 could not stand for the page.
		return false
	}
	if p.ETag != "" {
		h.Set("If-None-Match", p.ETag)
	}
	if p.LastModified != "" {
		h.Set("If-Modified-Since", p.LastModified)
	}
	return true
}

// asksConditionally reports whether the item is asked for with the
// previous record's validators: pages, which a 304 can stand for because
// their links are kept (not sitemaps or link checks), and only without
// extraction rules, whose fields (and --require-field errors) need the
// body.
func (c *Crawler) asksConditionally(it *frontier.Item) bool {
	return (it.Mode == modePage || it.Mode == modeSitemapPage) && len(c.cfg.Extract.Rules()) == 0
}

// notModified fills the result of a 304 to a conditional request from the
// previous record: the page is what it was, and so are its links, which
// are followed as if it had been downloaded.
func (c *Crawler) notModified(res *Result) {
	p := res.prior
	res.notModified = true
	res.Response.MediaType = p.ContentType
	res.Page = &parser.Page{Title: p.Title, Links: p.Links, NoFollow: p.NoFollow}
	res.Fingerprint = p.Fingerprint
}

// change compares the result with the previous crawl's record of its URL.
// The rules, in order: nothing recorded before (or recorded as gone) is
// new; a gone item is gone; a 304 is unchanged; a 404 or 410 is
// unchanged after the same status, else gone; a redirect is unchanged to
// the same target, else moved; another status or error kind is changed;
// a 2xx is unchanged when its body fingerprint is the same (or, when the
// body was not read either time, its validators are), else changed.
func (r *Result) change() string {
	p := r.prior
	switch {
	case r.lease.Item.Mode == modeGone:
		return ChangeGone
	case p == nil || p.Gone:
		return ChangeNew
	case r.notModified:
		return ChangeUnchanged
	}
	status, kind := 0, ""
	if r.Response != nil {
		status = r.Response.Status
	}
	if r.Err != "" {
		kind = r.Kind.String()
	}
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		if p.Status == status {
			return ChangeUnchanged
		}
		return ChangeGone
	case r.Target != "" && isRedirect(status):
		if p.Target == r.Target {
			return ChangeUnchanged
		}
		return ChangeMoved
	case status != p.Status || kind != p.ErrorKind:
		return ChangeChanged
	case status >= 200 && status < 300:
		if r.Fingerprint != "" || p.Fingerprint != "" {
			return same(r.Fingerprint == p.Fingerprint)
		}
		// Neither body was read (a link check, a type --accept does
		// not keep): the validators, if any, else the type, say.
		etag, lm := r.Response.Header.Get("ETag"), r.Response.Header.Get("Last-Modified")
		if etag == "" && lm == "" && p.ETag == "" && p.LastModified == "" {
			return same(r.Response.MediaType == p.ContentType)
		}
		return same(r.Response.MediaType == p.ContentType &&
			((etag != "" && etag == p.ETag) || (etag == "" && lm != "" && lm == p.LastModified)))
	}
	return ChangeUnchanged
}

func same(ok bool) string {
	if ok {
		return ChangeUnchanged
	}
	return ChangeChanged
}

// The gone sweep. After everything a generation reaches is recorded, the
// URLs the previous crawl recorded and this one did not reach get a gone
// record each, without a request. A sentinel item queued with the seeds
// one level past everything else (pages end at MaxDepth, link checks one
// past it) is leased only once the rest is done, in breadth-first order;
// its completion, which writes no record, queues one modeGone item per
// URL of the history: the frontier drops those it has seen. They go
// through the frontier like any URL, so each gets exactly one record.
const sweepKey = "\x00gone sweep"

// sweepItem returns the sentinel of generation gen, or false in the
// first generation, which has no history.
func (c *Crawler) sweepItem(gen int) (frontier.Item, bool) {
	if gen < 2 || len(c.seeds) == 0 {
		return frontier.Item{}, false
	}
	return frontier.Item{
		URL: c.seeds[0].URL, Key: sweepKey, Host: sweepKey,
		Depth: c.base + c.cfg.MaxDepth + 2, Mode: modeGoneSweep,
	}, true
}

// sweep completes the sentinel with the history's URLs as gone items.
// Each gets a host of its own, so that no politeness delay spaces out
// records that make no request.
func (c *Crawler) sweep(l *frontier.Lease) outcome {
	res := c.newResult(l, nil, time.Now())
	res.silent = true
	err := c.priors.sweep(context.Background(), func(key string, p *Prior) {
		if p.Gone || p.Check {
			return
		}
		if _, v := c.scope.item(p.URL, 0, "", 0); v != follow {
			return // not this crawl's (another site, or left out by its filters)
		}
		res.children = append(res.children, frontier.Item{
			URL: p.URL, Key: key, Host: sweepKey + key,
			Depth: l.Item.Depth + 1, Mode: modeGone,
		})
	})
	if err != nil {
		// Without the sweep the generation would end with gone URLs
		// unrecorded: try again, as for any failure of the frontier.
		c.log.Warn("cannot list the previous generation's URLs; retrying the gone sweep", zap.Error(err))
		return outcome{requeue: true, wait: time.Second}
	}
	return outcome{res: res.done()}
}

// gone decides a gone item: a record with no request, at its previous
// depth and parent.
func (c *Crawler) gone(l *frontier.Lease) outcome {
	u, _ := url.Parse(l.Item.URL)
	return outcome{res: c.newResult(l, u, time.Now()).done()}
}

// goneRecord gives a gone record its previous depth and parent.
func (r *Result) goneRecord(rec *store.Record) {
	if p := r.prior; p != nil {
		rec.Depth, rec.Parent = p.Depth, p.Parent
	}
	rec.FinalURL = rec.URL
}
