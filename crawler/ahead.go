package crawler

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/crawl-dev/crawl/frontier"
)

// Fetching ahead. On a frontier.Aheader, a worker with nothing of the
// current level to lease may lease a URL one level deeper from a host that
// has finished its own level (NextAhead), so that a fast site does not
// wait for a slow one's level to end. The URL is fetched and decided as
// usual, but its result is parked until its depth is final: the frontier
// hands the lease back (Ripe) once the level reaches it, and only then
// does the result go to the record writer, with its children. A page of
// the level that reaches a parked URL by a shorter path (a redirect keeps
// its page's depth) moves it: the record then has the shorter depth and
// its parent, and the links are followed from there, without a second
// request. What a result leads to (its links, a redirect's target, a
// sitemap's entries) is decided only then (follow), with the depth and
// the scope as they are final. Records are still written breadth-first.
//
// Parked results are bounded: aheadMax of them, and aheadMaxBytes of what
// they keep (their links and WARC captures). With MaxPages or MaxHostPages
// the crawler never leases ahead: a budget spent on the next level could
// leave the current one unfinished.

const (
	aheadMax      = 16384
	aheadMaxBytes = 32 << 20
	// spooledCost is what a parked WARC capture spooled to a file counts
	// against aheadMaxBytes: it holds a file descriptor.
	spooledCost = 1 << 20
)

// parkedSet holds the results fetched ahead whose depth is not final yet,
// by lease ID. Safe for concurrent use.
type parkedSet struct {
	mu    sync.Mutex
	res   map[uint64]*Result
	bytes int64
}

// room reports whether another result may be fetched ahead.
func (p *parkedSet) room() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.res) < aheadMax && p.bytes < aheadMaxBytes
}

func (p *parkedSet) put(res *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.res == nil {
		p.res = make(map[uint64]*Result)
	}
	p.res[res.lease.ID] = res
	p.bytes += res.parkedSize()
}

// take removes and returns the result of lease id; nil if none is parked.
func (p *parkedSet) take(id uint64) *Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	res := p.res[id]
	if res != nil {
		delete(p.res, id)
		p.bytes -= res.parkedSize()
	}
	return res
}

// drain removes and returns every parked result.
func (p *parkedSet) drain() []*Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := make([]*Result, 0, len(p.res))
	for _, res := range p.res {
		all = append(all, res)
	}
	p.res, p.bytes = nil, 0
	return all
}

// parkedSize estimates the memory a parked result keeps: its links, anchors
// and fields, its previous record (--state, --since), and its WARC
// captures. Its body is released when parked.
func (r *Result) parkedSize() int64 {
	// Calibrated on testserver pages of 30 links: about 3.1 KB each, live
	// (GODEBUG=gctrace=1). The result, its response, lease and parsed URL
	// take about 1.5 KB; a link its string header and allocation.
	n := int64(1536)
	if pg := r.Page; pg != nil {
		n += int64(len(pg.Title))
		for _, l := range pg.Links {
			n += int64(len(l)) + 24
		}
		for _, a := range pg.Anchors {
			n += int64(len(a.URL)+len(a.Text)) + 32
		}
		n += int64(len(pg.Fields)) * 64
	}
	if p := r.prior; p != nil && !r.notModified {
		// The previous record, kept for the change label (a 304's page
		// is the prior's, counted above).
		n += 256 + int64(len(p.Title))
		for _, l := range p.Links {
			n += int64(len(l)) + 24
		}
	}
	if sm := r.sitemap; sm != nil {
		for _, e := range sm.Entries {
			n += int64(len(e.Loc)+len(e.Lastmod)) + 56
		}
	}
	for _, ch := range r.children {
		n += int64(len(ch.URL)+len(ch.Parent)) + 96
	}
	for _, cp := range r.captures {
		n += int64(len(cp.request) + len(cp.header))
		if cp.payload != nil {
			n += int64(cp.payload.buf.Cap())
			if cp.payload.f != nil {
				n += spooledCost
			}
		}
	}
	return n
}

// next leases the next URL: ahead of the level too when the frontier can
// and the parked results have room.
func (c *Crawler) next(ctx context.Context) (frontier.Lease, error) {
	if c.aheader != nil && c.parked.room() {
		return c.aheader.NextAhead(ctx)
	}
	return c.fr.Next(ctx)
}

// park takes the final result of a lease taken ahead. It returns the
// result when its depth is final already (then it goes to the record
// writer now), or nil when it is parked until the frontier hands the lease
// back (ripe). On an error the result is released.
func (c *Crawler) park(ctx context.Context, res *Result) (*Result, error) {
	res.slim()
	// Parked before the frontier is told: once it is, another worker may
	// be handed the lease back.
	c.parked.put(res)
	l, ripe, err := c.aheader.Park(ctx, res.lease)
	if err != nil {
		c.parked.take(res.lease.ID)
		res.release()
		if ctx.Err() != nil {
			return nil, nil // abandoned at shutdown, like a fetch: the URL is not done
		}
		return nil, fmt.Errorf("frontier: park %s: %w", res.lease.Item.URL, err)
	}
	if !ripe {
		return nil, nil
	}
	if res = c.parked.take(res.lease.ID); res == nil {
		return nil, nil // handed back already, to another worker
	}
	return c.ripen(ctx, res, l)
}

// slim drops what a parked result need not keep: its body (parsed, and
// read by no sink) and the response header fields the record does not
// use. Its children are not decided yet (follow).
func (r *Result) slim() {
	if resp := r.Response; resp != nil {
		putBuf(resp.body)
		resp.body = nil
		h := make(http.Header, 2)
		for _, k := range []string{"Etag", "Last-Modified"} {
			if v := resp.Header.Values(k); len(v) > 0 {
				h[k] = v
			}
		}
		resp.Header = h
	}
}

// ripe takes back the parked result of a lease the frontier handed back.
func (c *Crawler) ripe(ctx context.Context, l frontier.Lease) (*Result, error) {
	res := c.parked.take(l.ID)
	if res == nil {
		return nil, fmt.Errorf("frontier handed back lease %d of %s, which is not parked here", l.ID, l.Item.URL)
	}
	return c.ripen(ctx, res, l)
}

// ripen decides a result fetched ahead whose lease l is ripe, with l.Item
// as the frontier has it now: a move may have made it shallower (its
// depth, parent and hops are the result's now), and the scope may have
// grown since it was leased (a seed's redirect of the level). When the
// item now asks for another request than the one made (a link check that
// a move, or the scope, made a page), the result is dropped and the URL
// fetched again as what it is (nil result), with its attempts counted
// afresh; a check moved as a check stands, whether HEAD or GET answered.
// Otherwise the result's children are decided (follow) and the result
// returned.
func (c *Crawler) ripen(ctx context.Context, res *Result, l frontier.Lease) (*Result, error) {
	c.followIfInScope(&l.Item)
	if l.Item.Mode != res.lease.Item.Mode && !(isCheck(&l.Item) && isCheck(&res.lease.Item)) {
		l.Item.Attempts = 0 // what was asked was another request
		res.release()
		return nil, c.retryLease(ctx, l, 0)
	}
	if it := &res.lease.Item; l.Item.Depth < it.Depth {
		it.Depth, it.Parent, it.Hops = l.Item.Depth, l.Item.Parent, l.Item.Hops
	}
	c.follow(res)
	return res, nil
}
