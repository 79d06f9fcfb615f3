package warc

import (
	"errors"
	"fmt"
	"time"
)

// The WARC 1.1 revisit profiles (WARC 1.1 §6.7.2, Annex C) a Revisit can
// name.
const (
	// ProfileServerNotModified: the server answered a conditional request
	// with 304 Not Modified. The block is that response's header.
	ProfileServerNotModified = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
	// ProfileIdenticalPayloadDigest: the response's payload is the one
	// already archived, by its digest. The block is the response's header;
	// WARC-Payload-Digest is of the payload left out.
	ProfileIdenticalPayloadDigest = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
)

// Revisit makes an Exchange's response a revisit record: the response
// repeats one archived earlier (by a previous crawl), which is not
// archived again.
//
// The record is a WARC/1.1 revisit record with WARC-Profile,
// WARC-Refers-To-Target-URI and WARC-Refers-To-Date, Content-Type
// application/http;msgtype=response, and as block ResponseHeader alone:
// the payload is left out. With ProfileIdenticalPayloadDigest, Payload is
// read once, to compute WARC-Payload-Digest, and must be the whole payload
// (Truncated ""). With ProfileServerNotModified, Payload (a 304 has none)
// is not read and the record has no WARC-Payload-Digest: there is no
// payload it could be the digest of. Neither writes WARC-Truncated: the
// profile itself says the payload is left out, and WARC-Truncated would
// say instead that the block was cut short by a limit (length, time,
// disconnect), which it was not.
type Revisit struct {
	// Profile is ProfileServerNotModified or ProfileIdenticalPayloadDigest.
	Profile string
	// RefersToTargetURI is the WARC-Target-URI of the record revisited:
	// as TargetURI, a URL the WHATWG parser takes.
	RefersToTargetURI string
	// RefersToDate is the WARC-Date of the record revisited (when the
	// previous crawl fetched it); it must be set (years 1-9999).
	RefersToDate time.Time
}

// checkRevisit rejects a Revisit that would not make a valid record.
func checkRevisit(ex *Exchange) error {
	rv := ex.Revisit
	switch rv.Profile {
	case ProfileServerNotModified, ProfileIdenticalPayloadDigest:
	default:
		return fmt.Errorf("Revisit: unknown Profile %q", rv.Profile)
	}
	if err := checkURI(rv.RefersToTargetURI); err != nil {
		return fmt.Errorf("Revisit: RefersToTargetURI %w", err)
	}
	if y := rv.RefersToDate.Year(); rv.RefersToDate.IsZero() || y < 1 || y > 9999 {
		return fmt.Errorf("Revisit: bad RefersToDate %v", rv.RefersToDate)
	}
	if ex.Truncated != "" {
		return errors.New("Revisit with Truncated: a revisit leaves the payload out whole")
	}
	return nil
}
