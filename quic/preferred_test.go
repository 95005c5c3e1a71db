package quic

import (
	"net/netip"
	"testing"
)

// TestConnClientMovesToPreferredAddress: a server offering
// preferred_address gets the client's 1-RTT traffic there once the
// handshake is confirmed, under the connection ID of sequence 1, after
// path validation (RFC 9000, Section 9.6).
func TestConnClientMovesToPreferredAddress(t *testing.T) {
	pref := netip.MustParseAddrPort("127.0.0.1:8443")
	var cliOK int
	p := newTestPair(t, pairOpts{
		serverSettings: Settings{PreferredAddress: &PreferredAddress{IPv4: pref}},
		clientCB: Callbacks{PathValidation: func(_ *Conn, path *Path, ok bool) error {
			if ok && path.Remote == pref {
				cliOK++
			}
			return nil
		}},
	})
	// Route by the destination the client writes to.
	srvSeen := Path{Local: pref, Remote: testClientPath.Local}
	for round := 0; round < 30; round++ {
		moved := false
		for {
			var cp Path
			n, err := p.client.WritePkt(&cp, nil, p.buf, p.ts)
			if err != nil || n == 0 {
				break
			}
			moved = true
			if cp.Remote == pref {
				p.server.ReadPkt(&srvSeen, nil, append([]byte(nil), p.buf[:n]...), p.ts)
			} else {
				p.deliver(true, p.buf[:n])
			}
		}
		for p.server != nil {
			n, err := p.server.WritePkt(nil, nil, p.buf, p.ts)
			if err != nil || n == 0 {
				break
			}
			moved = true
			p.client.ReadPkt(&testClientPath, nil, append([]byte(nil), p.buf[:n]...), p.ts)
		}
		p.ts += Tstamp(p.rtt)
		if !moved {
			// Let delayed ACKs go out.
			next := min(p.client.Expiry(), p.server.Expiry())
			if next > p.ts+Tstamp(50*Milliseconds) {
				break
			}
			p.ts = max(p.ts, next)
			p.client.HandleExpiry(p.ts)
			p.server.HandleExpiry(p.ts)
		}
	}
	prefCID := string(p.client.peer.PreferredAddress.ConnID)
	if p.client.path.Remote != pref || string(p.client.DCID()) != prefCID {
		t.Fatalf("client path %v DCID %x; want the preferred address with its connection ID %x", p.client.path.Remote, p.client.DCID(), prefCID)
	}
	if cliOK != 1 {
		t.Fatalf("client validated the preferred address %d times, want 1", cliOK)
	}
	if p.server.path != srvSeen {
		t.Fatalf("server path %v, want %v", p.server.path, srvSeen)
	}
}

func TestConnIgnorePreferredAddress(t *testing.T) {
	pref := netip.MustParseAddrPort("127.0.0.1:8443")
	p := newTestPair(t, pairOpts{
		serverSettings: Settings{PreferredAddress: &PreferredAddress{IPv4: pref}},
		clientSettings: Settings{IgnorePreferredAddress: true},
	})
	p.handshake()
	p.settle()
	if p.client.path.Remote != testClientPath.Remote {
		t.Fatalf("client moved to %v despite IgnorePreferredAddress", p.client.path.Remote)
	}
}
