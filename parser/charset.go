package parser

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// utf8BOM is the byte order mark that starts some UTF-8 documents.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeUTF8 returns body as UTF-8 text together with the name of the
// encoding it was decoded from.
//
// The encoding is chosen by charset.DetermineEncoding, which follows the HTML
// encoding sniffing algorithm: a byte order mark, then the Content-Type
// charset parameter, then <meta charset> or <meta http-equiv> in the first
// 1024 bytes, then UTF-8 if those bytes are valid UTF-8 with non-ASCII in
// them, else windows-1252. One refinement: when it falls back to windows-1252
// without certainty and the whole body is valid UTF-8, the body is taken as
// UTF-8 (pages whose first non-ASCII byte comes after the first 1024 bytes;
// windows-1252 text that is also valid UTF-8 beyond ASCII is vanishingly
// rare).
//
// UTF-8 bodies are returned without copying (a leading BOM sliced off);
// invalid UTF-8 in them stays as it is, so callers must make text they keep
// valid (strings.ToValidUTF8). Every other encoding is decoded into a new
// buffer, invalid input becoming U+FFFD.
func decodeUTF8(body []byte, contentType string) ([]byte, string, error) {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if name == "windows-1252" {
		switch {
		case isASCII(body):
			return body, name, nil // ASCII reads the same in windows-1252
		case !certain && utf8.Valid(body):
			name = "utf-8"
		}
	}
	if name == "utf-8" {
		return bytes.TrimPrefix(body, utf8BOM), name, nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, name, fmt.Errorf("decode %s: %w", name, err)
	}
	// A UTF-16 byte order mark decodes to U+FEFF; drop it as for UTF-8.
	return bytes.TrimPrefix(out, utf8BOM), name, nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
