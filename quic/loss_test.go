package quic

import (
	"bytes"
	"testing"
)

func TestConnRetransmitsLostStreamData(t *testing.T) {
	p := establishedPair(t)
	n := 0
	p.drop = func(fromClient bool, d []byte) bool {
		if !fromClient {
			return false
		}
		n++
		return n%5 == 0 // every fifth datagram from the client is lost
	}
	id, _ := p.client.OpenBidiStream(nil)
	msg := make([]byte, 300<<10)
	genChunk(1, msg)
	p.writeStream(p.client, id, msg, true)
	p.settle()
	if !bytes.Equal(p.srvRecv[id], msg) || !p.srvFin[id] {
		t.Fatalf("server got %d of %d bytes (fin %v) through 20%% loss", len(p.srvRecv[id]), len(msg), p.srvFin[id])
	}
	if lost := p.client.Info().PacketsLost; lost == 0 {
		t.Errorf("no packet was declared lost although %d datagrams were dropped", n/5)
	}
}

func TestConnPTOProbeRecoversTailLoss(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	// The only data packet is written and lost: never delivered. (Going
	// through p.writeStream would let its flush run the PTO already, now
	// that the RTT estimate is the pair's real 10 ms.)
	n, consumed, err := p.client.WriteStream(nil, nil, p.buf, WriteStreamFlagFin, id, []byte("tail"), p.ts)
	if err != nil || n == 0 || consumed != 4 {
		t.Fatalf("WriteStream: n %d consumed %d err %v", n, consumed, err)
	}
	// The only data packet is lost: nothing follows it to reveal the loss
	// by packet or time threshold, so only the probe timeout can.
	exp := p.client.Expiry()
	pto, _ := p.client.ptoTimer()
	if exp != pto {
		t.Fatalf("Expiry %d is not the PTO timer %d", exp, pto)
	}
	p.ts = exp
	if err := p.client.HandleExpiry(p.ts); err != nil {
		t.Fatal(err)
	}
	if p.client.Info().ProbeTimeouts != 1 {
		t.Fatalf("PTO did not fire at Expiry")
	}
	p.settle()
	if string(p.srvRecv[id]) != "tail" || !p.srvFin[id] {
		t.Fatalf("after PTO the server has %q fin %v, want \"tail\" with fin", p.srvRecv[id], p.srvFin[id])
	}
	if p.client.Info().PTOCount != 0 {
		t.Errorf("PTO count not reset by the ACK")
	}
}

func TestConnHandshakeSurvivesLostFirstFlights(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fromClient bool
	}{{"client Initial lost", true}, {"server first flight lost", false}} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, pairOpts{})
			dropped := 0
			p.drop = func(fromClient bool, d []byte) bool {
				if fromClient == tc.fromClient && dropped == 0 {
					dropped++
					return true
				}
				return false
			}
			p.settle()
			if !p.client.HandshakeCompleted() || p.server == nil || !p.server.HandshakeCompleted() {
				t.Fatalf("handshake did not recover from the loss")
			}
			if dropped == 0 {
				t.Fatal("nothing was dropped")
			}
		})
	}
}

func TestConnCongestionWindowLimitsInFlight(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	data := make([]byte, 1<<20)
	sent := 0
	for {
		n, consumed, err := p.client.WriteStream(nil, nil, p.buf, 0, id, data[sent:], p.ts)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		sent += consumed
	}
	cwnd := p.client.cc.Window()
	if inf := p.client.inFlight; inf < cwnd-uint64(p.client.maxDatagram) || inf > cwnd+uint64(p.client.maxDatagram) {
		t.Fatalf("stopped with %d bytes in flight, want about the window %d", inf, cwnd)
	}
	if sent >= len(data) {
		t.Fatalf("sent everything (%d) without acknowledgments", sent)
	}
}

func TestConnAckRangesReportReordering(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	var held []byte
	for i := 0; i < 3; i++ {
		n, _, err := p.client.WriteStream(nil, nil, p.buf, 0, id, []byte{byte('a' + i)}, p.ts)
		if err != nil || n == 0 {
			t.Fatal(err)
		}
		if i == 1 {
			held = append([]byte(nil), p.buf[:n]...)
			continue
		}
		p.deliver(true, p.buf[:n])
	}
	r := &p.server.spaces[spaceApp].recv
	if r.pns.len() != 2 || !r.immediate {
		t.Fatalf("after a gap: %d ranges, immediate ACK %v; want 2 ranges and an immediate ACK", r.pns.len(), r.immediate)
	}
	p.deliver(true, held)
	if string(p.srvRecv[id]) != "abc" {
		t.Fatalf("reassembled %q, want \"abc\"", p.srvRecv[id])
	}
	if r.pns.len() != 1 {
		t.Errorf("the late packet did not fill the gap: %d ranges", r.pns.len())
	}
}

func TestConnBuffersPacketsArrivingBeforeTheirKeys(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	for {
		n, err := p.client.WritePkt(nil, nil, p.buf, p.ts)
		if err != nil || n == 0 {
			break
		}
		p.deliver(true, p.buf[:n])
	}
	// Collect the server's flight and hand it to the client backwards:
	// Handshake packets arrive before the Initial that brings their keys.
	var flight [][]byte
	for {
		n, err := p.server.WritePkt(nil, nil, p.buf, p.ts)
		if err != nil || n == 0 {
			break
		}
		flight = append(flight, append([]byte(nil), p.buf[:n]...))
	}
	if len(flight) < 2 {
		t.Fatalf("server flight has %d datagrams", len(flight))
	}
	for i := len(flight) - 1; i >= 0; i-- {
		p.deliver(false, flight[i])
	}
	if !p.client.HandshakeCompleted() {
		t.Fatalf("client did not complete the handshake from a reordered flight")
	}
	if len(p.client.undecryptable) != 0 {
		t.Errorf("%d packets left buffered", len(p.client.undecryptable))
	}
	p.handshake()
}

// After HandleExpiry(ts) and writing everything, Expiry must be in the
// future, or an event loop would spin.
func TestConnExpiryMovesForward(t *testing.T) {
	p := establishedPair(t)
	n := 0
	p.drop = func(fromClient bool, d []byte) bool { n++; return n%10 == 0 }
	id, _ := p.client.OpenBidiStream(nil)
	data := make([]byte, 200<<10)
	for step := 0; step < 5000; step++ {
		// Write and exchange until nothing moves, as an event loop does.
		for moved := true; moved; {
			moved = false
			if len(data) > 0 {
				m, consumed, _ := p.client.WriteStream(nil, nil, p.buf, WriteStreamFlagFin, id, data, p.ts)
				data = data[consumed:]
				if m > 0 {
					moved = true
					p.deliver(true, p.buf[:m])
				}
			}
			for _, c := range []*Conn{p.client, p.server} {
				for {
					m, err := c.WritePkt(nil, nil, p.buf, p.ts)
					if err != nil || m == 0 {
						break
					}
					moved = true
					p.deliver(c == p.client, p.buf[:m])
				}
			}
		}
		if len(data) == 0 && p.srvFin[id] {
			return
		}
		next := min(p.client.Expiry(), p.server.Expiry())
		if next <= p.ts || next == TstampMax {
			t.Fatalf("step %d: Expiry %d is not after ts %d once everything was handled and written", step, next, p.ts)
		}
		p.ts = next
		p.client.HandleExpiry(p.ts)
		p.server.HandleExpiry(p.ts)
		if p.client.IsClosed() || p.server.IsClosed() {
			t.Fatalf("step %d: a side closed (%v / %v) with %d bytes left", step, p.client.CloseError(), p.server.CloseError(), len(data))
		}
	}
	t.Fatalf("transfer did not finish: server has %d bytes", len(p.srvRecv[id]))
}

func TestConnRTTSample(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	sent := p.ts
	for i := 0; i < 2; i++ { // two packets: the server acknowledges at once
		n, _, _ := p.client.WriteStream(nil, nil, p.buf, 0, id, []byte("rtt"), p.ts)
		p.ts = sent + Tstamp(5*Milliseconds)
		p.deliver(true, p.buf[:n])
		p.ts = sent
	}
	p.ts = sent + Tstamp(5*Milliseconds)
	n, _ := p.server.WritePkt(nil, nil, p.buf, p.ts)
	if n == 0 {
		t.Fatal("no immediate ACK")
	}
	p.ts = sent + Tstamp(10*Milliseconds)
	p.deliver(false, p.buf[:n])
	if got := p.client.Info().LatestRTT; got != 10*Milliseconds {
		t.Fatalf("latest RTT %v, want 10ms (sent at t, acknowledged at t+10ms)", got)
	}
	if s := p.client.Info().SmoothedRTT; s > 100*Milliseconds {
		t.Errorf("smoothed RTT %v far above the samples", s)
	}
}
