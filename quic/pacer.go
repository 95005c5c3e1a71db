package quic

// Pacing (RFC 9002, Section 7.7): "A sender SHOULD pace sending of all
// in-flight packets based on input from the congestion controller." A
// token bucket fills at N * cwnd / smoothed_rtt with N = 1.25 and holds
// at most Settings.PacingBurst datagrams. When it is empty, new data
// waits (WriteStream returns 0) and Expiry reports when the bucket has
// room for the next datagram, so an event loop sleeps until then.

// pacingN is N of RFC 9002, Section 7.7: "Using a value for N that is
// small, but at least 1 (for example, 1.25) ensures that variations in
// RTT do not result in underutilization of the congestion window."
const pacingN = 1.25

type pacer struct {
	tokens  float64 // bytes that may leave now
	last    Tstamp  // when tokens was last refilled
	started bool
	blocked bool   // the current write was held back
	wait    Tstamp // when a held-back write may go; 0 when none is waiting
}

// refill adds the tokens earned since the last call, capped at burst.
func (p *pacer) refill(ts Tstamp, cwnd uint64, srtt Duration, burst float64) {
	if !p.started || srtt == 0 {
		p.started = true
		p.tokens = burst
		p.last = ts
		return
	}
	if ts > p.last {
		p.tokens += float64(ts-p.last) * pacingN * float64(cwnd) / float64(srtt)
		p.last = ts
	}
	if p.tokens > burst {
		p.tokens = burst
	}
}

// check decides whether a datagram of mds bytes may go at ts. When not,
// it sets wait to the time it may.
func (p *pacer) check(ts Tstamp, cwnd uint64, srtt Duration, mds uint64, burstPkts int) bool {
	p.blocked = false
	if burstPkts < 0 {
		return true
	}
	burst := float64(uint64(burstPkts) * mds)
	if c := float64(cwnd); c < burst {
		burst = c
	}
	if burst < float64(mds) {
		burst = float64(mds)
	}
	p.refill(ts, cwnd, srtt, burst)
	if p.tokens >= float64(mds) || srtt == 0 || cwnd == 0 {
		p.wait = 0
		return true
	}
	need := float64(mds) - p.tokens
	d := need * float64(srtt) / (pacingN * float64(cwnd))
	p.wait = ts + Tstamp(d) + 1
	p.blocked = true
	return false
}

// onSent takes a sent in-flight packet's bytes from the bucket.
func (p *pacer) onSent(size uint64) {
	p.tokens -= float64(size)
	if p.tokens < 0 {
		p.tokens = 0
	}
}

// pacingCheck runs at the start of each write: it decides whether new
// application data may go out in this datagram.
func (c *Conn) pacingCheck(ts Tstamp) {
	c.pacer.check(ts, c.cc.Window(), c.rtt.Smoothed, uint64(c.maxDatagram), c.settings.PacingBurst)
}

// PacingWait returns when the pacer lets the next datagram of new data
// out, or 0 when it is not holding anything back. Expiry includes it.
func (c *Conn) PacingWait() Tstamp { return c.pacer.wait }
