// Package egress is the router's way out to upstream providers: one tuned,
// shared HTTP transport whose dialer refuses non-public addresses.
package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// ErrForbiddenAddress is returned when a channel's host resolves to a
// loopback, private, link-local, metadata or otherwise non-public address
// and private upstreams are not allowed.
var ErrForbiddenAddress = errors.New("egress: upstream address is not public")

// nonPublic are the ranges netip's predicates do not cover.
var nonPublic = [...]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT, Alibaba Cloud metadata
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

// IsPublic reports whether ip may be dialled as an upstream without the
// operator's permission. IPv4-mapped IPv6 addresses are judged as IPv4, so
// ::ffff:127.0.0.1 is loopback. Cloud metadata endpoints (169.254.169.254,
// fd00:ec2::254, 100.100.100.200) fall in link-local, unique-local and
// carrier-grade NAT space.
func IsPublic(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// control runs on the resolved address just before connect, so a host name
// that resolves (or re-resolves) to a private address is caught too.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address", ErrForbiddenAddress)
	}
	if !IsPublic(ap.Addr()) {
		return ErrForbiddenAddress
	}
	return nil
}
