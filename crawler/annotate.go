package crawler

import (
	"context"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/store"
)

// A crawl on a frontier.Annotator (crawl --state) keeps its own history:
// each record's Prior, with the generation that wrote it, is stored as
// the URL's annotation in the same atomic step as its completion (and the
// output's checkpoint), so that after kill -9 the history and the output
// agree. The lookups of generation N read what generation N-1 or earlier
// wrote: a URL is completed once per generation, and its annotation is
// replaced only then.
type annotated struct {
	a   frontier.Annotator
	gen int // the generation, read once: it does not change during a crawl
}

// newPriors returns where the crawl finds the previous generation:
// Config.Since, else the frontier's annotations; nil for neither.
func newPriors(cfg Config, fr frontier.Frontier) priors {
	if cfg.Since != nil {
		return cfg.Since
	}
	if a, ok := fr.(frontier.Annotator); ok {
		if _, ok := fr.(frontier.Batcher); ok {
			return annotated{a: a, gen: a.Generation()}
		}
	}
	return nil
}

func (a annotated) prior(ctx context.Context, key string) (*Prior, error) {
	v, err := a.a.Annotation(ctx, key)
	if err != nil || v == nil {
		return nil, err
	}
	return decodePrior(v)
}

func (a annotated) generation() int { return a.gen }

func (a annotated) sweep(ctx context.Context, fn func(string, *Prior)) error {
	gen := a.gen
	return a.a.Annotations(ctx, func(key string, v []byte) error {
		p, err := decodePrior(v)
		if err != nil {
			return err
		}
		if p.Generation < gen {
			fn(key, p)
		}
		return nil
	})
}

// maxAnnotation bounds an annotation, well under what frontier/disk
// stores (1 MiB).
const maxAnnotation = 512 << 10

// annotation is what the frontier keeps of a URL for the next generation:
// its Prior, encoded (prior_codec.go). A page with too many links to keep
// is kept without them, and without validators, so that the next
// generation fetches it in full.
func annotation(rec *store.Record) []byte {
	p := priorOf(rec)
	b := encodePrior(nil, p)
	if len(b) <= maxAnnotation {
		return b
	}
	p.Links, p.ETag, p.LastModified, p.Title = nil, "", "", ""
	return encodePrior(nil, p)
}
