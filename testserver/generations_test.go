package testserver

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestGenerationZeroIsTheSite(t *testing.T) {
	cfg := Config{Pages: 80, Links: 7, Seed: 42, Features: AllFeatures | Encoded}
	want := snapshot(New(cfg))
	for _, g := range []int{0, -1, -100} {
		c := cfg
		c.Generation = g
		s := New(c)
		if s.Generation() != 0 {
			t.Errorf("Generation %d: Generation() = %d, want 0", g, s.Generation())
		}
		if snapshot(s) != want {
			t.Errorf("Generation %d serves another site than generation 0", g)
		}
	}
	if g := NewHostile(HostileConfig{}).Generation(); g != 0 {
		t.Errorf("hostile site: Generation() = %d, want 0", g)
	}
	c := cfg
	c.Generation = MaxGeneration + 5
	if g := New(c).Generation(); g != MaxGeneration {
		t.Errorf("Generation %d: Generation() = %d, want %d", c.Generation, g, MaxGeneration)
	}
}

func TestGenerationDeterministic(t *testing.T) {
	tests := []Config{
		{Pages: 200, Links: 5, Seed: 3, Generation: 1},
		{Pages: 200, Links: 5, Seed: 3, Generation: 4, Features: AllFeatures | Encoded},
	}
	for _, cfg := range tests {
		t.Run(fmt.Sprintf("gen%d-%s", cfg.Generation, cfg.Features), func(t *testing.T) {
			a, b := snapshot(New(cfg)), snapshot(New(cfg))
			if a != b {
				t.Fatal("two sites built from one Config serve different responses")
			}
			prev := cfg
			prev.Generation--
			if snapshot(New(prev)) == a {
				t.Errorf("generations %d and %d serve the same responses", prev.Generation, cfg.Generation)
			}
		})
	}
}

// TestGenerationShares checks the share of each fate of step 1, and of
// each validator class, on a 10,000-page site.
func TestGenerationShares(t *testing.T) {
	const pages = 10000
	s0 := New(Config{Pages: pages, Seed: 1})
	s1 := New(Config{Pages: pages, Seed: 1, Generation: 1})
	count := map[string]int{}
	for i := 1; i < pages; i++ {
		n := s1.nodes[i]
		switch {
		case n.kind == kindPage && n.revision == 1:
			count["changed"]++
			if len(n.links) == len(s0.nodes[i].links) {
				count["changed, link dropped"]++
			}
		case n.kind == kindError && n.status == 404:
			count["removed 404"]++
		case n.kind == kindError && n.status == 410:
			count["removed 410"]++
		case n.kind == kindRedirect && n.status == 301:
			count["moved"]++
		case n.kind == kindPage && n.revision == 0:
			count["unchanged"]++
		default:
			t.Errorf("%s: kind %d, status %d, revision %d", n.path, n.kind, n.status, n.revision)
		}
	}
	classes := map[validatorClass]int{}
	resources := 0
	for _, n := range s1.nodes {
		if n.kind == kindPage || n.kind == kindFile {
			classes[n.vclass]++
			resources++
		}
	}
	pct := func(n, of int) float64 { return 100 * float64(n) / float64(of) }
	tests := []struct {
		name      string
		got, want float64 // percent
		tolerance float64
	}{
		{"changed", pct(count["changed"], pages), 10, 1.5},
		{"changed pages that drop a link", pct(count["changed, link dropped"], count["changed"]), 50, 8},
		{"removed 404", pct(count["removed 404"], pages), 1.5, 0.6},
		{"removed 410", pct(count["removed 410"], pages), 1.5, 0.6},
		{"moved", pct(count["moved"], pages), 2, 0.7},
		{"unchanged", pct(count["unchanged"], pages), 85, 2},
		{"strong ETag", pct(classes[valStrong], resources), pctStrong, 2},
		{"no validators", pct(classes[valNone], resources), pctNone, 1.5},
		{"weak ETag", pct(classes[valWeak], resources), pctWeak, 1.5},
		{"Last-Modified only", pct(classes[valModified], resources), pctModified, 1},
		{"lying ETag", pct(classes[valLying], resources), pctLying, 1},
		{"stuck Last-Modified", pct(classes[valStuck], resources), 5, 1},
	}
	for _, tt := range tests {
		if tt.got < tt.want-tt.tolerance || tt.got > tt.want+tt.tolerance {
			t.Errorf("%s: %.2f%%, want %.1f%% ± %.1f", tt.name, tt.got, tt.want, tt.tolerance)
		}
	}
	if classes[valNA] != 0 {
		t.Errorf("%d pages and files without a validator class", classes[valNA])
	}
}

// TestGenerationSteps checks what steps do to pages over generations:
// removed and moved pages stay so, "/" is never removed, a changed page
// links to its new page, which links back into the site.
func TestGenerationSteps(t *testing.T) {
	const pages, gens = 2000, 4
	sites := make([]*Site, gens+1)
	for g := range sites {
		sites[g] = New(Config{Pages: pages, Links: 6, Seed: 8, Features: AllFeatures, Generation: g})
	}
	for g := 1; g <= gens; g++ {
		prev, cur := sites[g-1], sites[g]
		if cur.nodes[0].kind != kindPage {
			t.Fatalf("generation %d: / is no page", g)
		}
		for i := 1; i < pages; i++ {
			p, c := prev.nodes[i], cur.nodes[i]
			if p.kind != kindPage && (c.kind != p.kind || c.status != p.status || c.revision != p.revision) {
				t.Errorf("generation %d: %s was %d %d, is %d %d", g, c.path, p.kind, p.status, c.kind, c.status)
			}
			if c.kind == kindRedirect {
				to := cur.nodes[c.target]
				if to.path != "/renamed/"+itoa(i) || to.title != sites[0].nodes[i].title {
					t.Errorf("generation %d: %s moved to %s titled %q", g, c.path, to.path, to.title)
				}
			}
			if c.kind == kindPage && c.revision == int32(g) {
				np := cur.byPath["/new/"+itoa(g)+"/"+itoa(i)]
				if np == nil || len(np.links) != 2 || !strings.Contains(string(c.body), np.path) {
					t.Errorf("generation %d: changed page %s does not link its new page", g, c.path)
				}
				if !bytes.Contains(c.body, []byte("Revision "+itoa(g)+" of this page.")) {
					t.Errorf("generation %d: changed page %s says no revision", g, c.path)
				}
			}
		}
	}
	// Every path served in a generation but not the one before is a new
	// or renamed page.
	for g := 1; g <= gens; g++ {
		for p := range sites[g].byPath {
			if sites[g-1].byPath[p] == nil && !strings.HasPrefix(p, "/new/"+itoa(g)+"/") && !strings.HasPrefix(p, "/renamed/") {
				t.Errorf("generation %d: new path %s", g, p)
			}
		}
	}
}

func TestExpectChangesRules(t *testing.T) {
	page := Outcome{Status: 200, Title: "T", ContentType: "text/html", Revision: 1}
	tests := []struct {
		name       string
		prev, cur  *Outcome // nil: not recorded
		wantChange string
	}{
		{"new", nil, &page, ChangeNew},
		{"unreachable", &page, nil, ChangeGone},
		{"same", &page, &page, ChangeUnchanged},
		{"deeper", &page, &Outcome{Depth: 3, Status: 200, Title: "T", ContentType: "text/html", Revision: 1}, ChangeUnchanged},
		{"revision", &page, &Outcome{Status: 200, Title: "T", ContentType: "text/html", Revision: 2}, ChangeChanged},
		{"title", &page, &Outcome{Status: 200, Title: "U", ContentType: "text/html", Revision: 1}, ChangeChanged},
		{"type", &page, &Outcome{Status: 200, Title: "T", ContentType: "text/plain", Revision: 1}, ChangeChanged},
		{"validators alone", &page, &Outcome{Status: 200, Title: "T", ContentType: "text/html", Revision: 1, ETag: `"x"`}, ChangeUnchanged},
		{"removed 404", &page, &Outcome{Status: 404, Err: true}, ChangeGone},
		{"removed 410", &page, &Outcome{Status: 410, Err: true}, ChangeGone},
		{"still 404", &Outcome{Status: 404, Err: true}, &Outcome{Status: 404, Err: true}, ChangeUnchanged},
		{"404 then 410", &Outcome{Status: 404, Err: true}, &Outcome{Status: 410, Err: true}, ChangeGone},
		{"moved", &page, &Outcome{Status: 301, Redirect: "/renamed/3"}, ChangeMoved},
		{"still moved", &Outcome{Status: 301, Redirect: "/renamed/3"}, &Outcome{Status: 301, Redirect: "/renamed/3"}, ChangeUnchanged},
		{"moved elsewhere", &Outcome{Status: 301, Redirect: "/a"}, &Outcome{Status: 301, Redirect: "/b"}, ChangeMoved},
		{"status", &Outcome{Status: 500, Err: true}, &Outcome{Status: 503, Err: true}, ChangeChanged},
		{"redirect came back", &Outcome{Status: 301, Redirect: "/a"}, &page, ChangeChanged},
		{"error", &Outcome{Status: 200}, &Outcome{Status: 200, Err: true}, ChangeChanged},
		{"same error", &Outcome{Status: 500, Err: true}, &Outcome{Status: 500, Err: true}, ChangeUnchanged},
		{"robots", &Outcome{Err: true, Robots: true}, &Outcome{Err: true, Robots: true}, ChangeUnchanged},
	}
	for _, tt := range tests {
		prev, cur := Expectation{Records: map[string]Outcome{}}, Expectation{Records: map[string]Outcome{}}
		if tt.prev != nil {
			prev.Records["/x"] = *tt.prev
		}
		if tt.cur != nil {
			cur.Records["/x"] = *tt.cur
		}
		got := ExpectChanges(prev, cur)
		if len(got) != 1 || got["/x"] != tt.wantChange {
			t.Errorf("%s: ExpectChanges(%+v, %+v) = %v, want /x: %s", tt.name, tt.prev, tt.cur, got, tt.wantChange)
		}
	}
}

// TestExpectChangesAgreesWithServed labels generations 0 -> 1 -> 2 and
// checks each label against what the two sites serve.
func TestExpectChangesAgreesWithServed(t *testing.T) {
	cfg := Config{Pages: 400, Links: 5, Seed: 6, Features: AllFeatures | Encoded}
	crawl := Crawl{Seed: "/", MaxDepth: 4}
	var sites []*Site
	var wants []Expectation
	for g := range 3 {
		cfg.Generation = g
		sites = append(sites, New(cfg))
		wants = append(wants, sites[g].ExpectCrawl(crawl))
	}
	seen := map[string]int{}
	for g := 1; g < len(sites); g++ {
		prev, cur := sites[g-1], sites[g]
		changes := ExpectChanges(wants[g-1], wants[g])
		for p, label := range changes {
			seen[label]++
			ps, _, _, pok := prev.Served(p)
			cs, ch, _, cok := cur.Served(p)
			po, inPrev := wants[g-1].Records[p]
			co, inCur := wants[g].Records[p]
			if inPrev && pok && !po.Robots && ps != po.Status || inCur && cok && !co.Robots && cs != co.Status {
				t.Errorf("%d: %s served %d and %d, expected %d and %d", g, p, ps, cs, po.Status, co.Status)
			}
			switch label {
			case ChangeNew:
				if inPrev || !inCur {
					t.Errorf("%d: %s new, recorded before: %v, now: %v", g, p, inPrev, inCur)
				}
			case ChangeGone:
				if inCur && cs != 404 && cs != 410 {
					t.Errorf("%d: %s gone, but recorded with %d", g, p, cs)
				}
			case ChangeMoved:
				if cs != 301 || ch.Get("Location") != co.Redirect {
					t.Errorf("%d: %s moved, but served %d to %q", g, p, cs, ch.Get("Location"))
				}
			case ChangeChanged, ChangeUnchanged:
				if !pok || !cok || ps/100 != 2 || cs/100 != 2 {
					continue // errors and redirects: the status decides
				}
				same := bytes.Equal(prev.Decoded(p), cur.Decoded(p))
				if same != (label == ChangeUnchanged) {
					t.Errorf("%d: %s %s, but bodies the same = %v", g, p, label, same)
				}
				n := cur.byPath[p]
				if honest := n.vclass != valLying; honest && label == ChangeUnchanged && po.ETag != co.ETag {
					t.Errorf("%d: %s unchanged, ETag %s then %s", g, p, po.ETag, co.ETag)
				}
				if strong := n.vclass == valStrong || n.vclass == valStuck; strong && label == ChangeChanged && po.ETag == co.ETag {
					t.Errorf("%d: %s changed, same ETag %s", g, p, co.ETag)
				}
			default:
				t.Errorf("%d: %s: label %q", g, p, label)
			}
		}
	}
	for _, label := range []string{ChangeNew, ChangeChanged, ChangeUnchanged, ChangeMoved, ChangeGone} {
		if seen[label] == 0 {
			t.Errorf("no URL labelled %s over generations 0 to 2 (%v)", label, seen)
		}
	}
	t.Logf("labels over generations 0 -> 1 -> 2: %v", seen)
}
