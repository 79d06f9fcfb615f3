package testserver

// Change labels of ExpectChanges.
const (
	ChangeNew       = "new"
	ChangeChanged   = "changed"
	ChangeUnchanged = "unchanged"
	ChangeMoved     = "moved"
	ChangeGone      = "gone"
)

// ExpectChanges labels what happened to each URL between two crawls of a
// site, typically the same Crawl of two generations (Config.Generation) of
// one Config. It maps every path of prev.Records and cur.Records to one of
// ChangeNew, ChangeChanged, ChangeUnchanged, ChangeMoved and ChangeGone by
// the first of these rules that applies:
//
//  1. in cur, not in prev: "new"
//  2. in prev, not in cur: "gone" (no longer reachable within the depth)
//  3. cur.Status is 404 or 410: "unchanged" when prev.Status is the same,
//     "gone" otherwise
//  4. cur is a redirect (Redirect != ""): "unchanged" when prev was a
//     redirect to the same Redirect, "moved" otherwise
//  5. Status or Err differ: "changed"
//  6. a 2xx whose Revision, Title or ContentType differ: "changed"
//  7. otherwise: "unchanged"
//
// Depth is not compared: a URL found at another depth is the same
// resource. A crawler re-crawling a site applies the same rules to what it
// fetches, with its body fingerprint standing in for Revision (a 304 says
// "unchanged").
func ExpectChanges(prev, cur Expectation) map[string]string {
	out := make(map[string]string, max(len(prev.Records), len(cur.Records)))
	for p, c := range cur.Records {
		pr, ok := prev.Records[p]
		if !ok {
			out[p] = ChangeNew
			continue
		}
		out[p] = change(pr, c)
	}
	for p := range prev.Records {
		if _, ok := cur.Records[p]; !ok {
			out[p] = ChangeGone
		}
	}
	return out
}

// change applies rules 3 to 7 of ExpectChanges to a URL recorded in both
// crawls.
func change(prev, cur Outcome) string {
	switch {
	case cur.Status == 404 || cur.Status == 410:
		if prev.Status == cur.Status {
			return ChangeUnchanged
		}
		return ChangeGone
	case cur.Redirect != "":
		if prev.Redirect == cur.Redirect {
			return ChangeUnchanged
		}
		return ChangeMoved
	case cur.Status != prev.Status || cur.Err != prev.Err:
		return ChangeChanged
	case cur.Status >= 200 && cur.Status < 300 &&
		(cur.Revision != prev.Revision || cur.Title != prev.Title || cur.ContentType != prev.ContentType):
		return ChangeChanged
	}
	return ChangeUnchanged
}
