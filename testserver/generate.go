package testserver

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
)

// builder generates the model of a site. Every random choice comes from one
// PCG stream consumed in a fixed order (generation, then rendering), so a
// Config always yields the same site. One property keeps Expect unambiguous
// for any correct crawler and is kept by construction here: a redirect's
// target is reachable only through that redirect (or, for /r/home and the
// /cycle pair, is fetched before the redirect can be). Otherwise a crawler
// that queued the target one hop deeper through a link before fetching the
// redirect could not record the redirect's shorter depth without lowering
// the depth of a queued URL.
type builder struct {
	cfg    Config
	rng    *rand.Rand
	nodes  []*node
	byPath map[string]*node
	traps  map[string]int32
	pages  int // nodes[0:pages] are the normal pages
	ext    []string
}

var (
	htmlType  = []string{"text/html; charset=utf-8"}
	textType  = []string{"text/plain; charset=utf-8"}
	pdfType   = []string{"application/pdf"}
	pngType   = []string{"image/png"}
	zipType   = []string{"application/zip"}
	redirects = [...]int{301, 302, 303, 307, 308}
)

func (b *builder) has(f Features) bool { return b.cfg.Features&f != 0 }

// add appends a node and returns its index.
func (b *builder) add(n *node) int32 {
	n.target = -1
	n.id = int32(len(b.nodes))
	b.nodes = append(b.nodes, n)
	b.byPath[n.path] = n
	return int32(len(b.nodes) - 1)
}

func (b *builder) page(path, title string) int32 {
	return b.add(&node{path: path, kind: kindPage, status: 200, ctype: htmlType, title: title, paras: 2})
}

func (b *builder) redirect(path string, status int, target int32, locStyle uint8) int32 {
	i := b.add(&node{path: path, kind: kindRedirect, status: status})
	b.nodes[i].target = target
	b.nodes[i].locStyle = locStyle
	return i
}

// randomPage returns the index of a uniformly random normal page.
func (b *builder) randomPage() int32 { return int32(b.rng.IntN(b.pages)) }

// nearPage returns a page near page i most of the time, any page otherwise,
// so that the site has both short and long paths to most pages.
func (b *builder) nearPage(i int) int32 {
	if b.rng.IntN(10) < 7 {
		l := b.cfg.Links
		t := i + b.rng.IntN(4*l+1) - l
		return int32(min(max(t, 0), b.pages-1))
	}
	return b.randomPage()
}

// linkFrom appends a link to node to from node from.
func (b *builder) linkFrom(from, to int32) {
	b.nodes[from].links = append(b.nodes[from].links, link{to: to})
}

// attach links node to from n random normal pages.
func (b *builder) attach(to int32, n int) {
	for range n {
		b.linkFrom(b.randomPage(), to)
	}
}

// randomLinks gives node i n links to random normal pages.
func (b *builder) randomLinks(i int32, n int) {
	for range n {
		b.linkFrom(i, b.randomPage())
	}
}

// trap returns the node of a page that only link look-alikes point to: it is
// served (so following a look-alike shows up in the request log) but a
// correct crawl never requests it.
func (b *builder) trap(kind string, k int) int32 {
	k %= max(1, min(8, b.pages/20))
	path := "/trap/" + kind + "/" + strconv.Itoa(k)
	if i, ok := b.traps[path]; ok {
		return i
	}
	i := b.page(path, "Trap: "+kind+" "+strconv.Itoa(k))
	b.traps[path] = i
	return i
}

func itoa(i int) string { return strconv.Itoa(i) }

// generate builds the whole model: normal pages, feature resources, links,
// spelling variants and decoys.
func (b *builder) generate() {
	p := b.cfg.Pages
	b.page("/", "Home · "+b.words(3))
	for i := 1; i < p; i++ {
		b.page("/p/"+itoa(i), "Page "+itoa(i)+" · "+b.words(2))
	}
	b.pages = p
	for i := range p {
		b.nodes[i].links = make([]link, 0, b.cfg.Links+2)
		if i+1 < p {
			b.linkFrom(int32(i), int32(i+1))
		}
		for range b.cfg.Links - 1 {
			b.linkFrom(int32(i), b.nearPage(i))
		}
	}
	if b.has(Robots) {
		b.genRobots()
	}
	if b.has(Files) {
		b.genFiles()
	}
	if b.has(Redirects) {
		b.genRedirects()
	}
	if b.has(Errors) {
		b.genErrors()
	}
	if b.has(External) {
		b.genExternal()
	}
	if b.has(Markup) {
		b.genMarkup()
	}
	if b.has(Query) {
		b.genQuery()
	}
	// Decide spellings and elements last, over every node, so that each
	// feature above also gets spelled links.
	for i, n := range b.nodes {
		b.decorate(int32(i), n)
	}
	if b.has(Decoys) {
		for i, n := range b.nodes[:b.pages] {
			b.genDecoys(n, i)
		}
	}
	// The downloads page comes after every random choice, so that adding it
	// changed no other part of the site.
	if b.has(Files) {
		b.genDownloads()
	}
	if b.has(Encoded) {
		for i, n := range b.nodes[:b.pages] {
			switch i % 7 {
			case 1:
				n.enc = encGzip
			case 4:
				n.enc = encChunked
			}
		}
	}
}

// Downloads page resources (Files feature).
const (
	DownloadsPath = "/downloads/"
	// BigPDFPath is a PDF of BigPDFSize bytes.
	BigPDFPath = "/doc/big.pdf"
	BigPDFSize = 3 << 20
	// ZipPath is an application/zip file linked from the downloads page.
	ZipPath = "/files/archive.zip"
)

// genDownloads adds DownloadsPath, linked from the home page, linking every
// /doc/N.pdf, PDFs without an extension (/get?id=N, application/pdf),
// BigPDFPath, ZipPath, an image and a text file. It uses no random choice.
func (b *builder) genDownloads() {
	n := max(1, b.pages/30)
	dl := b.add(&node{path: DownloadsPath, kind: kindPage, status: 200, ctype: htmlType, title: "Downloads"})
	for k := range n {
		b.linkFrom(dl, b.byPath["/doc/"+itoa(k)+".pdf"].id)
	}
	for k := range n + 1 {
		b.linkFrom(dl, b.add(&node{path: "/get?id=" + itoa(k), kind: kindFile, status: 200, ctype: pdfType}))
	}
	b.linkFrom(dl, b.add(&node{path: BigPDFPath, kind: kindFile, status: 200, ctype: pdfType}))
	b.linkFrom(dl, b.add(&node{path: ZipPath, kind: kindFile, status: 200, ctype: zipType}))
	b.linkFrom(dl, b.byPath["/img/0.png"].id)
	b.linkFrom(dl, b.byPath["/data/0.txt"].id)
	// "/" links to the downloads page with its other <a> links, before any
	// <iframe> or <area>, so the model stays in document order.
	home := b.nodes[0]
	at := slices.IndexFunc(home.links, func(l link) bool { return l.el != elemA })
	if at < 0 {
		at = len(home.links)
	}
	home.links = slices.Insert(home.links, at, link{to: dl})
}

func (b *builder) genRobots() {
	n := max(2, b.pages/20)
	for k := range n {
		priv := b.page("/private/"+itoa(k), "Private "+itoa(k)+" · "+b.words(2))
		hidden := b.page("/hidden/"+itoa(k), "Hidden "+itoa(k)+" · "+b.words(2))
		b.linkFrom(priv, hidden)
		b.randomLinks(priv, 2)
		b.randomLinks(hidden, 2)
		b.attach(priv, 2)
	}
}

func (b *builder) genFiles() {
	n := max(1, b.pages/30)
	for k := range n {
		trap := b.trap("bin", k)
		for _, f := range []struct {
			path  string
			ctype []string
		}{
			{"/doc/" + itoa(k) + ".pdf", pdfType},
			{"/img/" + itoa(k) + ".png", pngType},
			{"/data/" + itoa(k) + ".txt", textType},
		} {
			i := b.add(&node{path: f.path, kind: kindFile, status: 200, ctype: f.ctype})
			b.nodes[i].decoys = []decoy{{kind: decoyText, to: trap}}
			b.attach(i, 1)
		}
	}
}

func (b *builder) genRedirects() {
	n := max(5, b.pages/20)
	for k := range n {
		moved := b.page("/moved/"+itoa(k), "Moved "+itoa(k)+" · "+b.words(2))
		b.randomLinks(moved, 3)
		r := b.redirect("/r/"+itoa(k), redirects[k%len(redirects)], moved, uint8(b.rng.IntN(numLocStyles)))
		b.attach(r, 1+b.rng.IntN(2))
	}
	// A redirect back to the seed: only "/" links to it.
	b.linkFrom(0, b.redirect("/r/home", 302, 0, locPath))
	// A redirect to another host: recorded, never followed.
	out := b.redirect("/r/out", 302, -1, locPath)
	b.nodes[out].ext = "http://" + ExternalHost + "/moved"
	b.ext = append(b.ext, b.nodes[out].ext)
	b.attach(out, 1)
	// chain builds prefix/0 -> prefix/1 -> ... -> prefix/hops-1 -> end.
	chain := func(prefix string, hops int, end int32) int32 {
		next := end
		for k := hops - 1; k >= 0; k-- {
			next = b.redirect(prefix+"/"+itoa(k), redirects[k%len(redirects)], next, uint8(k%numLocStyles))
		}
		return next
	}
	// Five hops: within any sane limit.
	end := b.page("/moved/chain", "Chain end · "+b.words(2))
	b.randomLinks(end, 2)
	b.attach(chain("/chain", 5, end), 1)
	// Twelve hops: the crawler gives up after DefaultMaxRedirects.
	end = b.page("/moved/long", "Long chain end · "+b.words(2))
	b.randomLinks(end, 2)
	b.attach(chain("/long", DefaultMaxRedirects+2, end), 1)
	// A cycle: /cycle/a -> /cycle/b -> /cycle/a, ended by dedup.
	ca := b.redirect("/cycle/a", 302, -1, locPath)
	cb := b.redirect("/cycle/b", 307, ca, locRelative)
	b.nodes[ca].target = cb
	b.attach(ca, 1)
}

func (b *builder) genErrors() {
	n := max(1, b.pages/50)
	add := func(path string, status, k int) {
		i := b.add(&node{path: path, kind: kindError, status: status, ctype: htmlType,
			title: itoa(status) + " " + statusText(status), paras: 1})
		b.linkFrom(i, b.trap("err", k))
		b.attach(i, 1+b.rng.IntN(2))
	}
	for k := range n {
		add("/missing/"+itoa(k), 404, k)
		add("/error/"+itoa(k), 500, k)
	}
	add("/forbidden/0", 403, 0)
	add("/gone/0", 410, 0)
}

func statusText(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 410:
		return "Gone"
	case 500:
		return "Internal Server Error"
	}
	return "Status"
}

func (b *builder) genExternal() {
	n := max(2, b.pages/50)
	for k := range n {
		url := "http://" + ExternalHost + "/x/" + itoa(k)
		b.ext = append(b.ext, url)
		from := b.randomPage()
		b.nodes[from].links = append(b.nodes[from].links, link{to: -1, ext: int32(len(b.ext))})
		// The serving port under another host name: the same server, another
		// host, so following it is a scope violation the request log shows.
		oos := b.page("/oos/"+itoa(k), "Out of scope "+itoa(k)+" · "+b.words(2))
		b.randomLinks(oos, 2)
		from = b.randomPage()
		b.nodes[from].links = append(b.nodes[from].links, link{to: oos, alt: true})
	}
}

func (b *builder) genMarkup() {
	frames := b.page("/frames", "Frames · "+b.words(2))
	b.nodes[frames].style = styleFrames
	b.randomLinks(frames, 3)
	b.attach(frames, 1)
	base := b.page("/base/", "Base href · "+b.words(2))
	b.nodes[base].style = styleBase
	b.randomLinks(base, 4)
	b.attach(base, 1)
}

func (b *builder) genQuery() {
	n := max(3, min(50, b.pages/10))
	first := int32(len(b.nodes))
	for k := 1; k <= n; k++ {
		b.page("/list?page="+itoa(k)+"&sort=asc", "List page "+itoa(k)+" · "+b.words(2))
	}
	for k := range n {
		i := first + int32(k)
		if k+1 < n {
			b.linkFrom(i, i+1)
		}
		if k > 0 {
			b.linkFrom(i, i-1)
		}
		b.randomLinks(i, 1)
	}
	b.attach(first, 1)
}

// decorate chooses how each link of n is spelled and which element carries
// it, and adds self links (#fragment, empty href).
func (b *builder) decorate(self int32, n *node) {
	if n.kind != kindPage && n.kind != kindError {
		return
	}
	for i := range n.links {
		l := &n.links[i]
		switch {
		case n.style == styleFrames:
			l.el = elemFrame
		case b.has(Markup) && b.rng.IntN(20) == 0:
			l.el = elemArea
		case b.has(Markup) && b.rng.IntN(20) == 0:
			l.el = elemIframe
		}
		if b.has(Variants) && l.to >= 0 && !l.alt && b.rng.IntN(2) == 0 {
			l.v = variant(1 + b.rng.IntN(int(numVariants)-1))
		}
	}
	if b.has(Variants) && n.style == stylePlain && self < int32(b.pages) {
		switch b.rng.IntN(5) {
		case 0:
			n.links = append(n.links, link{to: self, v: vSelfFragment})
		case 1:
			n.links = append(n.links, link{to: self, v: vSelfEmpty})
		}
	}
	// Rendering writes links grouped by element; sort them so that the
	// model's order is the document order.
	byElement := func(a, b link) int { return cmp.Compare(a.el, b.el) }
	if !slices.IsSortedFunc(n.links, byElement) {
		slices.SortStableFunc(n.links, byElement)
	}
}

var vocabulary = []string{
	"crawl", "frontier", "garden", "river", "lantern", "harbor", "orbit", "meadow",
	"café", "naïve", "Zürich", "smørrebrød", "東京", "Ελληνικά", "русский", "😀",
	"fish & chips", "<angle>", "quote\"d", "façade", "São Paulo", "Łódź",
}

// words returns n vocabulary words joined by spaces.
func (b *builder) words(n int) string {
	buf := make([]byte, 0, 16*n)
	for i := range n {
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, vocabulary[b.rng.IntN(len(vocabulary))]...)
	}
	return string(buf)
}

// New generates the site described by cfg (defaults applied) and renders
// every body. It starts no goroutines; serve the site with Handler.
func New(cfg Config) *Site {
	cfg = cfg.withDefaults()
	b := &builder{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(uint64(cfg.Seed), 0x63726177c0ffee)),
		nodes:  make([]*node, 0, cfg.Pages+cfg.Pages/4+64),
		byPath: make(map[string]*node, cfg.Pages+cfg.Pages/4+64),
		traps:  make(map[string]int32),
	}
	b.generate()
	r := renderer{b: b}
	r.render()
	if cfg.Generation > 0 {
		b.applyGenerations(&r)
	}
	robots := &node{id: -1, path: "/robots.txt", kind: kindError, status: 404, ctype: textType, target: -1,
		body: []byte("no robots.txt: everything is allowed\n")}
	var disallow []string
	if b.has(Robots) {
		robots.kind, robots.status, robots.body = kindFile, 200, []byte(robotsBody)
		disallow = []string{"/private/"}
	}
	b.byPath[robots.path] = robots
	for _, n := range b.nodes {
		if n.kind == kindPage || n.kind == kindError {
			n.delay = delayFor(cfg, n.path)
		}
		if n.kind == kindPage || n.kind == kindFile {
			n.vclass = classOf(cfg.Seed, n.path)
		}
	}
	return &Site{
		cfg:        cfg,
		nodes:      b.nodes,
		byPath:     b.byPath,
		robots:     robots,
		disallow:   disallow,
		external:   b.ext,
		unknown:    make(map[string]*counter),
		maxUnknown: maxUnknown,
		log:        requestLog{max: DefaultMaxLog},
	}
}
