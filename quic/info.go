package quic

// ConnInfo is a snapshot of the connection's recovery state
// (ngtcp2_conn_info plus counters).
type ConnInfo struct {
	LatestRTT, MinRTT, SmoothedRTT, RTTVar Duration
	CWND                                   uint64
	BytesInFlight                          uint64
	PTOCount                               int
	PacketsSent                            uint64 // ack-eliciting packets
	PacketsLost                            uint64
	PacketsReceived                        uint64
	ECN                                    ECNState
	ECNCEReported                          uint64 // CE marks the peer reported on our packets
	PersistentCongestion                   uint64 // times persistent congestion was declared
	ProbeTimeouts                          uint64 // PTO expirations
}

// Info returns the connection's recovery state.
func (c *Conn) Info() ConnInfo {
	return ConnInfo{
		LatestRTT: c.rtt.Latest, MinRTT: c.rtt.Min, SmoothedRTT: c.rtt.Smoothed, RTTVar: c.rtt.Var,
		CWND: c.cc.Window(), BytesInFlight: c.inFlight, PTOCount: c.ptoCount,
		PacketsSent: c.stats.sent, PacketsLost: c.stats.lost, PacketsReceived: c.stats.recv,
		ECN: ECNState(c.ecn.phase), ECNCEReported: c.stats.ecnCE,
		PersistentCongestion: c.stats.persistent,
		ProbeTimeouts:        c.stats.ptos,
	}
}

type connStats struct {
	sent, lost, recv, ptos uint64
	ecnCE                  uint64
	persistent             uint64
}
