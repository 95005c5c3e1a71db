package quic

import "testing"

// TestConnRTTSampleFromAck: an ACK of the newest packet gives an RTT
// sample measured from that packet's send time (RFC 9002, Section 5.1),
// even though acknowledging the packet recycles its record.
func TestConnRTTSampleFromAck(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("ping"), true)
	p.settle()
	info := p.client.Info()
	// Every flush round of the pair advances time by p.rtt (10 ms); a
	// sample from a zeroed send time would be the absolute time (>1 s).
	if info.LatestRTT == 0 || info.LatestRTT > 200*Milliseconds || info.SmoothedRTT > 200*Milliseconds {
		t.Fatalf("RTT latest %v smoothed %v; want samples of a few pair rounds (10 ms each)", info.LatestRTT, info.SmoothedRTT)
	}
}
