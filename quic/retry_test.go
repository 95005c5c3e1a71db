package quic

import (
	"bytes"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/protect"
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// retryFor builds the Retry a server would send for the client's first
// Initial (RFC 9000, Section 17.2.5).
func retryFor(t *testing.T, initial []byte, newSCID, token []byte) []byte {
	hdr, err := wire.ParseHeader(initial, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := wire.AppendRetry(nil, hdr.Version, hdr.SrcConnID, newSCID, token)
	tag := protect.RetryIntegrityTag(hdr.Version, hdr.DstConnID, b)
	return append(b, tag[:]...)
}

func TestConnClientFollowsRetry(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	odcid := append([]byte(nil), p.client.dcid...)
	retrySCID := []byte("retry-id")
	retry := retryFor(t, p.buf[:n], retrySCID, []byte("address token"))

	// A Retry with a broken tag is dropped.
	bad := append([]byte(nil), retry...)
	bad[len(bad)-1] ^= 1
	if err := p.client.ReadPkt(nil, nil, bad, p.ts); err != nil || p.client.rscid != nil {
		t.Fatalf("Retry with a bad integrity tag was not dropped: %v", err)
	}
	if err := p.client.ReadPkt(nil, nil, retry, p.ts); err != nil {
		t.Fatalf("ReadPkt(Retry) = %v", err)
	}
	n, _ = p.client.WritePkt(nil, nil, p.buf, p.ts)
	hdr, err := wire.ParseHeader(p.buf[:n], 0)
	if err != nil || hdr.Type != wire.PacketInitial {
		t.Fatalf("no Initial after Retry: %v", err)
	}
	if !bytes.Equal(hdr.DstConnID, retrySCID) || string(hdr.Token) != "address token" {
		t.Fatalf("Initial after Retry: DCID %q token %q; want %q and the Retry token", hdr.DstConnID, hdr.Token, retrySCID)
	}
	// The server that sent the Retry accepts the new Initial, knowing the
	// original DCID, and the handshake completes with the Retry IDs
	// checked in the transport parameters.
	p.srvCfg.Settings.OriginalDCID = odcid
	s, err := NewServerConn(p.srvCfg, &testServerPath, p.buf[:n], p.ts)
	if err != nil {
		t.Fatal(err)
	}
	p.server = s
	if !bytes.Equal(s.InitialDCID(), retrySCID) || !bytes.Equal(s.ODCID(), odcid) {
		t.Errorf("server InitialDCID %q ODCID %x", s.InitialDCID(), s.ODCID())
	}
	p.deliver(true, p.buf[:n])
	p.handshake()
	// A second Retry is ignored.
	if err := p.client.ReadPkt(nil, nil, retry, p.ts); err != nil {
		t.Errorf("a second Retry: %v", err)
	}
}
