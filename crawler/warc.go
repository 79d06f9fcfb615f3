package crawler

import (
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/crawl-dev/crawl/store"
	"github.com/crawl-dev/crawl/store/warc"
)

// The WARC output (Config.WARC). Every request the crawler makes, robots.txt
// and retried attempts included, is captured by a captureTransport; the
// capture of a URL's final request travels in its Result, the others are
// handed to the record writer as results of their own (capture-only, no
// record). The record writer writes them all, so the WARC file is written
// by one goroutine in commit order: on a frontier.Batcher its end is in the
// checkpoint of every group commit, and a resumed crawl cuts it back there
// (warc.Resume), so no URL's records are in it twice. In a re-crawl
// (Config.Since, or a frontier's generations) a final response that
// repeats the previous crawl's is a revisit record instead (Result.revisit).

// writeWARC writes a result's captures when the crawl has a WARC output:
// before its record is rendered, which points at them.
func (c *Crawler) writeWARC(res *Result) error {
	if c.warc == nil {
		return nil
	}
	return c.writeCaptures(res)
}

// writeCaptures writes a result's captures to the WARC output, sets the
// position of its final response record, and releases the captures. An
// exchange that would not make a valid record is skipped with a warning;
// any other failure ends the crawl.
func (c *Crawler) writeCaptures(res *Result) error {
	defer c.releaseCaptures(res)
	for i, cp := range res.captures {
		if cp.err != nil {
			return fmt.Errorf("warc: spool payload of %s: %w", cp.target, cp.err)
		}
		payload, size, err := cp.payload.reader()
		if err != nil {
			return fmt.Errorf("warc: read spooled payload of %s: %w", cp.target, err)
		}
		ex := warc.Exchange{
			TargetURI: cp.target, Date: cp.date, IP: cp.ip,
			Request: cp.request, ResponseHeader: cp.header,
			Payload: payload, PayloadSize: size, Truncated: cp.truncated,
		}
		if i == len(res.captures)-1 && res.recorded() {
			res.revisit(&ex)
		}
		pos, err := c.warc.WriteExchange(ex)
		if errors.Is(err, warc.ErrInvalidExchange) {
			c.log.Warn("response left out of the WARC output", zap.String("url", cp.target), zap.Error(err))
			continue
		}
		if err != nil {
			return err
		}
		res.warcAt = &store.WARCRef{File: pos.File, Offset: pos.Offset}
	}
	return nil
}

// revisit makes the exchange of a result's final request a revisit
// record when the previous crawl archived the same response: a 304 to a
// conditional request (server-not-modified), or a 2xx whose body has the
// previous fingerprint (identical-payload-digest; only a payload captured
// whole, whose digest is then the whole payload's). It refers to the
// capture the previous record stood for, by its URL and date: the
// previous record's fetched_at, or its captured_at when it was itself
// unchanged, so that a run of unchanged nights refers to the last full
// capture, not to a revisit. Without a date (a history of records that
// have none) there is nothing to refer to, and the response is archived
// in full.
func (r *Result) revisit(ex *warc.Exchange) {
	p := r.prior
	if p == nil || p.captured().IsZero() || r.Response == nil {
		return
	}
	rv := &warc.Revisit{RefersToTargetURI: p.URL, RefersToDate: p.captured()}
	switch status := r.Response.Status; {
	case r.notModified:
		// A 304 has no body (RFC 9110 §15.4.5): a "length" truncation
		// only says the crawler did not read to its end.
		rv.Profile, ex.Truncated = warc.ProfileServerNotModified, ""
	case status >= 200 && status < 300 && ex.Truncated == "" && r.Fingerprint != "" && r.change() == ChangeUnchanged:
		rv.Profile = warc.ProfileIdenticalPayloadDigest
	default:
		return
	}
	ex.Revisit = rv
}

// releaseCaptures removes the spooled payloads of a result's captures.
func (c *Crawler) releaseCaptures(res *Result) {
	for _, cp := range res.captures {
		if err := cp.release(); err != nil {
			c.log.Warn("cannot remove a spooled WARC payload", zap.Error(err))
		}
	}
	res.captures = nil
}

// emitCapture hands the capture of a request that is not a URL's final
// one (robots.txt, a retried attempt) to the record writer. Called by
// workers while Run runs; when the writer has stopped, the capture is
// dropped.
func (c *Crawler) emitCapture(cp *capture) {
	res := &Result{captures: []*capture{cp}}
	select {
	case c.results <- res:
	case <-c.writerDone:
		c.releaseCaptures(res)
	}
}

// takeCapture moves the capture of a page request from its slot to res, or
// to the writer on its own when res is not final (retry is true).
func (c *Crawler) takeCapture(slot *captureSlot, res *Result, retry bool) {
	if slot == nil || slot.c == nil {
		return
	}
	cp := slot.c
	slot.c = nil
	if retry {
		c.emitCapture(cp)
		return
	}
	res.captures = append(res.captures, cp)
}
