package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// encoder turns records into JSON lines with encoding/json: HTML escaping
// off, invalid UTF-8 replaced by U+FFFD, nil Links written as [], FetchedAt
// in UTC. It reuses one buffer; not safe for concurrent use.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// line encodes r as one JSON object followed by a newline. The slice is
// valid until the next call. On error nothing of r is usable.
func (e *encoder) line(r *Record) ([]byte, error) {
	if math.IsNaN(r.DurationMS) || math.IsInf(r.DurationMS, 0) {
		return nil, fmt.Errorf("duration_ms: unsupported value %v", r.DurationMS)
	}
	c := *r
	if c.Links == nil {
		c.Links = []string{}
	}
	c.FetchedAt = c.FetchedAt.UTC()
	if y := c.FetchedAt.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("fetched_at: year %d outside 0-9999", y)
	}
	if c.CapturedAt != nil {
		at := c.CapturedAt.UTC()
		if y := at.Year(); y < 0 || y > 9999 {
			return nil, fmt.Errorf("captured_at: year %d outside 0-9999", y)
		}
		c.CapturedAt = &at
	}
	if e.buf.Cap() > maxScratch {
		// One huge record must not pin its buffer.
		e.buf = bytes.Buffer{}
	}
	e.buf.Reset()
	if err := e.enc.Encode(&c); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}
