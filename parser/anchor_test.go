package parser

import (
	"reflect"
	"strings"
	"testing"
)

func TestAnchors(t *testing.T) {
	long := strings.Repeat("é", maxAnchorText)
	tests := []struct {
		name, html string
		want       []Anchor
	}{
		{"text collapsed", "<a href=/a>\n  Read <b>the</b>\tdocs </a>", []Anchor{{"http://example.com/a", "Read the docs"}}},
		{"duplicates kept in order", "<a href=/a>one</a><a href=/b>two</a><a href=/a#x>three</a>",
			[]Anchor{{"http://example.com/a", "one"}, {"http://example.com/b", "two"}, {"http://example.com/a", "three"}}},
		{"image alt", `<a href=/i><img src=x.png alt="Home"></a>`, []Anchor{{"http://example.com/i", "Home"}}},
		{"title last", `<a href=/t title=" Tip "></a>`, []Anchor{{"http://example.com/t", "Tip"}}},
		{"area and iframe", `<map><area href=/m alt="Map"></map><iframe src=/f title="Frame"></iframe>`,
			[]Anchor{{"http://example.com/m", "Map"}, {"http://example.com/f", "Frame"}}},
		{"skipped hrefs", `<a href="mailto:x@y">m</a><a href="javascript:x()">j</a><a>none</a>`, nil},
		{"bounded text", "<a href=/l>a" + long + "</a>", []Anchor{{"http://example.com/l", truncateUTF8("a"+long, maxAnchorText)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.html), "text/html", mustURL(t, "http://example.com/"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Anchors, tt.want) {
				t.Errorf("Anchors = %q, want %q", p.Anchors, tt.want)
			}
		})
	}
}

func TestAnchorsBounded(t *testing.T) {
	body := strings.Repeat("<a href=/x>x</a>", maxAnchors+10)
	p, err := Parse([]byte(body), "text/html", mustURL(t, "http://example.com/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Anchors) != maxAnchors || len(p.Links) != 1 {
		t.Errorf("%d anchors, %d links; want %d and 1", len(p.Anchors), len(p.Links), maxAnchors)
	}
}
