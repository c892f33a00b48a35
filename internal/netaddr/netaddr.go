// Package netaddr groups client addresses into the networks that per-IP
// limits count: an IPv4 address on its own, an IPv6 address with the rest
// of its /64. One IPv6 subscriber is usually handed a whole /64, so
// counting single IPv6 addresses would give one client 2⁶⁴ fresh counters.
package netaddr

import "net/netip"

// Network returns the network addr belongs to: the /32 of an IPv4 address
// (an IPv4-mapped IPv6 address such as ::ffff:203.0.113.7 counts as the
// IPv4 address it carries) and the /64 of an IPv6 address, its zone
// dropped. The zero Addr gives the zero Prefix.
func Network(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap().WithZone("")
	bits := 64
	if addr.Is4() {
		bits = 32
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return netip.Prefix{} // only the zero Addr, which has no bits
	}
	return p
}

// Key returns a stable string naming addr's network, for counters and
// logs: "203.0.113.7" for IPv4 and "2001:db8:1:2::/64" for IPv6. Every
// address of one network has the same key and no two networks share one.
// The zero Addr gives "".
func Key(addr netip.Addr) string {
	p := Network(addr)
	switch {
	case !p.IsValid():
		return ""
	case p.Addr().Is4():
		return p.Addr().String()
	}
	return p.String()
}
