package testserver

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// streamChunk is how much a streaming fixture writes at a time.
const streamChunk = 32 << 10

// serveFixture serves a hostile fixture. hits is the number of requests
// for the fixture's path so far, this one included (0 for generated
// pages). It starts no goroutines, and returns when the response is done,
// a Write fails (the client went away) or the request's context ends.
func (s *Site) serveFixture(w http.ResponseWriter, r *http.Request, f *fixture, hits int64) {
	ctx := r.Context()
	if f.delay > 0 && !sleep(ctx, f.delay) {
		return
	}
	h := w.Header()
	if f.failFirst > 0 && hits <= f.failFirst {
		h["Content-Type"] = htmlType
		s.retryAfter(h, f.retryAfter)
		writeStatic(w, r, f.failStatus, f.failBody)
		return
	}
	switch f.act {
	case actNever:
		<-ctx.Done()
		return
	case actDrip:
		h["Content-Type"] = f.ctype
		w.WriteHeader(f.status)
		if r.Method != http.MethodHead {
			drip(ctx, w, f.body, s.hostile.cfg.Drip)
		}
		return
	case actEndless, actSized:
		h["Content-Type"] = f.ctype
		if f.size >= 0 {
			h["Content-Length"] = []string{strconv.FormatInt(f.size, 10)}
		}
		w.WriteHeader(f.status)
		if r.Method != http.MethodHead {
			stream(ctx, w, f.body, f.size)
		}
		return
	case actBomb:
		bomb, err := s.hostile.bomb()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		h["Content-Type"] = f.ctype
		h["Content-Encoding"] = []string{f.encoding}
		h["Vary"] = []string{"Accept-Encoding"}
		writeStatic(w, r, f.status, bomb)
		return
	case actSession:
		h["Content-Type"] = f.ctype
		writeStatic(w, r, f.status, sessionPage(f, f.views.Add(1)))
		return
	}
	// Set even when nil: a nil Content-Type stops net/http from sniffing
	// one, so that the response really has none.
	h["Content-Type"] = f.ctype
	if f.location != "" {
		h["Location"] = []string{f.location}
	}
	if f.ctype != nil && !isHTMLType(f.ctype[0]) {
		h["X-Content-Type-Options"] = nosniff
	}
	if f.status >= 300 {
		s.retryAfter(h, f.retryAfter)
	}
	writeStatic(w, r, f.status, f.body)
}

// retryAfter sets the Retry-After header of style: the configured wait in
// seconds, or as an HTTP-date at least that far ahead.
func (s *Site) retryAfter(h http.Header, style retryStyle) {
	d := s.hostile.cfg.RetryAfter
	switch style {
	case retrySeconds:
		h["Retry-After"] = []string{strconv.FormatInt(int64(d/time.Second), 10)}
	case retryDate:
		h["Retry-After"] = []string{retryDateValue(time.Now(), d)}
	}
}

// retryDateValue is an HTTP-date no earlier than now+d: HTTP-dates have
// whole seconds, so the time is rounded up.
func retryDateValue(now time.Time, d time.Duration) string {
	t := now.Add(d)
	if r := t.Truncate(time.Second); !r.Equal(t) {
		t = r.Add(time.Second)
	}
	return t.UTC().Format(http.TimeFormat)
}

// writeStatic writes a complete response with Content-Length. Statuses that
// forbid a body get none.
func writeStatic(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	noBody := status == http.StatusNoContent || status == http.StatusNotModified || status < 200
	if !noBody {
		w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(status)
	if noBody || r.Method == http.MethodHead || len(body) == 0 {
		return
	}
	if _, err := w.Write(body); err != nil {
		return // the client went away
	}
}

// drip writes one byte of head, then of an endless filler, every interval
// after the first, flushing each, until a write fails or ctx ends.
func drip(ctx context.Context, w http.ResponseWriter, head []byte, interval time.Duration) {
	rc := http.NewResponseController(w)
	filler := []byte("drip ")
	var one [1]byte
	for i := 0; ; i++ {
		if i < len(head) {
			one[0] = head[i]
		} else {
			one[0] = filler[(i-len(head))%len(filler)]
		}
		if _, err := w.Write(one[:]); err != nil {
			return
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return
		}
		if !sleep(ctx, interval) {
			return
		}
	}
}

// fillerChunk is the repeated part of streamed HTML bodies.
func fillerChunk() []byte {
	const p = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n"
	return bytes.Repeat([]byte(p), streamChunk/len(p))
}

// stream writes head and then filler up to size bytes in all (forever when
// size < 0), until a write fails or ctx ends. The body is never held
// whole: one chunk is written again and again.
func stream(ctx context.Context, w http.ResponseWriter, head []byte, size int64) {
	left := size
	write := func(p []byte) bool {
		if size >= 0 {
			if left <= 0 {
				return false
			}
			p = p[:min(int64(len(p)), left)]
			left -= int64(len(p))
		}
		_, err := w.Write(p)
		return err == nil && ctx.Err() == nil
	}
	if len(head) > 0 && !write(head) {
		return
	}
	chunk := fillerChunk()
	for write(chunk) {
	}
}

func isHTMLType(ct string) bool {
	mt := mediaTypeOf([]string{ct})
	return mt == "text/html" || mt == "application/xhtml+xml"
}
