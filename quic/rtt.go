package quic

// RTTStats holds the round-trip estimates of RFC 9002, Section 5.
type RTTStats struct {
	Latest   Duration
	Smoothed Duration
	Var      Duration
	Min      Duration
	// HasSample is false until the first RTT sample.
	HasSample bool
	// FirstSampleAt is when the first sample was taken: persistent
	// congestion only counts packets sent after it (RFC 9002, Section 7.6.2).
	FirstSampleAt Tstamp
}

// timerGranularity is kGranularity (RFC 9002, Section 6.1.2).
const timerGranularity = Milliseconds

func (r *RTTStats) init(initial Duration) {
	*r = RTTStats{Smoothed: initial, Var: initial / 2}
}

// update takes a sample (RFC 9002, Section 5.3). ackDelay is already
// limited to max_ack_delay once the handshake is confirmed.
func (r *RTTStats) update(latest, ackDelay Duration) {
	r.Latest = latest
	if !r.HasSample {
		r.HasSample = true
		r.Min = latest
		r.Smoothed = latest
		r.Var = latest / 2
		return
	}
	if latest < r.Min {
		r.Min = latest
	}
	// "adjusted_rtt = latest_rtt; if (latest_rtt >= min_rtt + ack_delay):
	//  adjusted_rtt = latest_rtt - ack_delay"
	adjusted := latest
	if latest >= r.Min+ackDelay {
		adjusted = latest - ackDelay
	}
	var d Duration
	if r.Smoothed > adjusted {
		d = r.Smoothed - adjusted
	} else {
		d = adjusted - r.Smoothed
	}
	r.Var = (3*r.Var + d) / 4
	r.Smoothed = (7*r.Smoothed + adjusted) / 8
}

// pto is the probe timeout without the backoff (RFC 9002, Section 6.2.1):
// smoothed_rtt + max(4*rttvar, kGranularity) + max_ack_delay.
func (r *RTTStats) pto(maxAckDelay Duration) Duration {
	v := 4 * r.Var
	if v < timerGranularity {
		v = timerGranularity
	}
	return r.Smoothed + v + maxAckDelay
}
