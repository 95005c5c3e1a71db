package quic

import "math"

// CUBIC congestion control (RFC 9438), in bytes, for QUIC (RFC 9002
// supplies slow start, recovery periods and persistent congestion; CUBIC
// replaces the congestion avoidance growth and the reduction factor).

const (
	// cubicC: RFC 9438, Section 5: "C SHOULD be set to 0.4".
	cubicC = 0.4
	// cubicBeta: RFC 9438, Section 4.6: "beta_cubic SHOULD be set to 0.7".
	cubicBeta = 0.7
	// cubicAlpha: RFC 9438, Section 4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta).
	cubicAlpha = 3 * (1 - cubicBeta) / (1 + cubicBeta)
)

// CubicCC is the CUBIC congestion controller of RFC 9438 with the
// Reno-friendly region (Section 4.3) and fast convergence (Section 4.7).
type CubicCC struct {
	mds      uint64 // max datagram size, the segment of RFC 9438
	cwnd     uint64
	ssthresh uint64

	inRecovery    bool
	recoveryStart Tstamp

	// The state of the current congestion avoidance epoch, in segments
	// (floats, as the RFC's formulas are).
	epochStarted bool
	epochStart   Tstamp
	wMax         float64 // W_max: the window before the last reduction
	k            float64 // K in seconds
	wEst         float64 // W_est: the Reno-friendly estimate
	ackedBytes   uint64  // bytes acknowledged since cwnd last grew by a segment in W_est
}

// NewCubic returns a CUBIC controller for datagrams of maxDatagramSize.
func NewCubic(maxDatagramSize uint64) *CubicCC {
	c := &CubicCC{mds: maxDatagramSize, ssthresh: ^uint64(0)}
	c.cwnd = initialWindow(maxDatagramSize)
	return c
}

// Window implements CongestionController.
func (c *CubicCC) Window() uint64 { return c.cwnd }

// OnPacketSent implements CongestionController.
func (c *CubicCC) OnPacketSent(ts Tstamp, bytes uint64) {}

// OnPacketDiscarded implements CongestionController.
func (c *CubicCC) OnPacketDiscarded(bytes uint64) {}

// wCubic is W_cubic(t) = C*(t-K)^3 + W_max (RFC 9438, Section 4.2),
// t in seconds, in segments.
func (c *CubicCC) wCubic(t float64) float64 {
	d := t - c.k
	return cubicC*d*d*d + c.wMax
}

// OnPacketAcked implements CongestionController.
func (c *CubicCC) OnPacketAcked(ts Tstamp, bytes uint64, sentTime Tstamp, rtt *RTTStats) {
	// RFC 9002, Section 7.3.2: packets sent before recovery started do not
	// grow the window; the first one sent after it ends the period.
	if c.inRecovery && sentTime <= c.recoveryStart {
		return
	}
	c.inRecovery = false
	if c.cwnd < c.ssthresh {
		c.cwnd += bytes // slow start (RFC 9438, Section 4.10)
		return
	}
	mds := float64(c.mds)
	cwndSeg := float64(c.cwnd) / mds
	if !c.epochStarted {
		// RFC 9438, Section 4.2: a new epoch starts with the first ACK in
		// congestion avoidance; after slow start without a loss, W_max is
		// the current window and K is 0.
		c.epochStarted = true
		c.epochStart = ts
		if c.wMax < cwndSeg {
			c.wMax = cwndSeg
			c.k = 0
		} else {
			c.k = math.Cbrt((c.wMax - cwndSeg) / cubicC)
		}
		c.wEst = cwndSeg
		c.ackedBytes = 0
	}
	t := float64(ts-c.epochStart) / float64(Seconds)
	rttSec := float64(rtt.Smoothed) / float64(Seconds)
	// RFC 9438, Section 4.3: W_est grows by alpha_cubic segments per
	// window acknowledged, and by one once it passed W_max.
	alpha := cubicAlpha
	if c.wEst >= c.wMax {
		alpha = 1
	}
	c.wEst += alpha * float64(bytes) / float64(c.cwnd)
	// RFC 9438, Section 4.2: "target = W_cubic(t + RTT)", bounded to
	// [cwnd, 1.5*cwnd].
	target := c.wCubic(t + rttSec)
	if target < cwndSeg {
		target = cwndSeg
	}
	if target > 1.5*cwndSeg {
		target = 1.5 * cwndSeg
	}
	if c.wCubic(t) < c.wEst {
		// The Reno-friendly region: "cwnd SHOULD be set to W_est".
		if w := uint64(c.wEst * mds); w > c.cwnd {
			c.cwnd = w
		}
		return
	}
	// Concave and convex regions: "cwnd MUST be incremented by
	// (target - cwnd) / cwnd" segments per segment acknowledged.
	inc := (target - cwndSeg) / cwndSeg * float64(bytes)
	c.cwnd += uint64(inc)
}

// OnPacketsLost implements CongestionController (RFC 9438, Section 4.6).
// An ECN-CE report comes here too, with lostBytes 0.
func (c *CubicCC) OnPacketsLost(ts Tstamp, lostBytes uint64, largestLostSentTime Tstamp) {
	if c.inRecovery && largestLostSentTime <= c.recoveryStart {
		return
	}
	c.inRecovery = true
	c.recoveryStart = ts
	cwndSeg := float64(c.cwnd) / float64(c.mds)
	// RFC 9438, Section 4.7: fast convergence: "if cwnd < W_max ...
	// W_max = cwnd * (1 + beta_cubic) / 2", release bandwidth for new flows.
	if cwndSeg < c.wMax {
		c.wMax = cwndSeg * (1 + cubicBeta) / 2
	} else {
		c.wMax = cwndSeg
	}
	c.ssthresh = uint64(float64(c.cwnd) * cubicBeta)
	if m := 2 * c.mds; c.ssthresh < m {
		c.ssthresh = m
	}
	c.cwnd = c.ssthresh
	c.epochStarted = false
}

// OnPersistentCongestion implements CongestionController: RFC 9002,
// Section 7.6.2, the window collapses to the minimum and CUBIC starts
// over from slow start (RFC 9438, Section 4.8).
func (c *CubicCC) OnPersistentCongestion(ts Tstamp) {
	c.ssthresh = uint64(float64(c.cwnd) * cubicBeta)
	if m := 2 * c.mds; c.ssthresh < m {
		c.ssthresh = m
	}
	c.cwnd = 2 * c.mds
	c.wMax = 0
	c.epochStarted = false
	c.inRecovery = false
}
