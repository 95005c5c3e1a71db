package quic

// NewRenoCC is the congestion controller of RFC 9002, Section 7 (NewReno
// with slow start, congestion avoidance and one reduction per recovery
// period). It is the default; Settings.NewCC plugs in others.
type NewRenoCC struct {
	maxDatagramSize uint64
	cwnd            uint64
	ssthresh        uint64
	ackedBytes      uint64 // congestion avoidance accumulator
	recoveryStart   Tstamp
	inRecovery      bool
}

// NewReno returns a NewReno controller for datagrams of maxDatagramSize.
func NewReno(maxDatagramSize uint64) *NewRenoCC {
	c := &NewRenoCC{maxDatagramSize: maxDatagramSize, ssthresh: ^uint64(0)}
	c.cwnd = initialWindow(maxDatagramSize)
	return c
}

// initialWindow: "min(10 * max_datagram_size, max(14720, 2 *
// max_datagram_size))" (RFC 9002, Section 7.2).
func initialWindow(mds uint64) uint64 {
	w := 2 * mds
	if w < 14720 {
		w = 14720
	}
	if m := 10 * mds; m < w {
		w = m
	}
	return w
}

func (c *NewRenoCC) minWindow() uint64 { return 2 * c.maxDatagramSize }

// Window implements CongestionController.
func (c *NewRenoCC) Window() uint64 { return c.cwnd }

// OnPacketSent implements CongestionController.
func (c *NewRenoCC) OnPacketSent(ts Tstamp, bytes uint64) {}

// OnPacketAcked implements CongestionController (RFC 9002, Section 7.3).
func (c *NewRenoCC) OnPacketAcked(ts Tstamp, bytes uint64, sentTime Tstamp, rtt *RTTStats) {
	// "Packets sent before the recovery period started do not increase
	// the window."
	if c.inRecovery && sentTime <= c.recoveryStart {
		return
	}
	c.inRecovery = false
	if c.cwnd < c.ssthresh {
		c.cwnd += bytes
		return
	}
	c.ackedBytes += bytes
	if c.ackedBytes >= c.cwnd {
		c.ackedBytes -= c.cwnd
		c.cwnd += c.maxDatagramSize
	}
}

// OnPacketsLost implements CongestionController (RFC 9002, Section 7.3.2).
// An ECN-CE report comes here too, with lostBytes 0 (Section 7.1).
func (c *NewRenoCC) OnPacketsLost(ts Tstamp, lostBytes uint64, largestLostSentTime Tstamp) {
	if c.inRecovery && largestLostSentTime <= c.recoveryStart {
		return
	}
	c.inRecovery = true
	c.recoveryStart = ts
	c.ssthresh = c.cwnd / 2
	if c.ssthresh < c.minWindow() {
		c.ssthresh = c.minWindow()
	}
	c.cwnd = c.ssthresh
	c.ackedBytes = 0
}

// OnPersistentCongestion implements CongestionController (RFC 9002,
// Section 7.6.2: the window collapses to the minimum).
func (c *NewRenoCC) OnPersistentCongestion(ts Tstamp) {
	c.cwnd = c.minWindow()
	c.ackedBytes = 0
	c.inRecovery = false
}

// OnPacketDiscarded implements CongestionController.
func (c *NewRenoCC) OnPacketDiscarded(bytes uint64) {}

// CCAlgo picks a built-in congestion controller (Settings.CongestionControl).
type CCAlgo uint8

const (
	CCNewReno CCAlgo = iota // RFC 9002, Section 7 (the default)
	CCCubic                 // RFC 9438
)

// newCC makes the controller Settings ask for: NewCC when set (a
// user's own CongestionController), otherwise the built-in algo.
func newCC(s *Settings, mds uint64) CongestionController {
	if s.NewCC != nil {
		return s.NewCC(mds)
	}
	if s.CongestionControl == CCCubic {
		return NewCubic(mds)
	}
	return NewReno(mds)
}
