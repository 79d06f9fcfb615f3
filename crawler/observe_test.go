package crawler

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-dev/crawl/store"
)

func TestClassifyError(t *testing.T) {
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		name string
		err  error
		want ErrorKind
	}{
		{"nil", nil, KindNone},
		{"fetch timeout", fetchError(context.DeadlineExceeded, time.Second), KindTimeout},
		{"body timeout", fmt.Errorf("read body: %w", fetchError(context.DeadlineExceeded, time.Second)), KindTimeout},
		{"deadline", context.DeadlineExceeded, KindTimeout},
		{"net timeout", &net.OpError{Op: "read", Err: timeoutErr{}}, KindTimeout},
		{"dns", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}}, KindDNS},
		{"refused", opErr(syscall.ECONNREFUSED), KindConnRefused},
		{"reset", opErr(syscall.ECONNRESET), KindConnReset},
		{"unexpected eof", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), KindConnReset},
		{"eof", io.EOF, KindConnReset},
		{"closed idle", errors.New("http: server closed idle connection"), KindConnReset},
		{"broken", errors.New("net/http: HTTP/1.x transport connection broken: write: broken pipe"), KindConnReset},
		{"unknown authority", x509.UnknownAuthorityError{}, KindTLS},
		{"hostname", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "a"}, KindTLS},
		{"record header", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, KindTLS},
		{"alert", fmt.Errorf("remote error: %w", tls.AlertError(40)), KindTLS},
		{"robots unavailable", fmt.Errorf("%w: http status 503", errRobotsUnavailable), KindRobotsUnavailable},
		{"robots timeout", fmt.Errorf("%w: %w", errRobotsUnavailable, fetchError(context.DeadlineExceeded, time.Second)), KindRobotsUnavailable},
		{"other", errors.New("request: bad"), KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyError(tt.err); got != tt.want {
				t.Errorf("classifyError(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestTimeoutMessage checks that marking timeouts did not change the
// message records carry.
func TestTimeoutMessage(t *testing.T) {
	if got, want := fetchError(context.DeadlineExceeded, 30*time.Second).Error(), "timeout after 30s"; got != want {
		t.Errorf("fetchError(deadline) = %q, want %q", got, want)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestClassifyWrapped checks that the crawler's wrapping of request errors
// keeps their kind.
func TestClassifyWrapped(t *testing.T) {
	tests := []struct {
		err  error
		want ErrorKind
	}{
		{fmt.Errorf("read body: %w", fetchError(context.DeadlineExceeded, time.Second)), KindTimeout},
		{fmt.Errorf("%w: http status 500", errRobotsUnavailable), KindRobotsUnavailable},
		{fmt.Errorf("%w: %w", errRobotsUnavailable, fetchError(context.DeadlineExceeded, time.Second)), KindRobotsUnavailable},
		{errors.New("something else"), KindOther},
	}
	for _, tt := range tests {
		if got := classifyError(tt.err); got != tt.want {
			t.Errorf("classifyError(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestErrorKindNames(t *testing.T) {
	seen := map[string]bool{}
	for k := range NumErrorKinds {
		name := k.String()
		if seen[name] {
			t.Errorf("kind %d: name %q used twice", k, name)
		}
		seen[name] = true
		if got, ok := ParseErrorKind(name); !ok || got != k {
			t.Errorf("ParseErrorKind(%q) = %v, %v, want %v, true", name, got, ok, k)
		}
	}
	if k, ok := ParseErrorKind("bogus"); ok || k != KindOther {
		t.Errorf("ParseErrorKind(bogus) = %v, %v, want other, false", k, ok)
	}
	if got := ErrorKind(200).String(); got != "other" {
		t.Errorf("ErrorKind(200).String() = %q, want other", got)
	}
	for r := range NumWaitReasons {
		if r.String() == "unknown" {
			t.Errorf("WaitReason %d has no name", r)
		}
	}
}

func TestHostSet(t *testing.T) {
	var s hostSet
	if !s.add("a") || s.add("a") {
		t.Fatal("add(a) twice: want true then false")
	}
	for i := range maxWarnedHosts {
		s.add(fmt.Sprint(i))
	}
	if s.add("one too many") {
		t.Errorf("add past %d hosts: want false", maxWarnedHosts)
	}
}

func TestEpisodes(t *testing.T) {
	var e episodes
	e.end("a") // no episode: a no-op
	var got []bool
	for range 4 {
		_, warn := e.retry("a", false)
		got = append(got, warn)
	}
	if want := []bool{false, false, true, false}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warnings for 4 retries: %v, want %v", got, want)
	}
	if _, warn := e.retry("b", true); !warn {
		t.Error("first Retry-After of b: want a warning")
	}
	if _, warn := e.retry("b", true); warn {
		t.Error("second Retry-After of b in one episode: want no warning")
	}
	e.end("b")
	if n, warn := e.retry("b", true); !warn || n != 1 {
		t.Errorf("Retry-After of b in a new episode: %d retries, warn %v; want 1, true", n, warn)
	}
}

// stubTransport answers every request with a 4 KiB body, without I/O.
type stubTransport struct{ body []byte }

func (s stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(s.body)), Request: req}, nil
}

// discardObserver is an Observer that does nothing.
type discardObserver struct{}

func (discardObserver) ObserveRequest(RequestEvent)            {}
func (discardObserver) ObserveRetry(RetryEvent)                {}
func (discardObserver) ObserveRecord(*store.Record, ErrorKind) {}

// BenchmarkObservedTransport measures what observing adds to a request:
// the wrapper, its body and the event (the observer itself excluded).
func BenchmarkObservedTransport(b *testing.B) {
	stub := stubTransport{body: make([]byte, 4096)}
	for _, tt := range []struct {
		name string
		rt   http.RoundTripper
	}{
		{"plain", stub},
		{"observed", &observedTransport{next: stub, obs: discardObserver{}}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "http://example.com/page", nil)
			buf := make([]byte, 8192)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := tt.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := resp.Body.Read(buf); err != nil {
						break
					}
				}
				if err := resp.Body.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
