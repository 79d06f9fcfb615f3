package parser

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
)

func gz(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReadSitemap(t *testing.T) {
	const urlset = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc> https://h/a </loc><lastmod>2024-05-01</lastmod><priority>0.5</priority></url>
  <url><loc>https://h/b?x=1&amp;y=2</loc><lastmod>not a date</lastmod></url>
  <url><lastmod>2024-05-01</lastmod></url>
  <url><loc><![CDATA[https://h/c]]></loc><lastmod>2024-05-01T10:30:00+02:00</lastmod></url>
</urlset>`
	tests := []struct {
		name    string
		body    string
		max     int64
		entries int
		index   bool
		want    string // locs and lastmods
		err     string // substring; "" for none
	}{
		{"urlset", urlset, SitemapMaxBytes, SitemapMaxEntries, false,
			"https://h/a@2024-05-01 https://h/b?x=1&y=2@ https://h/c@2024-05-01T10:30:00+02:00", ""},
		{"gzip", gz(t, urlset), SitemapMaxBytes, SitemapMaxEntries, false,
			"https://h/a@2024-05-01 https://h/b?x=1&y=2@ https://h/c@2024-05-01T10:30:00+02:00", ""},
		{"index", `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://h/s1.xml</loc><lastmod>2023</lastmod></sitemap><sitemap><loc>https://h/s2.xml.gz</loc></sitemap></sitemapindex>`,
			SitemapMaxBytes, SitemapMaxEntries, true, "https://h/s1.xml@2023 https://h/s2.xml.gz@", ""},
		{"no namespace, prefixed", `<sm:urlset xmlns:sm="x"><sm:url><sm:loc>https://h/p</sm:loc></sm:url></sm:urlset>`,
			SitemapMaxBytes, SitemapMaxEntries, false, "https://h/p@", ""},
		{"text", "\xEF\xBB\xBFhttps://h/a\r\n\nhttps://h/b\n", SitemapMaxBytes, SitemapMaxEntries, false, "https://h/a@ https://h/b@", ""},
		{"raw ampersand kept", `<urlset><url><loc>https://h/a?x=1&y=2</loc></url></urlset>`, SitemapMaxBytes, SitemapMaxEntries, false, "https://h/a?x=1&y=2@", ""},
		{"latin-1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><urlset><url><loc>https://h/caf\xe9</loc></url></urlset>", SitemapMaxBytes, SitemapMaxEntries, false, "https://h/café@", ""},
		{"malformed keeps the good entries", `<urlset><url><loc>https://h/a</loc></url><url><loc>https://h/b</loc></url><url><loc>https://h/c</lo`,
			SitemapMaxBytes, SitemapMaxEntries, false, "https://h/a@ https://h/b@", "sitemap: XML syntax error"},
		{"wrong root", `<html><body>hi</body></html>`, SitemapMaxBytes, SitemapMaxEntries, false, "", "root element is <html>"},
		{"empty", ``, SitemapMaxBytes, SitemapMaxEntries, false, "", ""},
		{"too many entries", "https://h/1\nhttps://h/2\nhttps://h/3\n", SitemapMaxBytes, 2, false, "https://h/1@ https://h/2@", "more than 2 entries"},
		{"too many xml entries", `<urlset><url><loc>https://h/1</loc></url><url><loc>https://h/2</loc></url></urlset>`, SitemapMaxBytes, 1, false, "https://h/1@", "more than 1 entries"},
		{"cut at the byte cap", "https://h/1\nhttps://h/2\nhttps://h/3\n", 24, SitemapMaxEntries, false, "https://h/1@ https://h/2@", "cut at 24 bytes"},
		{"exactly the cap is no cut", "https://h/1\n", 12, SitemapMaxEntries, false, "https://h/1@", ""},
		{"gzip bomb cut", gz(t, "<urlset><url><loc>https://h/1</loc></url>"+strings.Repeat("<!-- padding -->", 1<<16)), 4096, SitemapMaxEntries, false, "https://h/1@", "cut at 4096 bytes"},
		{"broken gzip", "\x1f\x8b\x08garbage", SitemapMaxBytes, SitemapMaxEntries, false, "", "gzip"},
		{"image extension", `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" xmlns:x="urn:x"><url><loc>https://h/page</loc><lastmod>2024-01-01</lastmod><image:image><image:loc>https://cdn/photo.jpg</image:loc></image:image><x:lastmod>1999</x:lastmod></url></urlset>`,
			SitemapMaxBytes, SitemapMaxEntries, false, "https://h/page@2024-01-01", ""},
		{"extension loc after the real one", `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:v="urn:v"><url><loc>https://h/page</loc><v:loc>https://cdn/v.mp4</v:loc></url></urlset>`,
			SitemapMaxBytes, SitemapMaxEntries, false, "https://h/page@", ""},
		{"nesting bomb", "<urlset><url><loc>https://h/1</loc></url>" + strings.Repeat("<a>", 100000), SitemapMaxBytes, SitemapMaxEntries, false, "https://h/1@", "nested more than 16 deep"},
		{"text: a long line is skipped", "https://h/1\n" + strings.Repeat("x", 20000) + "\nhttps://h/2\n", SitemapMaxBytes, SitemapMaxEntries, false, "https://h/1@ https://h/2@", ""},
		{"text: a bad line is skipped", "https://h/1\n\xff\xfe\nhttps://h/2", SitemapMaxBytes, SitemapMaxEntries, false, "https://h/1@ https://h/2@", ""},
		{"url in an index is no sitemap", `<sitemapindex><url><loc>https://h/x</loc></url></sitemapindex>`, SitemapMaxBytes, SitemapMaxEntries, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, err := ReadSitemap(strings.NewReader(tt.body), tt.max, tt.entries)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			var got []string
			for _, e := range sm.Entries {
				got = append(got, e.Loc+"@"+e.Lastmod)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("entries = %q, want %q", g, tt.want)
			}
			if sm.Index != tt.index {
				t.Errorf("Index = %v, want %v", sm.Index, tt.index)
			}
			if sm.Bytes > tt.max {
				t.Errorf("read %d bytes, more than the cap %d", sm.Bytes, tt.max)
			}
		})
	}
}

func TestReadSitemapCutIsErrSitemapCut(t *testing.T) {
	_, err := ReadSitemap(strings.NewReader("https://h/1\nhttps://h/2\n"), 5, 10)
	if !errors.Is(err, ErrSitemapCut) {
		t.Fatalf("err = %v, want ErrSitemapCut", err)
	}
}

func TestParseW3CDate(t *testing.T) {
	for in, want := range map[string]string{
		"1997":                      "1997-01-01T00:00:00Z",
		"1997-07":                   "1997-07-01T00:00:00Z",
		"1997-07-16":                "1997-07-16T00:00:00Z",
		"1997-07-16T19:20+01:00":    "1997-07-16T18:20:00Z",
		"1997-07-16T19:20:30+01:00": "1997-07-16T18:20:30Z",
		"1997-07-16T19:20:30.45Z":   "1997-07-16T19:20:30.45Z",
		"16/07/1997":                "",
		"":                          "",
	} {
		got, ok := ParseW3CDate(in)
		if s := got.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"); ok && s != want || !ok && want != "" {
			t.Errorf("ParseW3CDate(%q) = %v %v, want %q", in, s, ok, want)
		}
	}
}

// FuzzReadSitemap reads untrusted sitemaps: no panic, never more than the
// caps, and every entry has a location.
func FuzzReadSitemap(f *testing.F) {
	for _, s := range []string{
		`<urlset><url><loc>https://h/a</loc><lastmod>2024</lastmod></url></urlset>`,
		`<sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>`,
		"https://h/a\nhttps://h/b", "\x1f\x8b\x08\x00", `<?xml version="1.0" encoding="windows-1252"?><urlset>`,
		`<urlset><url><loc>&amp;&lt;&bogus;</loc></url><url>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		const maxBytes, maxEntries = 4096, 20
		sm, _ := ReadSitemap(bytes.NewReader(body), maxBytes, maxEntries)
		if sm.Bytes > maxBytes || len(sm.Entries) > maxEntries {
			t.Fatalf("read %d bytes and %d entries, caps %d and %d", sm.Bytes, len(sm.Entries), maxBytes, maxEntries)
		}
		for _, e := range sm.Entries {
			if e.Loc == "" {
				t.Fatal("an entry without a location")
			}
		}
	})
}
