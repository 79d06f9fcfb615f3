package testserver

import (
	"slices"
	"strings"
	"testing"
)

func TestExpectProperties(t *testing.T) {
	s := New(Config{Pages: 150, Seed: 9, Features: AllFeatures})
	all := s.Paths()
	prev := map[string]Outcome{}
	for depth := 0; depth <= 6; depth++ {
		e := s.Expect("/", depth)
		fetched := 0
		for p, o := range e.Records {
			if !slices.Contains(all, p) {
				t.Errorf("depth %d: record %s is not a path of the site", depth, p)
			}
			if o.Depth > depth {
				t.Errorf("depth %d: %s at depth %d", depth, p, o.Depth)
			}
			if strings.HasPrefix(p, "/private/") != o.Robots {
				t.Errorf("depth %d: %s Robots = %v", depth, p, o.Robots)
			}
			if old, ok := prev[p]; ok && old != o {
				t.Errorf("depth %d: %s = %+v, was %+v at depth %d", depth, p, o, old, depth-1)
			}
			if !o.Robots {
				fetched++
			}
		}
		if fetched+len(e.Never) != len(all)-1 { // robots.txt is neither
			t.Errorf("depth %d: %d fetched + %d never != %d paths - robots.txt", depth, fetched, len(e.Never), len(all))
		}
		for _, p := range e.Never {
			if o, ok := e.Records[p]; ok && !o.Robots {
				t.Errorf("depth %d: %s is both fetched and never requested", depth, p)
			}
		}
		for _, p := range all {
			for _, never := range []string{"/trap/", "/hidden/", "/oos/", "/long/11", "/moved/long", "/private/"} {
				if strings.HasPrefix(p, never) && !slices.Contains(e.Never, p) {
					t.Errorf("depth %d: %s is not in Never", depth, p)
				}
			}
		}
		prev = e.Records
	}
	e := s.Expect("/", 6)
	for _, want := range []struct {
		path string
		o    Outcome
	}{
		{"/", Outcome{Status: 200, Title: s.byPath["/"].title, ContentType: "text/html"}},
		{"/r/home", Outcome{Depth: 1, Status: 302, Redirect: "/"}},
		{"/long/10", Outcome{Depth: e.Records["/long/0"].Depth, Status: 301, Err: true, Redirect: "/long/11"}},
		{"/moved/chain", Outcome{Depth: e.Records["/chain/0"].Depth, Status: 200, Title: s.byPath["/moved/chain"].title, ContentType: "text/html"}},
		{"/cycle/b", Outcome{Depth: e.Records["/cycle/a"].Depth, Status: 307, Err: true, Error: "redirect loop", Redirect: "/cycle/a"}},
		{"/r/out", Outcome{Depth: e.Records["/r/out"].Depth, Status: 302, Redirect: "http://127.0.0.2:1/moved"}},
		{"/error/0", Outcome{Depth: e.Records["/error/0"].Depth, Status: 500, Err: true, ContentType: "text/html"}},
		{"/doc/0.pdf", Outcome{Depth: e.Records["/doc/0.pdf"].Depth, Status: 200, ContentType: "application/pdf"}},
	} {
		got := e.Records[want.path]
		got.ETag, got.LastModified = "", "" // see TestConditionalRequests
		if got != want.o {
			t.Errorf("Expect(/, 6).Records[%s] = %+v, want %+v", want.path, got, want.o)
		}
	}
	if !slices.Equal(e.External, []string{"http://127.0.0.2:1/moved", "http://127.0.0.2:1/x/0", "http://127.0.0.2:1/x/1", "http://127.0.0.2:1/x/2"}) {
		t.Errorf("External = %q", e.External)
	}
}

func TestExpectRedirectLimit(t *testing.T) {
	s := New(Config{Features: Redirects})
	tests := []struct {
		maxRedirects int
		errPath      string // the redirect recorded with an error
		reached      string // the first path not reached
	}{
		{-1, "/chain/0", "/chain/1"},
		{1, "/chain/1", "/chain/2"},
		{4, "/chain/4", "/moved/chain"},
		{5, "/long/5", "/long/6"},
		{0, "/long/10", "/long/11"},
	}
	for _, tt := range tests {
		e := s.ExpectCrawl(Crawl{Seed: "/", MaxDepth: 10, MaxRedirects: tt.maxRedirects})
		if o := e.Records[tt.errPath]; !o.Err || o.Status < 300 || o.Status > 399 {
			t.Errorf("MaxRedirects %d: %s = %+v, want a 3xx with an error", tt.maxRedirects, tt.errPath, o)
		}
		if _, ok := e.Records[tt.reached]; ok {
			t.Errorf("MaxRedirects %d: %s recorded, want it never requested", tt.maxRedirects, tt.reached)
		}
	}
}

func TestExpectSeeds(t *testing.T) {
	s := New(Config{Pages: 20, Features: AllFeatures})
	e := s.Expect("/nope", 3)
	if len(e.Records) != 1 || e.Records["/nope"] != (Outcome{Status: 404, Err: true, ContentType: "text/plain"}) {
		t.Errorf("Expect(/nope) records = %+v, want one 404", e.Records)
	}
	if len(e.Never) != len(s.Paths())-1 {
		t.Errorf("Expect(/nope) never = %d paths, want all %d but robots.txt", len(e.Never), len(s.Paths())-1)
	}
	e = s.Expect("/private/0", 3)
	if len(e.Records) != 1 || !e.Records["/private/0"].Robots {
		t.Errorf("Expect(/private/0) records = %+v, want only the disallowed seed", e.Records)
	}
	e = s.Expect("/r/0", 0)
	if len(e.Records) != 2 || e.Records["/moved/0"].Depth != 0 || e.Records["/moved/0"].Status != 200 {
		t.Errorf("Expect(/r/0, 0) records = %+v, want the redirect and its target at depth 0", e.Records)
	}
}

func TestCompare(t *testing.T) {
	want := Expectation{Records: map[string]Outcome{
		"/":     {Status: 200, Title: "Home", ContentType: "text/html"},
		"/p/1":  {Depth: 1, Status: 200, Title: "P1", ContentType: "text/html"},
		"/r/0":  {Depth: 1, Status: 301, Redirect: "/moved/0"},
		"/priv": {Depth: 1, Err: true, Robots: true},
	}}
	ok := map[string]Outcome{
		"/":     {Status: 200, Title: "Home"},
		"/p/1":  {Depth: 1, Status: 200, Title: "P1", ContentType: "text/html"},
		"/r/0":  {Depth: 1, Status: 301},
		"/priv": {Depth: 1, Err: true},
	}
	with := func(p string, o Outcome) map[string]Outcome {
		m := map[string]Outcome{}
		for k, v := range ok {
			m[k] = v
		}
		if o == (Outcome{}) {
			delete(m, p)
		} else {
			m[p] = o
		}
		return m
	}
	tests := []struct {
		name string
		got  map[string]Outcome
		want string // substring of the error; "" = no error
	}{
		{"equal", ok, ""},
		{"missing", with("/p/1", Outcome{}), "/p/1: missing"},
		{"extra", with("/p/2", Outcome{Depth: 2, Status: 200}), "/p/2: unexpected record"},
		{"depth", with("/p/1", Outcome{Depth: 2, Status: 200, Title: "P1"}), "/p/1: got"},
		{"status", with("/r/0", Outcome{Depth: 1, Status: 302}), "/r/0: got"},
		{"err", with("/priv", Outcome{Depth: 1}), "/priv: got"},
		{"title", with("/", Outcome{Status: 200, Title: "Hom"}), "/: got"},
		{"redirect", with("/r/0", Outcome{Depth: 1, Status: 301, Redirect: "/moved/1"}), "/r/0: got"},
		{"content type", with("/", Outcome{Status: 200, Title: "Home", ContentType: "text/plain"}), "/: got"},
	}
	for _, tt := range tests {
		err := want.Compare(tt.got)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Compare = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Compare = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckRequests(t *testing.T) {
	want := Expectation{Records: map[string]Outcome{
		"/":      {Status: 200},
		"/err":   {Depth: 1, Status: 500, Err: true},
		"/priv":  {Depth: 1, Err: true, Robots: true},
		"/gone":  {Depth: 1, Status: 410, Err: true},
		"/slow":  {Depth: 1, Status: 429, Err: true},
		"/moved": {Depth: 1, Status: 301, Redirect: "/"},
	}}
	ok := map[string]int{"/robots.txt": 1, "/": 1, "/err": 3, "/gone": 1, "/slow": 3, "/moved": 1}
	with := func(p string, n int) map[string]int {
		m := map[string]int{}
		for k, v := range ok {
			m[k] = v
		}
		m[p] = n
		if n == 0 {
			delete(m, p)
		}
		return m
	}
	tests := []struct {
		name string
		got  map[string]int
		want string
	}{
		{"equal", ok, ""},
		{"twice", with("/", 2), "/: requested 2 times, want 1"},
		{"no retries", with("/err", 1), "/err: requested 1 times, want 3"},
		{"robots", with("/priv", 1), "/priv: requested 1 times, want 0"},
		{"no robots.txt", with("/robots.txt", 0), "/robots.txt: requested 0 times, want 1"},
		{"stray", with("/trap/x", 1), "/trap/x: requested 1 times, want 0"},
	}
	for _, tt := range tests {
		err := want.CheckRequests(tt.got, 2)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: CheckRequests = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: CheckRequests = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestLinks(t *testing.T) {
	s := New(Config{Pages: 20, Features: External | Redirects})
	links := s.Links("/", "HTTP://127.0.0.1:8080/")
	if len(links) == 0 || !slices.Contains(links, "http://127.0.0.1:8080/r/home") {
		t.Errorf("Links(/) = %q, want it to contain http://127.0.0.1:8080/r/home", links)
	}
	seen := map[string]bool{}
	for _, l := range links {
		if seen[l] {
			t.Errorf("Links(/) repeats %s", l)
		}
		seen[l] = true
	}
	for _, p := range []string{"/r/0", "/nope", "/robots.txt"} {
		if got := s.Links(p, "http://h"); got != nil {
			t.Errorf("Links(%s) = %q, want nil", p, got)
		}
	}
}
