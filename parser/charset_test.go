package parser

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16Bytes encodes s as UTF-16 with a byte order mark.
func utf16Bytes(s string, bigEndian bool) []byte {
	units := append([]uint16{0xFEFF}, utf16.Encode([]rune(s))...)
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func TestCharset(t *testing.T) {
	// "日本語" in Shift_JIS.
	const sjis = "\x93\xfa\x96\x7b\x8c\xea"
	padding := "<!--" + strings.Repeat("x", 1100) + "-->"
	tests := []struct {
		name        string
		body        string
		contentType string
		wantCharset string
		wantTitle   string
	}{
		{"shift_jis header", "<title>" + sjis + "</title>", "text/html; charset=Shift_JIS", "shift_jis", "日本語"},
		{"shift_jis meta charset", `<meta charset="shift_jis"><title>` + sjis + "</title>", "text/html", "shift_jis", "日本語"},
		{"shift_jis meta http-equiv", `<meta http-equiv="Content-Type" content="text/html; charset=sjis"><title>` + sjis + "</title>", "", "shift_jis", "日本語"},
		{"iso-8859-1 header", "<title>caf\xe9 \xa9</title>", "text/html; charset=ISO-8859-1", "windows-1252", "café ©"},
		{"iso-8859-1 meta", "<meta charset=\"iso-8859-1\"><title>na\xefve</title>", "", "windows-1252", "naïve"},
		{"windows-1252 header", "<title>\x93quoted\x94 \x80</title>", `text/html; charset="windows-1252"`, "windows-1252", "“quoted” €"},
		{"windows-1252 meta http-equiv", "<meta http-equiv=content-type content='text/html;charset=cp1252'><title>\x85</title>", "", "windows-1252", "…"},
		{"default windows-1252", "<title>caf\xe9</title>", "text/html", "windows-1252", "café"},
		{"ascii", "<title>plain</title>", "", "windows-1252", "plain"},
		{"utf-8 sniffed", "<title>café</title>", "", "utf-8", "café"},
		{"utf-8 header", "<title>日本語</title>", "text/html; charset=UTF-8", "utf-8", "日本語"},
		{"header beats meta", `<meta charset="shift_jis"><title>café</title>`, "text/html; charset=utf-8", "utf-8", "café"},
		{"bom beats header", "\xef\xbb\xbf<title>café</title>", "text/html; charset=windows-1252", "utf-8", "café"},
		{"utf-16le bom", string(utf16Bytes("<title>日本語</title>", false)), "", "utf-16le", "日本語"},
		{"utf-16be bom", string(utf16Bytes("<title>café</title>", true)), "text/html; charset=iso-8859-1", "utf-16be", "café"},
		{"meta utf-16 means utf-8", `<meta charset="utf-16"><title>café</title>`, "", "utf-8", "café"},
		{"unknown header charset ignored", "<title>caf\xe9</title>", "text/html; charset=bogus", "windows-1252", "café"},
		{"utf-8 past the first 1024 bytes", padding + "<title>café</title>", "", "utf-8", "café"},
		{"invalid utf-8 replaced", "<title>a\xffb</title>", "text/html; charset=utf-8", "utf-8", "a\uFFFDb"},
	}
	page := mustURL(t, goldenPageURL)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.body), tt.contentType, page, nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Charset != tt.wantCharset || p.Title != tt.wantTitle {
				t.Errorf("Parse(%q, %q): Charset, Title = %q, %q; want %q, %q",
					tt.body, tt.contentType, p.Charset, p.Title, tt.wantCharset, tt.wantTitle)
			}
		})
	}
}

// TestCharsetLinks checks that hrefs are decoded with the page's encoding
// before they are resolved: the path is percent-encoded as UTF-8.
func TestCharsetLinks(t *testing.T) {
	body := "<a href=\"/caf\xe9\">x</a>"
	p, err := Parse([]byte(body), "text/html; charset=iso-8859-1", mustURL(t, "http://x.com/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://x.com/caf%C3%A9"; len(p.Links) != 1 || p.Links[0] != want {
		t.Errorf("Links = %q, want [%q]", p.Links, want)
	}
}
