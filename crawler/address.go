package crawler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The address policy: a public page must not make the crawler request
// the machine it runs on, its network, or a cloud metadata service
// (http://169.254.169.254/), and with --save or --warc keep the answer.
// The crawler's own dialer resolves each host itself and refuses to
// connect to an address that is not public, so the check is on the
// address actually dialled: a name that resolves to such an address, or
// re-resolves to one later, is refused too, and so is a redirect there
// (each request dials). A class of addresses is allowed when a seed is on
// one of them (a test server on loopback, an intranet), or every class
// with Config.AllowPrivate. A Config.Transport of one's own replaces the
// dialer and the policy with it.

// addrClass is a class of addresses that are not public.
type addrClass uint8

const (
	classPublic addrClass = iota
	classLoopback
	classPrivate     // RFC 1918, RFC 6598 shared space, IPv6 unique-local
	classLinkLocal   // 169.254/16 (cloud metadata), fe80::/10
	classUnspecified // 0.0.0.0/8, ::
	classOther       // multicast, broadcast, reserved (documentation ranges count as public: tests stand them in for public hosts)
	numAddrClasses
)

func (c addrClass) String() string {
	return [...]string{"public", "loopback", "private", "link-local", "unspecified", "reserved"}[c]
}

var (
	sharedSpace   = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork   = netip.MustParsePrefix("0.0.0.0/8")
	reserved4     = netip.MustParsePrefix("240.0.0.0/4") // and 255.255.255.255
	ietfProtocol4 = netip.MustParsePrefix("192.0.0.0/24")
	benchmark4    = netip.MustParsePrefix("198.18.0.0/15")
	nat64         = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour     = netip.MustParsePrefix("2002::/16")
	v4Compatible  = netip.MustParsePrefix("::/96")          // deprecated IPv4-compatible ::a.b.c.d
	localNAT64    = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215: local-use translation
	siteLocal     = netip.MustParsePrefix("fec0::/10")      // deprecated site-local
)

// classify returns the class of ip. IPv4-mapped (::ffff:a.b.c.d),
// IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4
// (2002:aabb:ccdd::) addresses are judged by the IPv4 address in them;
// local-use NAT64 and site-local addresses are private.
func classify(ip netip.Addr) addrClass {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return classify(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return classify(netip.AddrFrom4([4]byte(b[2:6])))
		case v4Compatible.Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
			return classify(netip.AddrFrom4([4]byte(b[12:16])))
		case localNAT64.Contains(ip) || siteLocal.Contains(ip):
			return classPrivate
		}
	}
	switch {
	case ip.IsUnspecified() || thisNetwork.Contains(ip):
		return classUnspecified
	case ip.IsLoopback():
		return classLoopback
	case ip.IsPrivate() || sharedSpace.Contains(ip):
		return classPrivate
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return classLinkLocal
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || reserved4.Contains(ip) ||
		ietfProtocol4.Contains(ip) || benchmark4.Contains(ip) || !ip.IsValid():
		return classOther
	}
	return classPublic
}

// AddressError is a request refused by the address policy: the host is
// on an address that is not public. Records say private_address.
type AddressError struct {
	Host string
	Addr netip.Addr
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("refused to connect to %s: %s is a %s address (see --allow-private)", e.Host, e.Addr, classify(e.Addr))
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// guardedDialer dials only addresses the policy allows.
type guardedDialer struct {
	resolver Resolver
	dial     func(ctx context.Context, network, address string) (net.Conn, error)
	allowAll bool
	seeds    map[string]bool // seed hosts (without ports), whose classes are allowed

	once    sync.Once
	allowed [numAddrClasses]atomic.Bool
}

func newGuardedDialer(cfg Config, dial func(ctx context.Context, network, address string) (net.Conn, error)) *guardedDialer {
	d := &guardedDialer{resolver: cfg.Resolver, dial: dial, allowAll: cfg.AllowPrivate}
	if d.resolver == nil {
		d.resolver = net.DefaultResolver
	}
	if cfg.Dial != nil {
		d.dial = cfg.Dial
	}
	d.seeds = make(map[string]bool)
	for _, s := range cfg.Seeds {
		if u, err := url.Parse(s); err == nil && u.Hostname() != "" {
			d.seeds[strings.ToLower(u.Hostname())] = true
		}
	}
	return d
}

// seedLookups bounds the concurrent lookups of seed hosts.
const seedLookups = 16

// allowSeeds allows the classes of the addresses the seeds are on, once,
// on the first dial, looking the seeds up concurrently for at most 10
// seconds. A seed whose lookup fails then allows its class when it is
// dialled itself (DialContext).
func (d *guardedDialer) allowSeeds(ctx context.Context) {
	d.once.Do(func() {
		d.allowed[classPublic].Store(true)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		sem := make(chan struct{}, seedLookups)
		for h := range d.seeds {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				addrs, err := d.lookup(ctx, "ip", h)
				if err != nil {
					return // the seed's own request will say why
				}
				for _, a := range addrs {
					d.allowed[classify(a)].Store(true)
				}
			})
		}
		wg.Wait()
	})
}

// lookup resolves host, or parses it when it is an address.
func (d *guardedDialer) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	return d.resolver.LookupNetIP(ctx, network, host)
}

// DialContext resolves address's host and dials its allowed addresses in
// turn; when none is allowed it returns an *AddressError.
func (d *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if !d.allowAll {
		d.allowSeeds(ctx)
	}
	ipNet := "ip"
	switch network {
	case "tcp4":
		ipNet = "ip4"
	case "tcp6":
		ipNet = "ip6"
	}
	addrs, err := d.lookup(ctx, ipNet, host)
	if err != nil {
		return nil, err
	}
	if !d.allowAll && d.seeds[strings.ToLower(host)] {
		for _, a := range addrs {
			d.allowed[classify(a)].Store(true) // a seed's class, whatever allowSeeds found
		}
	}
	var firstErr error
	for _, a := range addrs {
		if !d.allowAll && !d.allowed[classify(a)].Load() {
			if firstErr == nil {
				firstErr = &AddressError{Host: host, Addr: a}
			}
			continue
		}
		conn, err := d.dial(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		var ae *AddressError
		if firstErr == nil || errors.As(firstErr, &ae) {
			firstErr = err // a refusal to dial says less than a failed dial
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		firstErr = &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return nil, firstErr
}

// isAddressError reports whether err is a refusal of the address policy.
func isAddressError(err error) bool {
	var ae *AddressError
	return errors.As(err, &ae)
}
