package crawler

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	const text = "<html><title>t</title></html>"
	var gz, zl, raw bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	lw := zlib.NewWriter(&zl)
	lw.Write([]byte(text))
	lw.Close()
	fw, _ := flate.NewWriter(&raw, flate.DefaultCompression)
	fw.Write([]byte(text))
	fw.Close()
	tests := []struct {
		name, enc string
		body      []byte
		want      string // "" with wantErr
		wantErr   bool
	}{
		{"identity", "", []byte(text), text, false},
		{"identity named", "Identity", []byte(text), text, false},
		{"gzip", "gzip", gz.Bytes(), text, false},
		{"x-gzip", "x-gzip", gz.Bytes(), text, false},
		{"deflate zlib", "deflate", zl.Bytes(), text, false},
		{"deflate raw", "deflate", raw.Bytes(), text, false},
		{"empty gzip body", "gzip", nil, "", false},
		{"not gzip", "gzip", []byte("plain text"), "", true},
		{"br", "br", []byte("xx"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := decode(bytes.NewReader(tt.body), tt.enc)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(r)
			}
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Errorf("decode(%s) = %q, %v; want %q, error %v", tt.name, got, err, tt.want, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}
