package crawler

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		addr string
		want addrClass
	}{
		{"93.184.216.34", classPublic},
		{"2606:2800:220:1:248:1893:25c8:1946", classPublic},
		{"198.51.100.7", classPublic}, // documentation, but routable in tests
		{"127.0.0.1", classLoopback},
		{"127.255.255.254", classLoopback},
		{"::1", classLoopback},
		{"::ffff:127.0.0.1", classLoopback}, // IPv4-mapped
		{"::ffff:7f00:1", classLoopback},
		{"64:ff9b::7f00:1", classLoopback}, // NAT64 of 127.0.0.1
		{"2002:7f00:1::1", classLoopback},  // 6to4 of 127.0.0.1
		{"::127.0.0.1", classLoopback},     // IPv4-compatible (deprecated)
		{"::10.0.0.1", classPrivate},
		{"64:ff9b:1::7f00:1", classPrivate}, // local-use NAT64
		{"fec0::1", classPrivate},           // site-local (deprecated)
		{"10.0.0.5", classPrivate},
		{"172.16.0.1", classPrivate},
		{"172.31.255.255", classPrivate},
		{"172.32.0.1", classPublic},
		{"192.168.1.1", classPrivate},
		{"100.64.0.1", classPrivate}, // RFC 6598 shared space
		{"fc00::1", classPrivate},
		{"fd12:3456::1", classPrivate},
		{"::ffff:10.1.2.3", classPrivate},
		{"169.254.169.254", classLinkLocal}, // cloud metadata
		{"fe80::1", classLinkLocal},
		{"fe80::1%eth0", classLinkLocal},
		{"::ffff:169.254.169.254", classLinkLocal},
		{"0.0.0.0", classUnspecified},
		{"0.1.2.3", classUnspecified},
		{"::", classUnspecified},
		{"224.0.0.1", classLinkLocal}, // link-local multicast
		{"239.1.1.1", classOther},
		{"255.255.255.255", classOther},
		{"240.0.0.1", classOther},
		{"ff02::1", classLinkLocal},
		{"ff05::1", classOther},
	}
	for _, tt := range tests {
		if got := classify(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("classify(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// fakeResolver answers from a table, and rebind.test with a public
// address first and loopback after.
type fakeResolver struct {
	hosts   map[string][]netip.Addr
	rebinds int
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host == "rebind.test" {
		if r.rebinds++; r.rebinds == 1 {
			return []netip.Addr{netip.MustParseAddr("198.51.100.9")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	if a, ok := r.hosts[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

var errDialed = errors.New("dialed")

// TestGuardedDialer: the policy is applied to every address a name
// resolves to, at every dial, and a seed's class is allowed.
func TestGuardedDialer(t *testing.T) {
	var dialed []string
	dial := func(_ context.Context, _, address string) (net.Conn, error) {
		dialed = append(dialed, address)
		return nil, errDialed
	}
	res := &fakeResolver{hosts: map[string][]netip.Addr{
		"public.test": {netip.MustParseAddr("198.51.100.7")},
		"mixed.test":  {netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("198.51.100.8")},
		"local.test":  {netip.MustParseAddr("::1")},
		"intra.test":  {netip.MustParseAddr("10.1.1.1")},
	}}
	cfg := DefaultConfig()
	cfg.Seeds = []string{"http://public.test/"}
	cfg.Resolver, cfg.Dial = res, dial
	d := newGuardedDialer(cfg, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		addr    string
		refused bool
		dialed  string
	}{
		{"public.test:80", false, "198.51.100.7:80"},
		{"local.test:80", true, ""},
		{"127.0.0.1:8080", true, ""},
		{"[::ffff:127.0.0.1]:80", true, ""},
		{"169.254.169.254:80", true, ""},
		{"mixed.test:443", false, "198.51.100.8:443"}, // the private address is skipped
		{"rebind.test:80", false, "198.51.100.9:80"},
		{"rebind.test:80", true, ""}, // resolved again: now loopback
	} {
		dialed = nil
		_, err := d.DialContext(ctx, "tcp", tt.addr)
		if got := isAddressError(err); got != tt.refused {
			t.Errorf("DialContext(%s): %v, refused %t, want %t", tt.addr, err, got, tt.refused)
		}
		if want := []string{tt.dialed}; (tt.dialed == "" && len(dialed) != 0) || (tt.dialed != "" && (len(dialed) != 1 || dialed[0] != want[0])) {
			t.Errorf("DialContext(%s) dialed %v, want %q", tt.addr, dialed, tt.dialed)
		}
	}

	// A seed on a private address allows that class, not the others.
	cfg.Seeds = []string{"http://intra.test/"}
	d = newGuardedDialer(cfg, nil)
	if _, err := d.DialContext(ctx, "tcp", "10.9.9.9:80"); isAddressError(err) {
		t.Errorf("private address refused with a private seed: %v", err)
	}
	if _, err := d.DialContext(ctx, "tcp", "169.254.169.254:80"); !isAddressError(err) {
		t.Errorf("link-local allowed with a private seed: %v", err)
	}
	// A seed whose lookup failed at the start allows its class when it
	// is dialled itself.
	cfg.Seeds = []string{"http://flaky.test/"}
	d = newGuardedDialer(cfg, nil)
	if _, err := d.DialContext(ctx, "tcp", "10.9.9.9:80"); !isAddressError(err) {
		t.Errorf("private address allowed before the private seed resolved: %v", err)
	}
	res.hosts["flaky.test"] = []netip.Addr{netip.MustParseAddr("10.2.2.2")}
	if _, err := d.DialContext(ctx, "tcp", "flaky.test:80"); !errors.Is(err, errDialed) {
		t.Errorf("the seed itself, once it resolves: %v, want a dial", err)
	}
	if _, err := d.DialContext(ctx, "tcp", "10.9.9.9:80"); isAddressError(err) {
		t.Errorf("private address refused after the private seed resolved: %v", err)
	}
	// AllowPrivate allows everything.
	cfg.AllowPrivate = true
	d = newGuardedDialer(cfg, nil)
	if _, err := d.DialContext(ctx, "tcp", "169.254.169.254:80"); !errors.Is(err, errDialed) {
		t.Errorf("AllowPrivate: %v, want a dial", err)
	}
}
