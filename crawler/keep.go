package crawler

import (
	"fmt"
	"mime"
	"path"
	"strings"
)

// keepRules are --accept and --reject: which responses other than HTML
// pages are fetched and saved. An entry starting with '.' is a file name
// extension ("pdf" is not one: ".pdf"), matched case-insensitively against
// the URL path's last segment; an entry with a '/' is a media type, with
// "type/*" for any subtype. With accept rules, a response is kept when one
// matches; a reject rule that matches always wins. HTML pages are fetched
// for their links whatever the rules, and saved only when they are kept.
type keepRules struct {
	accept, reject rules
}

type rules struct {
	exts  []string // ".pdf", lower case
	types []string // "application/pdf", "image/*"
}

// parseKeepRules checks and compiles the entries of Config.Accept and
// Config.Reject; each may hold comma-separated lists.
func parseKeepRules(accept, reject []string) (*keepRules, error) {
	k := &keepRules{}
	for _, l := range []struct {
		flag    string
		entries []string
		into    *rules
	}{{"accept", accept, &k.accept}, {"reject", reject, &k.reject}} {
		for _, list := range l.entries {
			for e := range strings.SplitSeq(list, ",") {
				e = strings.ToLower(strings.TrimSpace(e))
				switch {
				case e == "":
				case strings.HasPrefix(e, ".") && len(e) > 1 && !strings.ContainsAny(e, "/*"):
					l.into.exts = append(l.into.exts, e)
				case strings.Count(e, "/") == 1 && !strings.HasPrefix(e, "."):
					if _, _, err := mime.ParseMediaType(strings.Replace(e, "/*", "/x", 1)); err != nil || strings.HasPrefix(e, "*") {
						return nil, fmt.Errorf("%s %q: not a media type", l.flag, e)
					}
					l.into.types = append(l.into.types, e)
				default:
					return nil, fmt.Errorf("%s %q: want a media type (application/pdf, image/*) or an extension (.pdf)", l.flag, e)
				}
			}
		}
	}
	return k, nil
}

// any reports whether there is a rule at all.
func (k *keepRules) any() bool {
	return len(k.accept.exts)+len(k.accept.types)+len(k.reject.exts)+len(k.reject.types) > 0
}

// keeps reports whether a response of mediaType for urlPath is kept.
func (k *keepRules) keeps(mediaType, urlPath string) bool {
	ext := strings.ToLower(path.Ext(urlPath))
	if k.reject.match(mediaType, ext) {
		return false
	}
	if len(k.accept.exts)+len(k.accept.types) == 0 {
		return true
	}
	return k.accept.match(mediaType, ext)
}

// skipsLink reports whether a link need not be fetched at all: its
// extension is not a page's, and the rules decide by extension alone that
// its body would not be kept (rejected, or accept rules that are all
// extensions and none matches).
func (k *keepRules) skipsLink(urlPath string) bool {
	ext := strings.ToLower(path.Ext(urlPath))
	if ext == "" || pageExts[ext] {
		return false
	}
	if k.reject.matchExt(ext) {
		return true
	}
	return len(k.accept.exts) > 0 && len(k.accept.types) == 0 && !k.accept.matchExt(ext)
}

// pageExts are extensions of URLs that are usually HTML pages, fetched for
// their links whatever the rules.
var pageExts = map[string]bool{
	".html": true, ".htm": true, ".xhtml": true, ".shtml": true, ".php": true,
	".asp": true, ".aspx": true, ".jsp": true, ".cgi": true, ".pl": true,
}

func (r rules) match(mediaType, ext string) bool {
	if ext != "" && r.matchExt(ext) {
		return true
	}
	for _, t := range r.types {
		if t == mediaType || (strings.HasSuffix(t, "/*") && strings.HasPrefix(mediaType, t[:len(t)-1])) {
			return true
		}
	}
	return false
}

func (r rules) matchExt(ext string) bool {
	for _, e := range r.exts {
		if e == ext {
			return true
		}
	}
	return false
}
