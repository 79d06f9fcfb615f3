package testserver

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
)

// Generations model a site as it changes between nightly re-crawls.
// Generation 0 is the site New generates; generation g applies steps
// 1..g to it, cumulatively. Step k decides the fate of every normal page
// still served as a page from a hash of (Config.Seed, page index, k), not
// from the builder's random stream, so that the generation-0 model (and
// every byte of it) is the same whatever the generation, and so that step
// k does the same to a page in every generation >= k:
//
//	changed  ~10%  the body gets a "Revision k" paragraph and is re-rendered;
//	               the page links to a new page /new/k/i (which links to two
//	               normal pages) and, half the time, drops one of its links
//	removed  ~3%   404 (half of them) or 410 from step k on, a small HTML
//	               error page; links to it stay
//	moved    ~2%   a 301 from step k on to /renamed/i, a new page with the
//	               page's title and links; links to /p/i stay
//
// "/" may change but is never removed or moved; a removed or moved page
// stays so. Feature resources (files, redirects, errors, /moved/N, ...)
// never change. A moved page redirects to a new path rather than to
// another existing page: the builder keeps a redirect's target reachable
// only through the redirect (see builder), which keeps ExpectCrawl's depths
// unambiguous.
const (
	permilleChanged = 100
	permilleRemoved = 30
	permilleMoved   = 20
)

// Salts of the hashes of one page in one step.
const (
	saltStep   = 0x67656e2d73746570 // what happens to the page
	saltChange = 0x67656e2d63686e67 // which link is dropped, where the new page links
)

// mix64 is the splitmix64 finaliser: it spreads similar inputs over the
// whole range.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// stepHash is the hash of page i in step k of a site with this seed.
func stepHash(seed int64, i, k int, salt uint64) uint64 {
	h := mix64(uint64(seed) ^ salt)
	h = mix64(h ^ uint64(i))
	return mix64(h ^ uint64(k)<<32)
}

// pathHash is a hash of (seed, path, rev): the body identity behind an
// ETag, and the seed of a re-rendered body.
func pathHash(seed int64, path string, rev int32) uint64 {
	h := fnv.New64a()
	h.Write([]byte(path)) // hash.Hash.Write never returns an error
	return mix64(h.Sum64() ^ mix64(uint64(seed)^uint64(rev)<<40))
}

// stepFate is what one step does to one page.
type stepFate uint8

const (
	fateNone stepFate = iota
	fateChanged
	fateRemoved
	fateMoved
)

// fate is what step k does to normal page i (a page still served as one).
func fate(seed int64, i, k int) stepFate {
	u := stepHash(seed, i, k, saltStep) % 1000
	switch {
	case u < permilleChanged:
		return fateChanged
	case i == 0:
		return fateNone // "/" is never removed or moved
	case u < permilleChanged+permilleRemoved:
		return fateRemoved
	case u < permilleChanged+permilleRemoved+permilleMoved:
		return fateMoved
	}
	return fateNone
}

// applyGenerations applies steps 1..cfg.Generation to the rendered
// generation-0 model and re-renders every body they touch, each from a
// random stream seeded by its path and revision, so that a body that no
// later step touches is the same in every later generation.
func (b *builder) applyGenerations(r *renderer) {
	var dirty []*node
	for k := 1; k <= b.cfg.Generation; k++ {
		for i := range b.pages {
			n := b.nodes[i]
			if n.kind != kindPage {
				continue // removed or moved in an earlier step
			}
			switch fate(b.cfg.Seed, i, k) {
			case fateChanged:
				dirty = append(dirty, n, b.changePage(i, k))
			case fateRemoved:
				b.removePage(i, k)
				dirty = append(dirty, n)
			case fateMoved:
				dirty = append(dirty, b.movePage(i, k))
			}
		}
	}
	// A page changed in several steps is rendered once, as it is last.
	slices.SortFunc(dirty, func(x, y *node) int { return int(x.id - y.id) })
	dirty = slices.Compact(dirty)
	pcg := rand.NewPCG(0, 0)
	gb := *b
	gb.rng = rand.New(pcg)
	r.b = &gb
	for _, n := range dirty {
		if n.kind == kindRedirect {
			continue // changed, then moved
		}
		pcg.Seed(pathHash(b.cfg.Seed, n.path, n.revision), 0x7265766973696f6e)
		n.holes = nil
		r.page(n)
		r.finish(n)
	}
	r.b = b
}

// changePage applies a "changed" step k to page i and returns the new page
// it now links to.
func (b *builder) changePage(i, k int) *node {
	n := b.nodes[i]
	h := stepHash(b.cfg.Seed, i, k, saltChange)
	n.revision = int32(k)
	el := elemA
	if n.style == styleFrames {
		el = elemFrame
	}
	if len(n.links) > 1 && h&1 == 1 {
		drop := int(h >> 8 % uint64(len(n.links)))
		n.links = slices.Delete(n.links, drop, drop+1)
	}
	np := b.nodes[b.page("/new/"+itoa(k)+"/"+itoa(i), "New page "+itoa(k)+"/"+itoa(i))]
	np.revision = int32(k)
	np.paras = 1
	near := (i + 1 + int(h>>24%uint64(2*b.cfg.Links+1))) % b.pages
	far := int(h >> 40 % uint64(b.pages))
	np.links = []link{{to: int32(near)}, {to: int32(far)}}
	// Links are in document order, grouped by element: the new <a> goes
	// after the page's other <a> links.
	at := slices.IndexFunc(n.links, func(l link) bool { return l.el > el })
	if at < 0 {
		at = len(n.links)
	}
	n.links = slices.Insert(n.links, at, link{to: np.id, el: el})
	return np
}

// removePage makes page i a 404 (for half the pages) or 410 from step k on.
func (b *builder) removePage(i, k int) {
	n := b.nodes[i]
	n.status = 404
	if stepHash(b.cfg.Seed, i, k, saltChange)&1 == 1 {
		n.status = 410
	}
	n.kind, n.ctype = kindError, htmlType
	n.title = itoa(n.status) + " " + statusText(n.status)
	n.links, n.decoys, n.paras, n.enc = nil, nil, 1, encIdentity
	n.revision = int32(k)
}

// movePage makes page i a 301 to /renamed/i from step k on and returns
// that new page, which has the page's title, links and look-alikes.
func (b *builder) movePage(i, k int) *node {
	n := b.nodes[i]
	to := b.nodes[b.page("/renamed/"+itoa(i), n.title)]
	to.links, to.decoys, to.paras = n.links, n.decoys, n.paras
	for j, l := range to.links {
		if l.v == vSelfFragment || l.v == vSelfEmpty {
			to.links[j].to = to.id // "#top" and "" are the new page itself
		}
	}
	to.revision = int32(k)
	n.kind, n.status, n.ctype, n.title = kindRedirect, 301, nil, ""
	n.target, n.locStyle = to.id, locPath
	n.links, n.decoys, n.paras, n.enc = nil, nil, 0, encIdentity
	n.body, n.holes = nil, nil
	n.revision = int32(k)
	return to
}
