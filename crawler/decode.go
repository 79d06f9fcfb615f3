package crawler

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// acceptEncoding is what the crawler asks for. It decodes responses
// itself, rather than letting the transport do it, so that what went over
// the wire can be kept as it was (WARC records keep Content-Encoding) and
// MaxBody applies to the decoded bytes.
const acceptEncoding = "gzip, deflate"

// setAcceptEncoding asks for the encodings decode undoes.
func setAcceptEncoding(h http.Header) { h.Set("Accept-Encoding", acceptEncoding) }

// decode returns a reader of body with its Content-Encoding undone: gzip
// (x-gzip), deflate (zlib-wrapped as RFC 9110 says, or raw, as some servers
// send it) or identity. An empty body is empty whatever its encoding (a
// 204, or a HEAD-like answer). Other encodings, which the crawler never
// asks for, are an error.
func decode(body io.Reader, contentEncoding string) (io.Reader, error) {
	enc := strings.ToLower(strings.TrimSpace(contentEncoding))
	if enc == "" || enc == "identity" {
		return body, nil
	}
	br := bufio.NewReaderSize(body, 512)
	head, err := br.Peek(2)
	if len(head) == 0 {
		if err == io.EOF {
			return br, nil
		}
		return nil, err
	}
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case "deflate":
		if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("deflate: %w", err)
			}
			return zr, nil
		}
		return flate.NewReader(br), nil
	}
	return nil, fmt.Errorf("unsupported content-encoding %q", truncate(contentEncoding, 40))
}
