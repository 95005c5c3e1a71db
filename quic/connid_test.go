package quic

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

var testResetKey = []byte("0123456789abcdef0123456789abcdef")

// cidPair is an established pair whose server derives reset tokens from
// testResetKey and records the connection IDs it issues and retires.
func cidPair(t *testing.T, clientLimit uint64) (p *testPair, issued, removed *[][]byte) {
	issued, removed = new([][]byte), new([][]byte)
	cp := DefaultTransportParams()
	cp.ActiveConnectionIDLimit = clientLimit
	p = newTestPair(t, pairOpts{
		clientParams:   cp,
		serverSettings: Settings{StatelessResetKey: testResetKey},
		serverCB: Callbacks{
			RemoveConnectionID: func(_ *Conn, cid []byte) error {
				*removed = append(*removed, append([]byte(nil), cid...))
				return nil
			},
		},
	})
	p.handshake()
	p.settle()
	p.server.ActiveConnectionIDs(func(cid []byte) { *issued = append(*issued, append([]byte(nil), cid...)) })
	return p, issued, removed
}

func TestConnIssuesConnectionIDsUpToPeerLimit(t *testing.T) {
	for _, tc := range []struct {
		name        string
		clientLimit uint64
		wantSpare   int
	}{
		{name: "peer limit 2 caps at one spare", clientLimit: 2, wantSpare: 1},
		{name: "peer limit 8 capped by MaxIssuedCIDs 4", clientLimit: 8, wantSpare: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, issued, _ := cidPair(t, tc.clientLimit)
			if got := len(p.client.peerCIDs.ids); got != tc.wantSpare {
				t.Fatalf("client holds %d spare server CIDs, want %d", got, tc.wantSpare)
			}
			if len(*issued) != tc.wantSpare+1 {
				t.Fatalf("server has %d active CIDs, want %d", len(*issued), tc.wantSpare+1)
			}
			for _, id := range p.client.peerCIDs.ids {
				cid := id.cid[:id.n]
				if want := StatelessResetTokenFor(testResetKey, cid); id.token != want {
					t.Errorf("token of CID %x is not HMAC(key, cid): a stateless server could not reset it", cid)
				}
			}
		})
	}
}

func TestConnRetireConnectionIDIsReplaced(t *testing.T) {
	p, issued, removed := cidPair(t, 4)
	retired := (*issued)[1]
	// The client stops using sequence 1 and says so.
	ids := p.client.peerCIDs.ids
	if ids[0].seq != 1 {
		t.Fatalf("client's first spare CID has sequence %d, want 1", ids[0].seq)
	}
	p.client.peerCIDs.ids = append(ids[:0], ids[1:]...)
	if err := p.inject(p.client, spaceApp, wire.AppendRetireConnectionID(nil, 1)); err != nil {
		t.Fatalf("RETIRE_CONNECTION_ID seq 1: %v", err)
	}
	if len(*removed) != 1 || !bytes.Equal((*removed)[0], retired) {
		t.Fatalf("RemoveConnectionID got %x, want the retired CID %x", *removed, retired)
	}
	p.settle()
	if got := p.server.localCIDs.n; got != 4 {
		t.Fatalf("server has %d active CIDs after a retirement, want a replacement (4)", got)
	}
	if p.server.localCIDs.has(retired) {
		t.Fatalf("retired CID still accepted")
	}
	if got := len(p.client.peerCIDs.ids); got != 3 {
		t.Fatalf("client holds %d spare CIDs, want 3 after the replacement arrived", got)
	}
}

func TestConnViolationRetireConnectionIDUnknownSeq(t *testing.T) {
	p, _, _ := cidPair(t, 4)
	err := p.inject(p.client, spaceApp, wire.AppendRetireConnectionID(nil, 99))
	p.wantViolation("retiring a sequence number never sent", p.server, err, ProtocolViolation, ErrProto)
}

func TestConnViolationRetireConnectionIDOfItsOwnPacket(t *testing.T) {
	p, _, _ := cidPair(t, 4)
	// The injected packet is addressed to the server's sequence 0 CID.
	err := p.inject(p.client, spaceApp, wire.AppendRetireConnectionID(nil, 0))
	p.wantViolation("retiring the packet's own DCID", p.server, err, ProtocolViolation, ErrProto)
}

// pathRun moves datagrams between the client and the server with the
// client seen at cliAddr, until nothing moves. It returns the datagrams
// the server sent and their paths.
type sentDatagram struct {
	path Path
	size int
}

func (p *testPair) pathRun(cliAddr netip.AddrPort, deliverToClient func(Path) bool) []sentDatagram {
	var out []sentDatagram
	srvPath := Path{Local: testServerPath.Local, Remote: cliAddr}
	for round := 0; round < 50; round++ {
		moved := false
		for {
			n, err := p.client.WritePkt(nil, nil, p.buf, p.ts)
			if err != nil || n == 0 {
				break
			}
			moved = true
			p.lastErrS = p.server.ReadPkt(&srvPath, nil, append([]byte(nil), p.buf[:n]...), p.ts)
		}
		for {
			var path Path
			n, err := p.server.WritePkt(&path, nil, p.buf, p.ts)
			if err != nil || n == 0 {
				break
			}
			moved = true
			out = append(out, sentDatagram{path: path, size: n})
			if deliverToClient == nil || deliverToClient(path) {
				p.lastErrC = p.client.ReadPkt(&testClientPath, nil, append([]byte(nil), p.buf[:n]...), p.ts)
			}
		}
		p.ts += Tstamp(p.rtt)
		if !moved {
			break
		}
	}
	return out
}

func TestConnClientMigrateValidatesNewPath(t *testing.T) {
	var srvOK, cliOK int
	p := newTestPair(t, pairOpts{
		serverCB: Callbacks{PathValidation: func(_ *Conn, _ *Path, ok bool) error {
			if ok {
				srvOK++
			}
			return nil
		}},
		clientCB: Callbacks{PathValidation: func(_ *Conn, _ *Path, ok bool) error {
			if ok {
				cliOK++
			}
			return nil
		}},
	})
	p.handshake()
	p.settle()
	oldDCID := string(p.client.DCID())
	newLocal := netip.MustParseAddrPort("127.0.0.1:5000")
	if err := p.client.Migrate(&Path{Local: newLocal, Remote: testClientPath.Remote}, p.ts); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if string(p.client.DCID()) == oldDCID {
		t.Fatalf("client kept its DCID on a new path (RFC 9000, Section 9.5)")
	}
	var cliSent Path
	n, err := p.client.WritePkt(&cliSent, nil, p.buf, p.ts)
	if err != nil || n < MaxUDPPayloadSize || cliSent.Local != newLocal {
		t.Fatalf("first datagram after Migrate: %d bytes on %v, %v; want PATH_CHALLENGE padded to 1200 on the new path", n, cliSent, err)
	}
	p.lastErrS = p.server.ReadPkt(&Path{Local: testServerPath.Local, Remote: newLocal}, nil, append([]byte(nil), p.buf[:n]...), p.ts)
	sent := p.pathRun(newLocal, nil)
	if len(sent) == 0 || sent[0].path.Remote != newLocal {
		t.Fatalf("server answered on %v, want the client's new address", sent)
	}
	if p.server.path.Remote != newLocal {
		t.Fatalf("server did not follow the migration: path %v", p.server.path)
	}
	if srvOK != 1 || cliOK != 1 {
		t.Fatalf("path validations: server %d, client %d; want both to validate the new path", srvOK, cliOK)
	}
}

func TestConnMigrateErrors(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	if err := p.client.Migrate(&testClientPath, p.ts); err != ErrInvalidState {
		t.Errorf("Migrate before the handshake = %v, want ErrInvalidState", err)
	}
	p.handshake()
	if err := p.server.Migrate(&testServerPath, p.ts); err != ErrInvalidState {
		t.Errorf("Migrate at a server = %v, want ErrInvalidState", err)
	}
	p.client.peerCIDs.ids = nil
	if err := p.client.Migrate(&testClientPath, p.ts); err != ErrNoSpareConnID {
		t.Errorf("Migrate without a spare CID = %v, want ErrNoSpareConnID", err)
	}
}

func TestConnNATRebindingLimitedUntilValidated(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	p.handshake()
	p.settle()
	rebound := netip.MustParseAddrPort("127.0.0.1:4001")
	// A small packet with a non-probing frame (PING) from a new port.
	pkt := p.client.sealTestPacket(spaceApp, []byte{byte(wire.FramePing)})
	p.lastErrS = p.server.ReadPkt(&Path{Local: testServerPath.Local, Remote: rebound}, nil, pkt, p.ts)
	if p.server.path.Remote != rebound {
		t.Fatalf("server did not follow the rebinding: %v", p.server.path.Remote)
	}
	total := 0
	for {
		var path Path
		n, err := p.server.WritePkt(&path, nil, p.buf, p.ts)
		if err != nil || n == 0 {
			break
		}
		if path.Remote != rebound {
			t.Fatalf("datagram to %v, want the new address", path.Remote)
		}
		total += n
		p.client.ReadPkt(&testClientPath, nil, append([]byte(nil), p.buf[:n]...), p.ts)
	}
	if total == 0 || total > 3*len(pkt) {
		t.Fatalf("server sent %d bytes to an unvalidated address after receiving %d; want 1..%d (RFC 9000, Section 9.3)", total, len(pkt), 3*len(pkt))
	}
	if !p.server.pv.active {
		t.Fatalf("no path validation started")
	}
	p.pathRun(rebound, nil)
	if p.server.pv.active || !p.server.addrValidated {
		t.Fatalf("the client's PATH_RESPONSE did not validate the new path")
	}
}

func TestConnPathValidationFailureGoesBack(t *testing.T) {
	var failed int
	p := newTestPair(t, pairOpts{serverCB: Callbacks{PathValidation: func(_ *Conn, _ *Path, ok bool) error {
		if !ok {
			failed++
		}
		return nil
	}}})
	p.handshake()
	p.settle()
	rebound := netip.MustParseAddrPort("127.0.0.1:4001")
	pkt := p.client.sealTestPacket(spaceApp, []byte{byte(wire.FramePing)})
	p.server.ReadPkt(&Path{Local: testServerPath.Local, Remote: rebound}, nil, pkt, p.ts)
	// Nothing reaches the client on the new path; run the server's timers.
	for i := 0; i < 100 && p.server.pv.active; i++ {
		for {
			n, err := p.server.WritePkt(nil, nil, p.buf, p.ts)
			if err != nil || n == 0 {
				break
			}
		}
		p.ts = max(p.ts, p.server.Expiry())
		p.server.HandleExpiry(p.ts)
	}
	if failed != 1 || p.server.path.Remote != testServerPath.Remote {
		t.Fatalf("after an unanswered validation: %d failures reported, path %v; want 1 and the old path", failed, p.server.path.Remote)
	}
}

func TestConnProbeFromOtherPathAnsweredThere(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	p.handshake()
	p.settle()
	probe := netip.MustParseAddrPort("127.0.0.1:4002")
	payload := wire.AppendPathChallenge(nil, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	payload = wire.AppendPadding(payload, 1200)
	pkt := p.client.sealTestPacket(spaceApp, payload)
	if err := p.server.ReadPkt(&Path{Local: testServerPath.Local, Remote: probe}, nil, pkt, p.ts); err != nil {
		t.Fatal(err)
	}
	if p.server.path.Remote != testServerPath.Remote {
		t.Fatalf("a probing packet moved the connection to %v (RFC 9000, Section 9.1)", p.server.path.Remote)
	}
	var path Path
	n, err := p.server.WritePkt(&path, nil, p.buf, p.ts)
	if err != nil || path.Remote != probe || n < MaxUDPPayloadSize {
		t.Fatalf("answer: %d bytes to %v, %v; want PATH_RESPONSE padded to 1200 on the probed path", n, path.Remote, err)
	}
}

func TestStatelessResetTokenForIsKeyed(t *testing.T) {
	cid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	a := StatelessResetTokenFor(testResetKey, cid)
	if a != StatelessResetTokenFor(testResetKey, cid) {
		t.Fatal("token not deterministic")
	}
	if a == StatelessResetTokenFor([]byte("another key, another endpoint!!"), cid) {
		t.Fatal("token does not depend on the key")
	}
	if a == StatelessResetTokenFor(testResetKey, []byte{1, 2, 3, 4, 5, 6, 7, 9}) {
		t.Fatal("token does not depend on the connection ID")
	}
}
