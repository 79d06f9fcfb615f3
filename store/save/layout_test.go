package save

import (
	"net/url"
	"strings"
	"testing"
)

var long = strings.Repeat("x", 250)

var pathForTests = []struct {
	name      string
	url       string
	mediaType string
	want      string
}{
	// files and directories
	{"root", "https://a.example/", "text/html", "a.example/index.html"},
	{"empty path", "https://a.example", "text/html", "a.example/index.html"},
	{"directory", "https://a.example/docs/", "text/html", "a.example/docs/index.html"},
	{"directory not html", "https://a.example/api/", "application/json", "a.example/api/index.html"},
	{"plain file", "https://a.example/img/logo.png", "image/png", "a.example/img/logo.png"},
	{"html file", "https://a.example/about.html", "text/html", "a.example/about.html"},
	{"htm file", "https://a.example/old.HTM", "text/html", "a.example/old.HTM"},
	{"html page without extension", "https://a.example/a", "text/html; charset=utf-8", "a.example/a.html"},
	{"xhtml page", "https://a.example/a.php", "application/xhtml+xml", "a.example/a.php.html"},
	{"media type case", "https://a.example/a", "Text/HTML", "a.example/a.html"},
	{"pdf keeps its name", "https://a.example/r.pdf", "application/pdf", "a.example/r.pdf"},
	{"pdf without extension", "https://a.example/report", "application/pdf", "a.example/report"},
	{"no media type", "https://a.example/x", "", "a.example/x"},

	// queries
	{"query", "https://a.example/list.php?page=2", "application/octet-stream", "a.example/list.php@page=2"},
	{"query html", "https://a.example/list.php?page=2", "text/html", "a.example/list.php@page=2.html"},
	{"query on directory", "https://a.example/?q=1", "text/html", "a.example/index.html@q=1.html"},
	{"query html extension", "https://a.example/x?f=a.html", "text/html", "a.example/x@f=a.html"},
	{"query slash", "https://a.example/s?p=a/b&q=%2F", "", "a.example/s@p=a%2Fb&q=%2F"},
	{"query at", "https://a.example/s?u=a@b", "", "a.example/s@u=a%40b"},
	{"query question", "https://a.example/s?a?b", "", "a.example/s@a%3Fb"},
	{"empty query", "https://a.example/s?", "", "a.example/s@"},
	{"query escapes kept", "https://a.example/s?a=%26&b=%41", "", "a.example/s@a=%26&b=A"},
	{"query space", "https://a.example/s?a%20b", "", "a.example/s@a%20b"},
	{"at in path", "https://a.example/u@x", "", "a.example/u%40x"},

	// hosts and ports
	{"port", "http://a.example:8080/x", "", "a.example:8080/x"},
	{"host case", "http://A.Example/x", "", "a.example/x"},
	{"ipv6", "http://[2001:db8::1]/", "text/html", "[2001-db8--1]/index.html"},
	{"ipv6 port", "http://[::1]:8080/x", "", "[--1]:8080/x"},
	{"ipv6 zone", "http://[fe80::1%25eth0]/x", "", "[fe80--1%25eth0]/x"},
	{"punycode host", "https://xn--bcher-kva.example/", "text/html", "xn--bcher-kva.example/index.html"},
	{"unicode host", "https://Bücher.example/", "text/html", "bücher.example/index.html"},
	{"no host", "http:///x", "", "@/x"},
	{"dot host", "http://../x", "", "%2E%2E/x"},
	{"opaque", "http:a/b", "", "@/a/b"},

	// percent-encoding
	{"encoded slash", "https://a.example/a%2Fb", "", "a.example/a%2Fb"},
	{"encoded slash dir", "https://a.example/a%2F/b", "", "a.example/a%2F/b"},
	{"nul", "https://a.example/a%00b", "", "a.example/a%00b"},
	{"control", "https://a.example/a%0A%7Fb", "", "a.example/a%0A%7Fb"},
	{"backslash", "https://a.example/a%5Cb", "", "a.example/a%5Cb"},
	{"dot dot encoded", "https://a.example/%2e%2e/%2E%2e/etc/passwd", "", "a.example/%2E%2E/%2E%2E/etc/passwd"},
	{"dot encoded", "https://a.example/%2e/x", "", "a.example/%2E/x"},
	{"dot dot last", "https://a.example/a/%2e%2e", "text/html", "a.example/a/%2E%2E.html"},
	{"raw dot dot", "https://a.example/a/../b", "", "a.example/a/%2E%2E/b"},
	{"three dots", "https://a.example/.../x", "", "a.example/.../x"},
	{"dot file", "https://a.example/.htaccess", "", "a.example/.htaccess"},
	{"empty segment", "https://a.example/a//b", "", "a.example/a/@/b"},
	{"unreserved decoded", "https://a.example/%41%7e%2D", "", "a.example/A~-"},
	{"sub-delims kept as they came", "https://a.example/a!%21($)", "", "a.example/a!%21($)"},
	{"escape case", "https://a.example/a%3ab", "", "a.example/a%3Ab"},
	{"percent", "https://a.example/100%25", "", "a.example/100%25"},
	{"space", "https://a.example/my%20file.pdf", "", "a.example/my%20file.pdf"},
	{"colon and star", "https://a.example/a:b*c", "", "a.example/a%3Ab%2Ac"},
	{"unicode", "https://a.example/caf%C3%A9/%E6%97%A5%E6%9C%AC", "", "a.example/café/日本"},
	{"unicode html", "https://a.example/caf%C3%A9", "text/html", "a.example/café.html"},
	{"invalid utf-8", "https://a.example/a%FFb%C3", "", "a.example/a%FFb%C3"},
	{"overlong utf-8", "https://a.example/%C0%AF", "", "a.example/%C0%AF"},
	{"bidi override", "https://a.example/a%E2%80%AEb", "", "a.example/a%E2%80%AEb"},
	{"no-break space", "https://a.example/a%C2%A0b", "", "a.example/a%C2%A0b"},

	// lengths
	{"segment of 200", "https://a.example/" + long[:200], "", "a.example/" + long[:200]},
	{"long segment", "https://a.example/" + long + ".pdf", "application/pdf",
		"a.example/" + long[:100] + "~" + hashHex(long+".pdf", 16) + ".pdf"},
	{"long segment html", "https://a.example/" + long, "text/html",
		"a.example/" + long[:100] + "~" + hashHex(long+".html", 16) + ".html"},
	{"long segment keeps escapes whole", "https://a.example/" + long[:99] + "%00" + long, "",
		"a.example/" + long[:99] + "~" + hashHex(long[:99]+"%00"+long, 16)},
	{"long directory", "https://a.example/" + long + "/f", "",
		"a.example/" + long[:100] + "~" + hashHex(long, 16) + "/f"},
}

func TestPathFor(t *testing.T) {
	for _, tt := range pathForTests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := PathFor(u, tt.mediaType); got != tt.want {
				t.Errorf("PathFor(%q, %q) = %q, want %q", tt.url, tt.mediaType, got, tt.want)
			}
		})
	}
}

func TestPathForLongPath(t *testing.T) {
	seg := strings.Repeat("d", 150)
	var raw strings.Builder
	raw.WriteString("https://a.example")
	for range 10 {
		raw.WriteString("/" + seg)
	}
	raw.WriteString("/file.pdf")
	u, err := url.Parse(raw.String())
	if err != nil {
		t.Fatal(err)
	}
	got := PathFor(u, "application/pdf")
	if len(got) > maxPath {
		t.Fatalf("PathFor(%q) has %d bytes, want at most %d", raw.String(), len(got), maxPath)
	}
	// a.example is 9 bytes: 4 directories of 151 bytes fit in 700.
	dirs := strings.Repeat("/"+seg, 4)
	rest := strings.TrimPrefix(strings.Repeat("/"+seg, 6)+"/file.pdf", "/")
	want := "a.example" + dirs + "/file~" + hashHex(rest, 16) + ".pdf"
	if got != want {
		t.Errorf("PathFor(%q) =\n%q, want\n%q", raw.String(), got, want)
	}

	// Another URL that differs only in a dropped directory gets another name.
	u2 := *u
	u2.Path = strings.Replace(u.Path, seg+"/file.pdf", "e"+seg[1:]+"/file.pdf", 1)
	u2.RawPath = ""
	if got2 := PathFor(&u2, "application/pdf"); got2 == got {
		t.Errorf("PathFor(%q) = PathFor(%q) = %q, want them apart", u2.String(), raw.String(), got)
	}
}

func TestFallbackName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a", "a~" + hashHex("a", 8)},
		{"r.pdf", "r~" + hashHex("r.pdf", 8) + ".pdf"},
		{"list.php@page=2.html", "list.php@page=2~" + hashHex("list.php@page=2.html", 8) + ".html"},
		{".htaccess", ".htaccess~" + hashHex(".htaccess", 8)},
	}
	for _, tt := range tests {
		if got := fallbackName(tt.in); got != tt.want {
			t.Errorf("fallbackName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkPathFor(b *testing.B) {
	u, err := url.Parse("https://a.example/docs/caf%C3%A9/list.php?page=2&sort=name")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		PathFor(u, "text/html")
	}
}
