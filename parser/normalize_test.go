package parser

import (
	"net/url"
	"strings"
	"testing"
)

// normalizeTests is shared by TestNormalize, FuzzNormalize's seed corpus and
// BenchmarkNormalize. want == "" means Normalize must fail.
var normalizeTests = []struct {
	name, in, want string
}{
	{"dot segments port fragment", "HTTP://Example.COM:80/a/./b/../c#frag", "http://example.com/a/c"},
	{"https default port", "https://x.com:443", "https://x.com/"},
	{"http port on https kept", "https://x.com:80/", "https://x.com:80/"},
	{"non-default port kept", "http://x.com:8080", "http://x.com:8080/"},
	{"port leading zeros", "http://x.com:0080/", "http://x.com/"},
	{"empty port", "http://x.com:/p", "http://x.com/p"},
	{"tilde decoded", "http://x.com/%7euser", "http://x.com/~user"},
	{"unreserved decoded", "http://x.com/%41%2d%2E%5f%30?%7E=%61", "http://x.com/A-._0?~=a"},
	{"slash escape kept", "http://x.com/a%2fb", "http://x.com/a%2Fb"},
	{"reserved escapes uppercased", "http://x.com/%e2%82%ac?q=%3d%26", "http://x.com/%E2%82%AC?q=%3D%26"},
	{"lone percent escaped", "http://x.com/100%?d=5%z", "http://x.com/100%25?d=5%25z"},
	{"IDN host", "http://bücher.de/", "http://xn--bcher-kva.de/"},
	{"IDN host uppercase", "HTTP://BÜCHER.DE", "http://xn--bcher-kva.de/"},
	{"punycode host kept", "http://xn--bcher-kva.de/", "http://xn--bcher-kva.de/"},
	{"host escaped UTF-8 decoded", "http://b%C3%BCcher.de/", "http://xn--bcher-kva.de/"},
	{"IPv4 shorthand read as a browser does", "http://0x7F.1/", "http://127.0.0.1/"},
	{"IPv6 mapped IPv4", "http://[::FFFF:1.2.3.4]/", "http://[::ffff:1.2.3.4]/"},
	{"IPv6 compressed", "http://[0:0:0:0:0:0:0:1]:80/", "http://[::1]/"},
	{"trailing dot host kept", "http://x.com./", "http://x.com./"},
	{"underscore host", "http://my_host.example.com/", "http://my_host.example.com/"},
	{"empty path", "http://x.com", "http://x.com/"},
	{"trailing slash kept", "http://x.com/a/", "http://x.com/a/"},
	{"no slash added", "http://x.com/a", "http://x.com/a"},
	{"query order kept", "http://x.com/?b=2&a=1", "http://x.com/?b=2&a=1"},
	{"tracking kept", "http://x.com/?utm_source=x&a=1", "http://x.com/?utm_source=x&a=1"},
	{"empty query kept", "http://x.com/?", "http://x.com/?"},
	{"empty fragment dropped", "http://x.com/a#", "http://x.com/a"},
	{"escaped dot segments", "http://x.com/a/%2e%2E/b/.%2e/c", "http://x.com/c"},
	{"space escaped", "http://x.com/a b?c d", "http://x.com/a%20b?c%20d"},
	{"non-ASCII escaped", "http://x.com/é?é=é", "http://x.com/%C3%A9?%C3%A9=%C3%A9"},
	{"quotes and brackets", "http://x.com/\"<>`{}?\"<>'", "http://x.com/%22%3C%3E%60%7B%7D?%22%3C%3E'"},
	{"userinfo kept", "http://u%7e:p@x.com/", "http://u~:p@x.com/"},
	{"surrounding space", "  http://x.com/p \n", "http://x.com/p"},
	{"tab and newline removed", "http://x.com/a\t/b\nc", "http://x.com/a/bc"},
	{"backslashes", `http:\\x.com\a\b?c\d`, "http://x.com/a/b?c%5Cd"},
	{"lone percent in path", "http://x.com/100%/50%25", "http://x.com/100%25/50%25"},
	{"query escapes", "http://x.com/?a[]=1&b=|^{}\\", "http://x.com/?a[]=1&b=%7C%5E%7B%7D%5C"},
	{"escaped dot segment from decoding", "http://x.com/a/%2E/b/x%2e/%2e%2E", "http://x.com/a/b/"},
	{"double slash kept", "http://x.com//a//b/", "http://x.com//a//b/"},
	{"double slash before dot segment", "http://x.com//%2e%2e/a", "http://x.com/a"},
	{"scheme case", "HtTpS://x.com/", "https://x.com/"},

	{"empty", "", ""},
	{"relative", "/a/b", ""},
	{"scheme-relative", "//x.com/a", ""},
	{"javascript", "javascript:alert(1)", ""},
	{"mailto", "mailto:a@x.com", ""},
	{"tel", "tel:+123", ""},
	{"data", "data:text/html,hi", ""},
	{"ftp", "ftp://x.com/f", ""},
	{"file", "file:///etc/passwd", ""},
	{"no host", "http://", ""},
	{"space in host", "http://a b.com/", ""},
	{"port out of range", "http://x.com:65536/", ""},
	{"brace in host", "http://a{b}.com/", ""},
	{"backtick in host", "http://a`b.com/", ""},
	{"invalid IDN", "http://xn--a.com/", ""},
	{"host escapes of ASCII", "http://%65xample.com/", ""},
	{"host maps to a slash", "http://a\uFF0Fb.com/", ""},
	{"escaped percent in host", "http://a%25b.com/", ""},
	{"IPv6 zone", "http://[fe80::1%25en0]/", ""},
	{"bad IPv6", "http://[::g]/", ""},
	{"opaque http", "http:x.com", ""},
	{"too long", "http://x.com/" + strings.Repeat("a", MaxURLLength), ""},
}

func TestNormalize(t *testing.T) {
	for _, tt := range normalizeTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): %v, want %q", tt.in, err, tt.want)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Normalize(got)
			if err != nil || again != got {
				t.Fatalf("Normalize(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

// resolveTests is shared by TestResolve, FuzzResolve's seed corpus and
// BenchmarkResolve. want == "" means ok must be false.
var resolveTests = []struct {
	name, base, ref, want string
}{
	{"relative file", pageURL, "other.html", "https://www.example.com/dir/other.html"},
	{"three slashes are two", pageURL, "///evil.example/p", "https://evil.example/p"},
	{"backslashes are slashes", pageURL, "\\\\evil.example\\p", "https://evil.example/p"},
	{"scheme and three slashes", pageURL, "http:///evil.example/", "http://evil.example/"},
	{"own scheme without slashes is relative", pageURL, "https:foo", "https://www.example.com/dir/foo"},
	{"own scheme and a slash is a path", pageURL, "https:/foo", "https://www.example.com/foo"},
	{"own scheme alone is the page", pageURL, "https:", "https://www.example.com/dir/page.html"},
	{"other scheme without slashes is a host", pageURL, "http:other.example/x", "http://other.example/x"},
	{"hex IPv4", pageURL, "http://0x7f.1/", "http://127.0.0.1/"},
	{"decimal IPv4", pageURL, "http://2130706433/", "http://127.0.0.1/"},
	{"octal IPv4", pageURL, "http://0177.0.0.01/", "http://127.0.0.1/"},
	{"short IPv4", pageURL, "http://127.1/", "http://127.0.0.1/"},
	{"zero host", pageURL, "http://0/", "http://0.0.0.0/"},
	{"IPv4 with a trailing dot", pageURL, "http://10.0.0.1./a", "http://10.0.0.1/a"},
	{"IPv4 out of range", pageURL, "http://256.0.0.1/", ""},
	{"IPv4 too many parts", pageURL, "http://1.2.3.4.5/", ""},
	{"IPv4 bad octal", pageURL, "http://09.0.0.1/", ""},
	{"a name ending in a letter is no number", pageURL, "http://1.2.3.a/", "http://1.2.3.a/"},
	{"parent dir", pageURL, "../up.html", "https://www.example.com/up.html"},
	{"trimmed absolute path", pageURL, "  /p?q=1  ", "https://www.example.com/p?q=1"},
	{"scheme-relative", pageURL, "//host/p", "https://host/p"},
	{"query only", pageURL, "?x=1", "https://www.example.com/dir/page.html?x=1"},
	{"fragment only", pageURL, "#top", "https://www.example.com/dir/page.html"},
	{"empty", pageURL, "", "https://www.example.com/dir/page.html"},
	{"newlines and tabs inside", pageURL, "\n/a\n/b\tc\r\n", "https://www.example.com/a/bc"},
	{"absolute", pageURL, "HTTP://Example.COM:80/a/./b/../c#frag", "http://example.com/a/c"},
	{"other scheme-relative host case", pageURL, "//BÜCHER.de:443", "https://xn--bcher-kva.de/"},
	{"backslashes as browsers", pageURL, `\\evil.com\x`, "https://evil.com/x"},
	{"query replaced", "http://x.com/a/b?q=1#f", "?r=2", "http://x.com/a/b?r=2"},
	{"dot segments above root", "http://x.com/a", "../../../b", "http://x.com/b"},
	{"escapes normalized", pageURL, "/%7euser/%2f?a=%c3%a9", "https://www.example.com/~user/%2F?a=%C3%A9"},
	{"space escaped", pageURL, "a b.html", "https://www.example.com/dir/a%20b.html"},
	{"http base", "http://x.com/", "p", "http://x.com/p"},
	// What the WHATWG URL parser does and net/url alone does not.
	{"colon in a relative path", pageURL, "10:30-meeting", "https://www.example.com/dir/10:30-meeting"},
	{"colon after an underscore", pageURL, "my_page:1", "https://www.example.com/dir/my_page:1"},
	{"colon after a digit-first name", pageURL, "1a:b?q", "https://www.example.com/dir/1a:b?q"},
	{"leading colon", pageURL, ":x", "https://www.example.com/dir/:x"},
	{"colon after a slash is a path", pageURL, "a/b:c", "https://www.example.com/dir/a/b:c"},
	{"NUL escaped", pageURL, "/a\x00b", "https://www.example.com/a%00b"},
	{"DEL escaped", pageURL, "/a\x7fb?c\x7f", "https://www.example.com/a%7Fb?c%7F"},
	{"other controls escaped", pageURL, "/a\x01\x1fb", "https://www.example.com/a%01%1Fb"},
	{"empty userinfo dropped", pageURL, "http://@x.com/", "http://x.com/"},
	{"empty password dropped", pageURL, "https://a:@x.com/", "https://a@x.com/"},
	{"password kept", pageURL, "https://:p@x.com/", "https://:p@x.com/"},
	{"valid scheme with a plus", pageURL, "svn+ssh://x.com/", ""},

	{"javascript", pageURL, "javascript:void(0)", ""},
	{"javascript with spaces", pageURL, "  JavaScript:alert(1)", ""},
	{"javascript split by newline", pageURL, "java\nscript:alert(1)", ""},
	{"mailto", pageURL, "mailto:a@x.com", ""},
	{"tel", pageURL, "tel:+123", ""},
	{"data", pageURL, "data:text/html,<a>", ""},
	{"ftp", pageURL, "ftp://x.com/", ""},
	{"no host", pageURL, "http://", ""},
	{"bad host", pageURL, "http://a b/", ""},
	{"bad port", pageURL, "http://x.com:port/", ""},
	{"relative to non-http base", "ftp://x.com/a/", "b", ""},
}

const pageURL = "https://www.example.com/dir/page.html"

func TestResolve(t *testing.T) {
	for _, tt := range resolveTests {
		t.Run(tt.name, func(t *testing.T) {
			base, err := url.Parse(tt.base)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := Resolve(base, tt.ref)
			if tt.want == "" {
				if ok {
					t.Fatalf("Resolve(%q, %q) = %q, true; want false", tt.base, tt.ref, got)
				}
				return
			}
			if !ok || got != tt.want {
				t.Fatalf("Resolve(%q, %q) = %q, %v; want %q, true", tt.base, tt.ref, got, ok, tt.want)
			}
		})
	}
}

func TestResolveNilBase(t *testing.T) {
	if got, ok := Resolve(nil, "http://x.com/"); ok {
		t.Fatalf("Resolve(nil, ...) = %q, true; want false", got)
	}
}

func TestNormalizePercent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"no escapes", "no escapes"},
		{"%2F%C3%A9", "%2F%C3%A9"},
		{"%2f%c3%a9", "%2F%C3%A9"},
		{"%7e%7E%41%5f%2d%2e%30", "~~A_-.0"},
		{"%", "%25"},
		{"%4", "%254"},
		{"%4g", "%254g"},
		{"a%%41", "a%25A"},
		{"%2541", "%2541"},
	}
	for _, tt := range tests {
		if got := normalizePercent(tt.in); got != tt.want {
			t.Errorf("normalizePercent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
