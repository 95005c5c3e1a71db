package quicconn

import (
	"net/netip"
	"testing"

	"github.com/ngloop/ngloop/quic"
)

// FuzzRoute: Route sees every datagram of a listener, whatever a peer
// sends; it must return -1 or a valid socket index, and for a
// short-header packet long enough to carry a connection ID, the index
// that ID names.
func FuzzRoute(f *testing.F) {
	f.Add([]byte{0x40, 1, 2, 3, 4, 5, 6, 7, 8}, true)
	f.Add([]byte{0xc0, 0, 0, 0, 1, 8, 3, 0, 0, 0, 0, 0, 0, 0}, false)
	f.Add([]byte{0xc0, 0, 0, 0, 1, 8}, false)
	f.Fuzz(func(t *testing.T, pkt []byte, server bool) {
		ep := &endpoint{server: server, cfg: Config{Settings: quic.Settings{CIDLen: 8}}, socks: make([]*sockState, 4)}
		got := ep.route(pkt, netip.AddrPort{})
		if got < -1 || got >= len(ep.socks) {
			t.Fatalf("route = %d for %x", got, pkt)
		}
		if len(pkt) >= 9 && pkt[0]&0x80 == 0 && int(pkt[1]) < len(ep.socks) && got != int(pkt[1]) {
			t.Fatalf("short header for socket %d routed to %d", pkt[1], got)
		}
	})
}
