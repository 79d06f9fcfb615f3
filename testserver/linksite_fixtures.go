package testserver

import (
	"net/http"
	"strconv"
	"strings"
)

// buildFixtures makes every URL of the site and its off-site hosts, keyed
// by host+path, with how it is served and what a crawl must record.
func (s *LinkSite) buildFixtures() map[string]linkFixture {
	host := func(base string) string { return strings.TrimPrefix(base, "http://") }
	site, a, b, dead := host(s.site), host(s.offsite[0]), host(s.offsite[1]), host(s.dead)
	fx := make(map[string]linkFixture)
	add := func(h, path string, f linkFixture) { fx[h+path] = f }

	for _, p := range []string{"/", "/a", "/b"} {
		add(site, p, linkFixture{serve: s.page(p), want: fixed(LinkOutcome{Status: 200, Methods: []string{"GET"}})})
	}
	add(site, "/missing", linkFixture{serve: status(404), want: fixed(LinkOutcome{Status: 404, ErrorKind: "http_4xx", Verdict: LinkBroken, Methods: []string{"GET"}})})
	add(site, "/deep", linkFixture{serve: okPage, want: checked(200, "", LinkOK, "HEAD")})
	add(site, "/deep-missing", linkFixture{serve: status(404), want: checked(404, "http_4xx", LinkBroken, "HEAD", "GET")})
	add(site, "/excluded/x", linkFixture{serve: status(404), want: checked(404, "http_4xx", LinkBroken, "HEAD", "GET")})

	add(a, "/ok", linkFixture{serve: okPage, want: checked(200, "", LinkOK, "HEAD")})
	add(a, "/gone", linkFixture{serve: status(404), want: checked(404, "http_4xx", LinkBroken, "HEAD", "GET")})
	add(a, "/removed", linkFixture{serve: status(410), want: checked(410, "http_4xx", LinkBroken, "HEAD", "GET")})
	add(a, "/error", linkFixture{serve: status(500), want: func(retries int) LinkOutcome {
		// The HEAD counts as the first attempt; the GET is retried
		// until the attempts pass the retries.
		methods := []string{"HEAD", "GET"}
		for len(methods) < retries+1 {
			methods = append(methods, "GET")
		}
		return LinkOutcome{Status: 500, ErrorKind: "http_5xx", Verdict: LinkBroken, Methods: methods, Check: true}
	}})
	add(a, "/moved", linkFixture{serve: redirect(301, "/ok"), want: checked(301, "", LinkOK, "HEAD")})
	add(a, "/moved-gone", linkFixture{serve: redirect(302, "/gone"), want: checked(302, "", LinkBroken, "HEAD")})
	add(a, "/forbidden", linkFixture{serve: status(403), want: checked(403, "blocked", LinkBlocked, "HEAD", "GET")})
	add(a, "/busy", linkFixture{serve: busy(-1), want: func(retries int) LinkOutcome {
		methods := make([]string, retries+1)
		for i := range methods {
			methods[i] = "HEAD"
		}
		return LinkOutcome{Status: 429, ErrorKind: "blocked", Verdict: LinkBlocked, Methods: methods, Check: true}
	}})
	add(a, "/busy-once", linkFixture{serve: busy(1), want: func(retries int) LinkOutcome {
		if retries == 0 {
			return LinkOutcome{Status: 429, ErrorKind: "blocked", Verdict: LinkBlocked, Methods: []string{"HEAD"}, Check: true}
		}
		return LinkOutcome{Status: 200, Methods: []string{"HEAD", "HEAD"}, Check: true}
	}})
	add(a, "/maintenance", linkFixture{serve: headUnavailable, want: checked(200, "", LinkOK, "HEAD", "GET")})
	add(a, "/no-head", linkFixture{serve: refuseHead(405), want: checked(200, "", LinkOK, "HEAD", "GET")})
	add(a, "/no-head-501", linkFixture{serve: refuseHead(501), want: checked(200, "", LinkOK, "HEAD", "GET")})
	add(a, "/head-404", linkFixture{serve: refuseHead(404), want: checked(200, "", LinkOK, "HEAD", "GET")})

	add(b, "/robots.txt", linkFixture{serve: text("User-agent: *\nDisallow: /private/\n")})
	add(b, "/private/page", linkFixture{serve: okPage, want: checked(0, "robots_disallowed", LinkBlocked)})
	add(b, "/fine", linkFixture{serve: okPage, want: checked(200, "", LinkOK, "HEAD")})
	add(b, "/moved-away", linkFixture{serve: redirect(301, s.offsite[0]+"/ok"), want: checked(301, "", LinkOK, "HEAD")})

	add(dead, "/", linkFixture{want: checked(0, "connection_refused", LinkBroken)})
	return fx
}

// fixed is an outcome that does not depend on the retries.
func fixed(o LinkOutcome) func(int) LinkOutcome {
	return func(int) LinkOutcome { return o }
}

// checked is the outcome of a link check.
func checked(status int, kind string, v LinkVerdict, methods ...string) func(int) LinkOutcome {
	return fixed(LinkOutcome{Status: status, ErrorKind: kind, Verdict: v, Methods: methods, Check: true})
}

// okPage is an HTML page with a link that no link check may follow.
func okPage(w http.ResponseWriter, _ *http.Request, _ int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(`<!doctype html><title>ok</title><a href="/never">never follow this</a>` + "\n"))
}

func status(code int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(code)
		w.Write([]byte(`<!doctype html><title>` + strconv.Itoa(code) + `</title><a href="/never">never</a>` + "\n"))
	}
}

func text(body string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(body))
	}
}

func redirect(code int, location string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Location", location)
		w.WriteHeader(code)
	}
}

// busy answers 429 with Retry-After to the first n requests (all when n
// is negative), then serves a page.
func busy(n int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, i int) {
		if n < 0 || i < n {
			w.Header().Set("Retry-After", strconv.Itoa(LinkRetryAfter))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		okPage(w, r, i)
	}
}

// headUnavailable answers HEAD with 503 and Retry-After, GET with a page:
// the GET must wait for the Retry-After.
func headUnavailable(w http.ResponseWriter, r *http.Request, i int) {
	if r.Method == http.MethodHead {
		w.Header().Set("Retry-After", strconv.Itoa(LinkRetryAfter))
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	okPage(w, r, i)
}

// refuseHead answers HEAD with code and GET with a page.
func refuseHead(code int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, i int) {
		if r.Method == http.MethodHead {
			if code == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", "GET")
			}
			w.WriteHeader(code)
			return
		}
		okPage(w, r, i)
	}
}
