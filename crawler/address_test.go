package crawler_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/crawl-dev/crawl/crawler"
)

// tableResolver resolves from a table.
type tableResolver map[string]string

func (r tableResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestAddressPolicy: a public site (a loopback server behind a public
// address the test's resolver and dialer give it) links and redirects to
// loopback, private, link-local and IPv4-mapped addresses and to a name
// that resolves to loopback; none of them is dialled, each is a record
// with error_kind private_address, and with AllowPrivate they are dialled.
func TestAddressPolicy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<a href="http://127.0.0.1:8080/admin">a</a> <a href="http://10.0.0.5/">b</a>
<a href="http://169.254.169.254/latest/meta-data/">c</a> <a href="http://[::1]/">d</a>
<a href="http://[::ffff:127.0.0.1]/">e</a> <a href="http://evil.test/">f</a> <a href="/redirect">g</a>`)
		case "/redirect":
			http.Redirect(w, r, "http://192.168.0.1/router", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	refused := []string{
		"http://127.0.0.1:8080/admin", "http://10.0.0.5/", "http://169.254.169.254/latest/meta-data/",
		"http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://evil.test/", "http://192.168.0.1/router",
	}
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow-private=%t", allow), func(t *testing.T) {
			var mu sync.Mutex
			var dialed []string
			cfg := testConfig()
			cfg.Seeds = []string{"http://public.test/"}
			cfg.Scope, cfg.MaxDepth, cfg.Retries = crawler.ScopeAll, 1, 0
			cfg.AllowPrivate = allow
			cfg.Resolver = tableResolver{"public.test": "198.51.100.7", "evil.test": "127.0.0.1"}
			cfg.Dial = func(ctx context.Context, network, address string) (net.Conn, error) {
				if address == "198.51.100.7:80" {
					return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
				}
				mu.Lock()
				dialed = append(dialed, address)
				mu.Unlock()
				return nil, fmt.Errorf("test: no route to %s", address)
			}
			res := runCrawl(t, cfg, "http://public.test")
			for _, u := range refused {
				r := res.records[u]
				switch {
				case r == nil:
					t.Errorf("%s: no record", u)
				case !allow && (r.ErrorKind != "private_address" || r.Status != 0 || r.Attempts != 0):
					t.Errorf("%s: status %d, attempts %d, error_kind %q (%s); want private_address, no request", u, r.Status, r.Attempts, r.ErrorKind, r.Error)
				case allow && r.ErrorKind == "private_address":
					t.Errorf("%s refused with AllowPrivate: %s", u, r.Error)
				}
			}
			if !allow && len(dialed) != 0 {
				t.Errorf("dialled %v", dialed)
			}
			if allow && len(dialed) == 0 {
				t.Errorf("nothing private dialled with AllowPrivate")
			}
			if r := res.records["http://public.test/redirect"]; r == nil || r.Status != http.StatusFound {
				t.Errorf("the redirect: %+v", r)
			}
		})
	}
}
