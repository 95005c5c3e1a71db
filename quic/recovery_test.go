package quic

import (
	"crypto/tls"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Unit tests of RFC 9002's rules on a bare Conn with synthetic time:
// packets are put in flight by hand and the rule under test is run.

func bareConn(t *testing.T, s Settings) *Conn {
	t.Helper()
	c := newConn(&Config{TLS: &tls.Config{}, Settings: s}, false, Tstamp(Seconds))
	return c
}

// sendFake tracks an ack-eliciting, in-flight packet of 1200 bytes sent at ts.
func sendFake(c *Conn, sid spaceID, ts Tstamp) int64 {
	sp := &c.spaces[sid]
	p := sp.sent.get()
	p.pn = sp.nextPN
	sp.nextPN++
	p.frames = append(p.frames, frameRec{kind: fkPing})
	b := pktBuilder{sid: sid, pn: p.pn, sp: p}
	p.ackEliciting, p.inFlight = true, true
	c.onPacketSent(&b, 1200, ts)
	return p.pn
}

func ackFrame(largest, smallest uint64, ackDelay uint64) *wire.Frame {
	return &wire.Frame{Type: wire.FrameAck, RawType: wire.FrameAck,
		AckRanges: []wire.AckRange{{Smallest: smallest, Largest: largest}}, AckDelay: ackDelay}
}

func ms(n int) Duration { return Duration(n) * Milliseconds }

func TestRTTFirstSampleSetsSmoothedAndHalfVar(t *testing.T) {
	var r RTTStats
	r.init(333 * Milliseconds)
	r.update(ms(100), ms(20))
	if r.Smoothed != ms(100) || r.Var != ms(50) || r.Min != ms(100) {
		t.Fatalf("after the first sample of 100 ms: smoothed %v var %v min %v, want 100 ms, 50 ms and 100 ms (RFC 9002, Section 5.3: ack delay ignored on the first sample)", r.Smoothed, r.Var, r.Min)
	}
}

func TestRTTAckDelaySubtractedOnlyAboveMinRTT(t *testing.T) {
	var r RTTStats
	r.init(333 * Milliseconds)
	r.update(ms(100), 0)
	r.update(ms(120), ms(10)) // 120 >= 100+10: adjusted 110
	if want := (7*ms(100) + ms(110)) / 8; r.Smoothed != want {
		t.Fatalf("smoothed %v, want %v: an ack delay that keeps the sample above min_rtt is subtracted", r.Smoothed, want)
	}
	s := r.Smoothed
	r.update(ms(105), ms(10)) // 105 < 100+10: not adjusted
	if want := (7*s + ms(105)) / 8; r.Smoothed != want {
		t.Fatalf("smoothed %v, want %v: an ack delay that would go below min_rtt is not subtracted", r.Smoothed, want)
	}
}

func TestRTTMinRTTIgnoresAckDelay(t *testing.T) {
	var r RTTStats
	r.init(333 * Milliseconds)
	r.update(ms(100), 0)
	r.update(ms(80), ms(50))
	if r.Min != ms(80) {
		t.Fatalf("min_rtt %v, want 80 ms: min_rtt is the raw latest RTT, ack delay not subtracted (RFC 9002, Section 5.2)", r.Min)
	}
}

func TestRTTAckDelayCappedByMaxAckDelayAfterConfirmation(t *testing.T) {
	for _, confirmed := range []bool{false, true} {
		c := bareConn(t, Settings{})
		c.handshakeConfirmed = confirmed
		t0 := Tstamp(Seconds)
		sendFake(c, spaceApp, t0)
		sendFake(c, spaceApp, t0+Tstamp(ms(200)))
		// First sample 100 ms, then 300 ms with a claimed 200 ms ack delay.
		if err := c.recvAck(spaceApp, ackFrame(0, 0, 0), t0+Tstamp(ms(100))); err != nil {
			t.Fatal(err)
		}
		delay := uint64(200_000) >> 3 // 200 ms in units of 2^3 µs
		if err := c.recvAck(spaceApp, ackFrame(1, 1, delay), t0+Tstamp(ms(500))); err != nil {
			t.Fatal(err)
		}
		// Confirmed: delay capped at the default max_ack_delay of 25 ms,
		// adjusted 275 ms. Not confirmed: the full 200 ms, adjusted 100 ms.
		adjusted := ms(100)
		if confirmed {
			adjusted = ms(275)
		}
		if want := (7*ms(100) + adjusted) / 8; c.rtt.Smoothed != want {
			t.Errorf("confirmed=%v: smoothed %v, want %v (ack delay limited by max_ack_delay only once the handshake is confirmed, RFC 9002, Section 5.3)",
				confirmed, c.rtt.Smoothed, want)
		}
	}
}

func TestLossPacketThresholdDeclaresPacketThreeBelowLargestLost(t *testing.T) {
	c := bareConn(t, Settings{})
	t0 := Tstamp(Seconds)
	for i := 0; i < 5; i++ {
		sendFake(c, spaceApp, t0)
	}
	// Acknowledge 3 and 4 at once: 0 and 1 are 3 or more below 4, 2 is not.
	if err := c.recvAck(spaceApp, ackFrame(4, 3, 0), t0+Tstamp(ms(10))); err != nil {
		t.Fatal(err)
	}
	if c.stats.lost != 2 {
		t.Fatalf("%d packets declared lost, want 2: packets 0 and 1 (kPacketThreshold 3, RFC 9002, Section 6.1.1)", c.stats.lost)
	}
	if len(c.spaces[spaceApp].sent.pkts) != 1 || c.spaces[spaceApp].sent.pkts[0].pn != 2 {
		t.Fatalf("packet 2 should still be outstanding")
	}
	if c.spaces[spaceApp].lossTime == 0 {
		t.Fatalf("no loss timer armed for packet 2, which the time threshold will declare lost")
	}
}

func TestLossTimeThresholdIsNineEighthsOfRTT(t *testing.T) {
	c := bareConn(t, Settings{})
	t0 := Tstamp(Seconds)
	sendFake(c, spaceApp, t0)
	sendFake(c, spaceApp, t0+Tstamp(ms(10)))
	if err := c.recvAck(spaceApp, ackFrame(1, 1, 0), t0+Tstamp(ms(110))); err != nil {
		t.Fatal(err)
	}
	// latest_rtt = smoothed = 100 ms: packet 0 is lost 112.5 ms after it was sent.
	lt, sid := c.lossTimer()
	if want := t0 + Tstamp(ms(100)*9/8); lt != want || sid != spaceApp {
		t.Fatalf("loss timer %v in space %d, want %v in the application space (9/8 of the RTT after sending, RFC 9002, Section 6.1.2)", lt, sid, want)
	}
	if c.Expiry() > lt {
		t.Fatalf("Expiry %v is after the loss timer %v", c.Expiry(), lt)
	}
	c.HandleExpiry(lt - 1)
	if c.stats.lost != 0 {
		t.Fatal("packet 0 was declared lost before its time threshold")
	}
	c.HandleExpiry(lt)
	if c.stats.lost != 1 {
		t.Fatal("packet 0 was not declared lost when the loss timer fired")
	}
}

func TestLossTimeThresholdHasGranularityFloor(t *testing.T) {
	c := bareConn(t, Settings{})
	c.rtt.update(Microseconds*100, 0)
	if d := c.lossDelay(); d != timerGranularity {
		t.Fatalf("loss delay %v for a 100 µs RTT, want kGranularity (1 ms)", d)
	}
}

func TestPTOBackoffDoublesPerTimeout(t *testing.T) {
	c := bareConn(t, Settings{})
	c.handshakeConfirmed = true
	t0 := Tstamp(Seconds)
	sendFake(c, spaceApp, t0)
	c.rtt.update(ms(100), 0)
	base := c.rtt.pto(0) + c.peerMaxAckDelay()
	pt, _ := c.ptoTimer()
	if pt != t0+Tstamp(base) {
		t.Fatalf("PTO at %v, want %v (smoothed + max(4*rttvar, 1 ms) + max_ack_delay after the last ack-eliciting packet)", pt, t0+Tstamp(base))
	}
	c.HandleExpiry(pt)
	if c.ptoCount != 1 || c.spaces[spaceApp].probes != 2 {
		t.Fatalf("after the PTO: count %d probes %d, want 1 and 2 (RFC 9002, Section 6.2.4: one or two probes)", c.ptoCount, c.spaces[spaceApp].probes)
	}
	pt2, _ := c.ptoTimer()
	if pt2 != t0+Tstamp(2*base) {
		t.Fatalf("second PTO at %v, want %v: the period doubles (RFC 9002, Section 6.2.1)", pt2, t0+Tstamp(2*base))
	}
}

func TestPTOSkipsApplicationSpaceUntilConfirmed(t *testing.T) {
	c := bareConn(t, Settings{})
	t0 := Tstamp(Seconds)
	sendFake(c, spaceApp, t0)
	c.handshakeCompleted = true
	if pt, _ := c.ptoTimer(); pt != TstampMax {
		t.Fatalf("PTO armed at %v for 1-RTT data before the handshake is confirmed (RFC 9002, Appendix A.8: skip Application Data)", pt)
	}
}

func TestPTOClientArmsWithNothingInFlight(t *testing.T) {
	c := bareConn(t, Settings{})
	pt, sid := c.ptoTimer()
	if pt == TstampMax || sid != spaceInitial {
		t.Fatalf("client without packets in flight: PTO %v space %d, want armed for Initial (anti-deadlock, RFC 9002, Section 6.2.2.1)", pt, sid)
	}
	c.server = true
	c.addrValidated = true
	if pt, _ := c.ptoTimer(); pt != TstampMax {
		t.Fatalf("a server with nothing in flight armed its PTO at %v", pt)
	}
}

func TestPTOServerAtAmplificationLimitArmsNoTimer(t *testing.T) {
	c := bareConn(t, Settings{})
	c.server = true
	c.addrValidated = false
	sendFake(c, spaceInitial, Tstamp(Seconds))
	if pt, _ := c.ptoTimer(); pt != TstampMax {
		t.Fatalf("a server that may not send (amplification limit) armed its PTO at %v", pt)
	}
}

func TestPersistentCongestionCollapsesWindow(t *testing.T) {
	c := bareConn(t, Settings{})
	t0 := Tstamp(Seconds)
	sendFake(c, spaceApp, t0)
	c.recvAck(spaceApp, ackFrame(0, 0, 0), t0+Tstamp(ms(50))) // RTT sample 50 ms
	dur := c.persistentCongestionDuration()
	// Packets 1..5 span more than the duration, then 6..8 are acked.
	start := t0 + Tstamp(ms(60))
	for i := 0; i < 5; i++ {
		sendFake(c, spaceApp, start+Tstamp(dur)*Tstamp(i)/3)
	}
	for i := 0; i < 3; i++ {
		sendFake(c, spaceApp, start+Tstamp(2*dur))
	}
	c.recvAck(spaceApp, ackFrame(8, 6, 0), start+Tstamp(2*dur)+Tstamp(ms(50)))
	if c.stats.persistent != 1 {
		t.Fatalf("persistent congestion not declared for lost packets spanning %v > %v (RFC 9002, Section 7.6)", dur*4/3, dur)
	}
	if w := c.cc.Window(); w != 2*uint64(c.maxDatagram) {
		t.Fatalf("cwnd %d after persistent congestion, want the minimum window %d", w, 2*c.maxDatagram)
	}
}

func TestPersistentCongestionNotDeclaredWhenPacketBetweenAcked(t *testing.T) {
	c := bareConn(t, Settings{})
	t0 := Tstamp(Seconds)
	sendFake(c, spaceApp, t0)
	c.recvAck(spaceApp, ackFrame(0, 0, 0), t0+Tstamp(ms(50)))
	dur := c.persistentCongestionDuration()
	start := t0 + Tstamp(ms(60))
	for i := 0; i < 5; i++ {
		sendFake(c, spaceApp, start+Tstamp(dur)*Tstamp(i)/3) // pn 1..5
	}
	for i := 0; i < 3; i++ {
		sendFake(c, spaceApp, start+Tstamp(2*dur)) // pn 6..8
	}
	// Packet 3, in the middle of the lost run, was acknowledged earlier.
	c.recvAck(spaceApp, ackFrame(3, 3, 0), start+Tstamp(dur))
	c.recvAck(spaceApp, ackFrame(8, 6, 0), start+Tstamp(2*dur)+Tstamp(ms(50)))
	if c.stats.persistent != 0 {
		t.Fatal("persistent congestion declared although a packet sent within the period was acknowledged")
	}
}

func TestPersistentCongestionIgnoresPacketsBeforeFirstSample(t *testing.T) {
	c := bareConn(t, Settings{})
	t0 := Tstamp(Seconds)
	dur := 3 * c.rtt.pto(c.peerMaxAckDelay())
	for i := 0; i < 5; i++ {
		sendFake(c, spaceApp, t0+Tstamp(dur)*Tstamp(i)/3)
	}
	for i := 0; i < 3; i++ {
		sendFake(c, spaceApp, t0+Tstamp(2*dur))
	}
	c.recvAck(spaceApp, ackFrame(7, 5, 0), t0+Tstamp(2*dur)+Tstamp(ms(50)))
	if c.stats.persistent != 0 {
		t.Fatal("persistent congestion declared from packets sent before the first RTT sample")
	}
}

func TestDiscardSpaceRemovesBytesInFlightWithoutLoss(t *testing.T) {
	c := bareConn(t, Settings{})
	sendFake(c, spaceInitial, Tstamp(Seconds))
	sendFake(c, spaceApp, Tstamp(Seconds))
	w := c.cc.Window()
	c.discardSpace(spaceInitial)
	if c.inFlight != 1200 || c.stats.lost != 0 || c.cc.Window() != w {
		t.Fatalf("after discarding Initial: in flight %d lost %d cwnd %d, want 1200, 0 and %d (RFC 9002, Section 6.4)", c.inFlight, c.stats.lost, c.cc.Window(), w)
	}
	if c.spaces[spaceInitial].ackElicitingInFlight != 0 || c.spaces[spaceInitial].lossTime != 0 {
		t.Fatal("the discarded space keeps loss detection state")
	}
}
