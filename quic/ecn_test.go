package quic

import (
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// ecnTransfer sends n bytes from the client to the server of an
// established pair, carrying each datagram's PktInfo.ECN through net,
// which may rewrite the codepoint as a router would.
func ecnTransfer(t *testing.T, p *testPair, n int, net func(ecn uint8) uint8) {
	t.Helper()
	id, _ := p.client.OpenBidiStream(nil)
	data := make([]byte, n)
	var pi PktInfo
	for round := 0; round < 2000 && (len(data) > 0 || !p.srvFin[id]); round++ {
		for {
			fl := WriteStreamFlagNone
			if len(data) == 0 {
				fl = WriteStreamFlagFin
			}
			if p.client.streams[id] == nil || p.client.streams[id].send.fin {
				w, err := p.client.WritePkt(nil, &pi, p.buf, p.ts)
				if err != nil || w == 0 {
					break
				}
				p.server.ReadPkt(&testServerPath, &PktInfo{ECN: net(pi.ECN)}, p.buf[:w], p.ts)
				continue
			}
			w, consumed, err := p.client.WriteStream(nil, &pi, p.buf, fl, id, data, p.ts)
			if err != nil || w == 0 {
				break
			}
			data = data[consumed:]
			p.server.ReadPkt(&testServerPath, &PktInfo{ECN: net(pi.ECN)}, p.buf[:w], p.ts)
		}
		p.ts += Tstamp(ms(5))
		p.server.HandleExpiry(p.ts)
		for {
			w, err := p.server.WritePkt(nil, &pi, p.buf, p.ts)
			if err != nil || w == 0 {
				break
			}
			p.client.ReadPkt(&testClientPath, &PktInfo{ECN: net(pi.ECN)}, p.buf[:w], p.ts)
		}
		p.client.HandleExpiry(p.ts)
	}
	if !p.srvFin[id] || len(p.srvRecv[id]) != n {
		t.Fatalf("the transfer did not complete: %d of %d bytes", len(p.srvRecv[id]), n)
	}
}

func TestECNValidationSucceedsOnCleanPath(t *testing.T) {
	p := establishedPair(t)
	ecnTransfer(t, p, 200<<10, func(e uint8) uint8 { return e })
	if s := p.client.Info().ECN; s != ECNStateCapable {
		t.Fatalf("ECN state %d after the peer echoed every ECT(0) mark, want capable", s)
	}
	var pi PktInfo
	p.client.WritePkt(nil, &pi, p.buf, p.ts)
	if p.client.ecn.recv[spaceApp].ECT0 == 0 {
		t.Fatal("the client counted no ECT(0) packets from the server for its ACK_ECN")
	}
}

func TestECNValidationFailsWhenPathBleachesMarks(t *testing.T) {
	p := establishedPair(t)
	ecnTransfer(t, p, 200<<10, func(uint8) uint8 { return ECNNotECT })
	if s := p.client.Info().ECN; s != ECNStateFailed {
		t.Fatalf("ECN state %d when the path clears every mark, want failed (RFC 9000, Section 13.4.2.1)", s)
	}
	var pi PktInfo
	p.client.WritePkt(nil, &pi, p.buf, p.ts)
	id, _ := p.client.OpenBidiStream(nil)
	p.client.WriteStream(nil, &pi, p.buf, WriteStreamFlagFin, id, []byte("x"), p.ts)
	if pi.ECN != ECNNotECT {
		t.Fatalf("a datagram after failed validation asks for ECN codepoint %d, want Not-ECT", pi.ECN)
	}
}

func TestECNCongestionExperiencedReducesWindow(t *testing.T) {
	p := establishedPair(t)
	n := 0
	ecnTransfer(t, p, 400<<10, func(e uint8) uint8 {
		n++
		if e == ECNECT0 && n%50 == 0 {
			return ECNCE
		}
		return e
	})
	info := p.client.Info()
	if info.ECNCEReported == 0 {
		t.Fatal("the client saw no CE count increase although the path marked packets CE")
	}
	if info.ECN != ECNStateCapable {
		t.Fatalf("ECN state %d, want capable: CE marks are not a validation failure", info.ECN)
	}
	if info.PacketsLost != 0 {
		t.Fatalf("%d packets lost on a lossless path", info.PacketsLost)
	}
	if c := p.client.cc.(*NewRenoCC); c.ssthresh == ^uint64(0) {
		t.Fatal("CE marks did not end slow start: no congestion event (RFC 9002, Section 7.1)")
	}
}

func TestECNAckWithoutCountsForMarkedPacketsFails(t *testing.T) {
	c := bareConn(t, Settings{})
	c.ecnOnAck(spaceApp, &wire.Frame{}, 3, 0, Tstamp(Seconds))
	if c.ecn.phase != ecnFailed {
		t.Fatal("an ACK without ECN counts newly acknowledging marked packets did not fail validation")
	}
}

func TestECNCountsAboveMarkedSentFail(t *testing.T) {
	c := bareConn(t, Settings{})
	c.ecn.sentMarked[spaceApp] = 2
	c.ecnOnAck(spaceApp, &wire.Frame{HasECN: true, ECN: wire.ECNCounts{ECT0: 5}}, 2, 0, Tstamp(Seconds))
	if c.ecn.phase != ecnFailed {
		t.Fatal("ECT(0) count 5 for 2 marked packets sent did not fail validation")
	}
}

func TestECNECT1CountFails(t *testing.T) {
	c := bareConn(t, Settings{})
	c.ecn.sentMarked[spaceApp] = 2
	c.ecnOnAck(spaceApp, &wire.Frame{HasECN: true, ECN: wire.ECNCounts{ECT0: 1, ECT1: 1}}, 1, 0, Tstamp(Seconds))
	if c.ecn.phase != ecnFailed {
		t.Fatal("an ECT(1) count while we send only ECT(0) did not fail validation")
	}
}

func TestECNAllTestingPacketsLostDisablesECN(t *testing.T) {
	c := bareConn(t, Settings{})
	pi := PktInfo{}
	for i := 0; i < ecnTestingPackets; i++ {
		c.ecnOnWrite(&pi)
		sendFake(c, spaceApp, Tstamp(Seconds)) // marked: the datagram asked for ECT(0)
	}
	if c.ecn.phase != ecnUnknown {
		t.Fatalf("phase %d after %d marked packets, want unknown (testing over)", c.ecn.phase, ecnTestingPackets)
	}
	for _, p := range c.spaces[spaceApp].sent.pkts {
		c.ecnOnLost(p)
	}
	if c.ecn.phase != ecnFailed {
		t.Fatal("ECN still enabled after every marked testing packet was lost (RFC 9000, Section 13.4.2)")
	}
}

func TestECNDisabledBySettings(t *testing.T) {
	c := bareConn(t, Settings{DisableECN: true})
	pi := PktInfo{}
	c.ecnOnWrite(&pi)
	if pi.ECN != ECNNotECT {
		t.Fatalf("Settings.DisableECN: the datagram asks for codepoint %d", pi.ECN)
	}
}
