package quicconn

import (
	"crypto/rand"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// resetLimiter is a token bucket for stateless resets, one per socket
// (so it needs no lock): at most rate per second, bursts of rate.
type resetLimiter struct {
	tokens float64
	last   int64 // loop.Now() of the last refill
}

func (r *resetLimiter) allow(rate int, now int64) bool {
	if rate <= 0 {
		return false
	}
	if r.last == 0 {
		r.tokens = float64(rate)
	} else if now > r.last {
		r.tokens = min(float64(rate), r.tokens+float64(now-r.last)*float64(rate)/1e9)
	}
	r.last = now
	if r.tokens < 1 {
		return false
	}
	r.tokens--
	return true
}

// statelessReset answers a short-header packet for a connection this
// socket does not know (RFC 9000, Section 10.3) with the token derived
// from its Destination Connection ID, so the peer of a connection we
// lost stops at once instead of waiting for its idle timeout.
// quic.WriteStatelessReset makes the reset shorter than the packet and
// refuses packets too small to answer (Section 10.3.3: "An endpoint MUST
// NOT send a Stateless Reset that is three times or more larger than the
// packet it receives", and a reset must never trigger another).
func (ss *sockState) statelessReset(d *loop.Datagram, dcid []byte) {
	ep := ss.ep
	if len(dcid) != ep.cfg.Settings.CIDLen || len(d.Data) <= quic.MinStatelessResetLen ||
		!ss.resets.allow(ep.cfg.StatelessResetRate, loop.Now()) {
		ep.dropped.Add(1)
		return
	}
	buf := ss.sock.NextBuf()
	if buf == nil {
		return
	}
	token := quic.StatelessResetTokenFor(ep.cfg.StatelessResetKey, dcid)
	n, err := quic.WriteStatelessReset(buf, token, len(d.Data), rand.Reader)
	if err != nil {
		ep.dropped.Add(1)
		return
	}
	ss.sock.Commit(n, d.Remote, 0)
	ep.resetsSent.Add(1)
}
