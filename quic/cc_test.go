package quic

import (
	"math"
	"testing"
)

const testMDS = 1200

func TestNewRenoSlowStartGrowsByAckedBytes(t *testing.T) {
	c := NewReno(testMDS)
	w := c.Window()
	c.OnPacketAcked(Tstamp(Seconds), 1200, Tstamp(Seconds)-1, &RTTStats{Smoothed: ms(10)})
	if c.Window() != w+1200 {
		t.Fatalf("cwnd %d, want %d: slow start adds the acknowledged bytes (RFC 9002, Section 7.3.1)", c.Window(), w+1200)
	}
}

func TestNewRenoHalvesOnLossOncePerRecoveryPeriod(t *testing.T) {
	c := NewReno(testMDS)
	c.cwnd = 100 * testMDS
	c.OnPacketsLost(Tstamp(2*Seconds), 1200, Tstamp(Seconds))
	if c.Window() != 50*testMDS {
		t.Fatalf("cwnd %d after a loss, want half of %d", c.Window(), 100*testMDS)
	}
	c.OnPacketsLost(Tstamp(2*Seconds)+1, 1200, Tstamp(2*Seconds)-1)
	if c.Window() != 50*testMDS {
		t.Fatalf("a second loss of a packet sent before recovery started reduced cwnd again to %d (RFC 9002, Section 7.3.2)", c.Window())
	}
	c.OnPacketsLost(Tstamp(3*Seconds), 1200, Tstamp(2*Seconds)+5)
	if c.Window() != 25*testMDS {
		t.Fatalf("a loss of a packet sent after recovery started must reduce again: cwnd %d", c.Window())
	}
}

func TestCubicReducesWindowByBeta(t *testing.T) {
	c := NewCubic(testMDS)
	c.cwnd = 100 * testMDS
	c.OnPacketsLost(Tstamp(Seconds), 1200, Tstamp(Seconds)-1)
	if c.Window() != 70*testMDS {
		t.Fatalf("cwnd %d after a loss, want 70%% of %d (beta_cubic 0.7, RFC 9438, Section 4.6)", c.Window(), 100*testMDS)
	}
	if c.wMax != 100 {
		t.Fatalf("W_max %v, want 100 segments", c.wMax)
	}
}

func TestCubicFastConvergenceLowersWMax(t *testing.T) {
	c := NewCubic(testMDS)
	c.cwnd = 100 * testMDS
	c.OnPacketsLost(Tstamp(Seconds), 1200, Tstamp(Seconds)-1) // W_max 100, cwnd 70
	c.inRecovery = false
	c.OnPacketsLost(Tstamp(2*Seconds), 1200, Tstamp(2*Seconds)-1) // cwnd 70 < W_max
	if want := 70 * (1 + cubicBeta) / 2; math.Abs(c.wMax-want) > 1e-9 {
		t.Fatalf("W_max %v, want %v: a loss below the previous W_max releases bandwidth (RFC 9438, Section 4.7)", c.wMax, want)
	}
}

// cubicAvoidance runs CUBIC in congestion avoidance for d with one ACK
// of a full window each RTT, and returns the window in segments.
func cubicAvoidance(c *CubicCC, start Tstamp, d, rtt Duration) float64 {
	st := &RTTStats{Smoothed: rtt, HasSample: true}
	for ts := start; ts < start+Tstamp(d); ts += Tstamp(rtt) {
		w := c.Window()
		for acked := uint64(0); acked < w; acked += testMDS {
			c.OnPacketAcked(ts, testMDS, ts-Tstamp(rtt), st)
		}
	}
	return float64(c.Window()) / testMDS
}

func TestCubicConcaveGrowthReachesWMaxNearK(t *testing.T) {
	c := NewCubic(testMDS)
	c.cwnd = 1000 * testMDS
	t0 := Tstamp(Seconds)
	c.OnPacketsLost(t0, 1200, t0-1)
	k := math.Cbrt(1000 * (1 - cubicBeta) / cubicC) // 8.43 s
	w := cubicAvoidance(c, t0+1, Duration(k*float64(Seconds)), ms(100))
	if w < 950 || w > 1050 {
		t.Fatalf("window %.0f segments after K = %.2f s, want close to W_max 1000 (RFC 9438, Section 4.2: W_cubic(K) = W_max)", w, k)
	}
}

func TestCubicRenoFriendlyRegionWithShortRTT(t *testing.T) {
	// With a small window and a long RTT the cubic curve is slow and the
	// Reno estimate leads: the window must grow at least like W_est.
	c := NewCubic(testMDS)
	c.cwnd = 20 * testMDS
	t0 := Tstamp(Seconds)
	c.OnPacketsLost(t0, 1200, t0-1) // cwnd 14, W_max 20
	before := float64(c.Window()) / testMDS
	w := cubicAvoidance(c, t0+1, 10*ms(500), ms(500))
	// Ten RTTs at alpha_cubic (0.53) per RTT: about 5 segments.
	if w < before+4 {
		t.Fatalf("window grew from %.1f to %.1f segments in 10 RTTs, want at least the Reno-friendly %.1f (RFC 9438, Section 4.3)", before, w, before+10*cubicAlpha)
	}
}

func TestCubicPersistentCongestionMinimumWindow(t *testing.T) {
	c := NewCubic(testMDS)
	c.cwnd = 100 * testMDS
	c.OnPersistentCongestion(Tstamp(Seconds))
	if c.Window() != 2*testMDS {
		t.Fatalf("cwnd %d, want the minimum window %d", c.Window(), 2*testMDS)
	}
}

type countingCC struct {
	NewRenoCC
	sent int
}

func (c *countingCC) OnPacketSent(ts Tstamp, bytes uint64) { c.sent++ }

func TestSettingsCongestionControlSelectsController(t *testing.T) {
	if _, ok := bareConn(t, Settings{}).cc.(*NewRenoCC); !ok {
		t.Error("the default controller is not NewReno")
	}
	if _, ok := bareConn(t, Settings{CongestionControl: CCCubic}).cc.(*CubicCC); !ok {
		t.Error("CongestionControl: CCCubic did not give a CubicCC")
	}
	mine := &countingCC{NewRenoCC: *NewReno(testMDS)}
	c := bareConn(t, Settings{CongestionControl: CCCubic,
		NewCC: func(uint64) CongestionController { return mine }})
	sendFake(c, spaceApp, Tstamp(Seconds))
	if mine.sent != 1 {
		t.Errorf("a user's controller from Settings.NewCC saw %d sent packets, want 1", mine.sent)
	}
}

func TestPacerLetsBurstThenWaits(t *testing.T) {
	var p pacer
	const cwnd, srtt = 100 * testMDS, 100 * Milliseconds
	ts := Tstamp(Seconds)
	for i := 0; i < 10; i++ {
		if !p.check(ts, cwnd, srtt, testMDS, 10) {
			t.Fatalf("datagram %d of the burst held back", i)
		}
		p.onSent(testMDS)
	}
	if p.check(ts, cwnd, srtt, testMDS, 10) {
		t.Fatal("an 11th datagram at the same instant passed a burst of 10")
	}
	// The rate is 1.25 * cwnd / srtt: one datagram every 0.8 ms.
	if want := ts + Tstamp(800*Microseconds); p.wait < want-2 || p.wait > want+2 {
		t.Fatalf("pacer wait %v, want %v (N = 1.25, RFC 9002, Section 7.7)", p.wait, want)
	}
	if !p.check(p.wait, cwnd, srtt, testMDS, 10) {
		t.Fatal("the pacer still holds the datagram back at its own wait time")
	}
}

func TestPacerDisabledByNegativeBurst(t *testing.T) {
	var p pacer
	for i := 0; i < 100; i++ {
		if !p.check(Tstamp(Seconds), 12000, ms(100), testMDS, -1) {
			t.Fatal("pacing with PacingBurst < 0 held a datagram back")
		}
		p.onSent(testMDS)
	}
}

func TestPacingWaitIsInExpiry(t *testing.T) {
	p := establishedPair(t)
	// The pair exchanges datagrams at one instant: give the client an RTT
	// and a window the pacer (not the congestion window) must spread out.
	p.client.rtt.update(ms(50), 0)
	p.client.cc.(*NewRenoCC).cwnd = 100 * 1200
	id, _ := p.client.OpenBidiStream(nil)
	data := make([]byte, 1<<20)
	held := false
	for i := 0; i < 100; i++ {
		n, consumed, err := p.client.WriteStream(nil, nil, p.buf, WriteStreamFlagNone, id, data, p.ts)
		data = data[consumed:]
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			held = true
			break
		}
	}
	w := p.client.PacingWait()
	if !held || w == 0 {
		t.Fatalf("writes at one instant were never held back by the pacer (held %v, wait %v)", held, w)
	}
	if p.client.Info().BytesInFlight >= p.client.Info().CWND {
		t.Fatal("the congestion window, not the pacer, stopped the writes")
	}
	if e := p.client.Expiry(); e > w {
		t.Fatalf("Expiry %v is later than the pacing wait %v: an event loop would not wake to send", e, w)
	}
	p.client.HandleExpiry(w)
	if n, _, _ := p.client.WriteStream(nil, nil, p.buf, WriteStreamFlagNone, id, data, w); n == 0 {
		t.Fatal("no datagram could be written at the pacing wait time")
	}
}
