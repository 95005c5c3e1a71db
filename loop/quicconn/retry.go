package quicconn

import (
	"crypto/rand"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// addrValidation is what a client Initial's token proved.
type addrValidation struct {
	odcid     []byte // from a Retry token: the client's first DCID
	validated bool   // from a NEW_TOKEN token
}

// validateAddress checks the token of a client Initial (RFC 9000,
// Section 8.1) and, with Config.Retry, answers a client without a valid
// one with a Retry. It reports whether to create the Conn.
//
// A Retry token that does not open, is for another address or is too old
// is dropped (RFC 9000, Section 8.1.3 allows closing with INVALID_TOKEN
// instead; dropping costs the server nothing and gives an attacker no
// answer). A NEW_TOKEN token that fails is treated as no token.
func (ss *sockState) validateAddress(d *loop.Datagram) (*addrValidation, bool) {
	ep := ss.ep
	token, err := quic.InitialToken(d.Data)
	if err != nil {
		ep.dropped.Add(1)
		return nil, false
	}
	if len(token) > 0 {
		v, err := ep.tokens.Validate(token, d.Remote, tstamp(loop.Now()), ep.cfg.RetryTokenLifetime, ep.cfg.TokenLifetime)
		switch {
		case err == nil && v.Retry:
			return &addrValidation{odcid: v.OriginalDCID}, true
		case err == nil:
			return &addrValidation{validated: true}, true
		case quic.IsRetryToken(token):
			ep.tokenRejected.Add(1)
			return nil, false
		}
		ep.tokenRejected.Add(1)
	}
	if !ep.cfg.Retry {
		return nil, true
	}
	ss.sendRetry(d)
	return nil, false
}

// sendRetry answers a client Initial with a Retry: a new connection ID
// (routed to this socket) and a token that carries the client's first
// Destination Connection ID back to us.
func (ss *sockState) sendRetry(d *loop.Datagram) {
	ep := ss.ep
	vc, err := quic.DecodeVersionCID(d.Data, ep.cfg.Settings.CIDLen)
	if err != nil {
		return
	}
	var scid [20]byte
	newSCID := scid[:ep.cfg.Settings.CIDLen]
	if err := ep.fillCID(ss.sock.Index(), newSCID); err != nil {
		return
	}
	var tb [quic.MaxTokenLen]byte
	token, err := ep.tokens.NewRetryToken(tb[:0], d.Remote, vc.DCID, tstamp(loop.Now()), rand.Reader)
	if err != nil {
		return
	}
	buf := ss.sock.NextBuf()
	if buf == nil {
		return
	}
	n, err := quic.WriteRetry(buf, vc.Version, vc.DCID, vc.SCID, newSCID, token)
	if err != nil {
		return
	}
	ss.sock.Commit(n, d.Remote, 0)
	ep.retries.Add(1)
}
