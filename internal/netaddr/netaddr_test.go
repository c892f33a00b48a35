package netaddr

import (
	"net/netip"
	"testing"
)

func TestNetworkAndKey(t *testing.T) {
	tests := []struct {
		name, addr, network, key string
	}{
		{"IPv4", "203.0.113.7", "203.0.113.7/32", "203.0.113.7"},
		{"IPv4 loopback", "127.0.0.1", "127.0.0.1/32", "127.0.0.1"},
		{"IPv4-mapped", "::ffff:203.0.113.7", "203.0.113.7/32", "203.0.113.7"},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", "127.0.0.1/32", "127.0.0.1"},
		{"IPv6", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64", "2001:db8:1:2::/64"},
		{"IPv6 network address", "2001:db8:1:2::", "2001:db8:1:2::/64", "2001:db8:1:2::/64"},
		{"IPv6 last address", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64", "2001:db8:1:2::/64"},
		{"IPv6 loopback", "::1", "::/64", "::/64"},
		{"IPv6 zoned link-local", "fe80::1%eth0", "fe80::/64", "fe80::/64"},
		{"IPv6 zoned, other zone", "fe80::2%2", "fe80::/64", "fe80::/64"},
		{"IPv4-compatible stays IPv6", "::203.0.113.7", "::/64", "::/64"},
		{"6to4 stays IPv6", "2002:cb00:7107::1", "2002:cb00:7107::/64", "2002:cb00:7107::/64"},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if got := Network(a); got.String() != tt.network {
			t.Errorf("%s: Network(%s) = %s, want %s", tt.name, tt.addr, got, tt.network)
		}
		if got := Key(a); got != tt.key {
			t.Errorf("%s: Key(%s) = %q, want %q", tt.name, tt.addr, got, tt.key)
		}
		if p := Network(a); !p.Contains(a.Unmap().WithZone("")) || p.Addr().Zone() != "" {
			t.Errorf("%s: Network(%s) = %s does not hold it zone-free", tt.name, tt.addr, p)
		}
	}
}

func TestKeySeparatesNetworks(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::1", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"203.0.113.7", "203.0.113.8", false},
		{"203.0.113.7", "::ffff:203.0.113.7", true},
		{"fe80::1%eth0", "fe80::1%eth1", true},
		{"0.0.0.0", "::", false},
		{"127.0.0.1", "::1", false},
	}
	for _, tt := range tests {
		ka, kb := Key(netip.MustParseAddr(tt.a)), Key(netip.MustParseAddr(tt.b))
		if (ka == kb) != tt.same {
			t.Errorf("Key(%s) = %q, Key(%s) = %q; same = %v, want %v", tt.a, ka, tt.b, kb, ka == kb, tt.same)
		}
	}
}

func TestZeroAddr(t *testing.T) {
	if p := Network(netip.Addr{}); p.IsValid() {
		t.Errorf("Network(zero) = %s, want the zero Prefix", p)
	}
	if k := Key(netip.Addr{}); k != "" {
		t.Errorf("Key(zero) = %q, want empty", k)
	}
}

func BenchmarkKey(b *testing.B) {
	a := netip.MustParseAddr("2001:db8:1:2:3:4:5:6")
	for b.Loop() {
		Key(a)
	}
}
