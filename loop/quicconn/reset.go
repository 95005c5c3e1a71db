package quicconn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// Stateless reset (RFC 9000, Section 10.3). A server that lost a
// connection's state (it was removed, or the process restarted behind the
// same key) answers the peer's short-header packets with a Stateless
// Reset, so the peer does not wait for its idle timeout. The token must
// be one the connection advertised, so it is derived from the connection
// ID with a key the listener holds (Section 10.3.2: "a static key ... and
// the connection ID"): HMAC-SHA256(key, CID), first 16 bytes.

// resetter derives tokens on one socket; the hash is reused, so answering
// allocates nothing.
type resetter struct {
	mac hash.Hash
	sum [sha256.Size]byte
	// budget is a token bucket: resets left in the current second.
	budget int
	second int64
}

func (ep *endpoint) newResetKey() error {
	_, err := rand.Read(ep.resetKey[:])
	return err
}

// token returns the stateless reset token for cid.
func (ss *sockState) token(cid []byte) [16]byte {
	r := &ss.reset
	if r.mac == nil {
		r.mac = hmac.New(sha256.New, ss.ep.resetKey[:])
	}
	r.mac.Reset()
	r.mac.Write(cid)
	var t [16]byte
	copy(t[:], r.mac.Sum(r.sum[:0]))
	return t
}

// statelessReset answers a short-header datagram for an unknown
// connection ID, at most Config.MaxStatelessResets times per second per
// socket.
func (ss *sockState) statelessReset(d *loop.Datagram, dcid []byte) {
	r := &ss.reset
	if now := loop.Now() / 1e9; now != r.second {
		r.second, r.budget = now, ss.ep.cfg.MaxStatelessResets
	}
	if r.budget <= 0 {
		return
	}
	buf := ss.sock.NextBuf()
	if buf == nil {
		return
	}
	n, err := quic.WriteStatelessReset(buf, ss.token(dcid), len(d.Data), rand.Reader)
	if err != nil {
		return // too short to answer without risking a loop (Section 10.3.3)
	}
	r.budget--
	ss.sock.Commit(n, d.Remote, 0)
	ss.ep.resets.Add(1)
}
