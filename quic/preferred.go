package quic

import (
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Server's preferred address (RFC 9000, Section 9.6).

// issuePreferredCID makes the connection ID of sequence 1 that travels in
// the preferred_address transport parameter (RFC 9000, Section 5.1.1:
// "The sequence number of the connection ID supplied in the
// preferred_address transport parameter is 1").
func (c *Conn) issuePreferredCID() error {
	return c.newLocalCID(false)
}

// peerPreferredCID records the server's preferred_address connection ID
// as the peer's sequence 1, and where the client may go.
func (c *Conn) peerPreferredCID(pa *wire.PreferredAddress) {
	if len(pa.ConnID) == 0 || len(pa.ConnID) > 20 {
		return
	}
	e := peerCID{seq: 1, token: pa.StatelessResetToken}
	e.n = uint8(copy(e.cid[:], pa.ConnID))
	c.peerCIDs.ids = append(c.peerCIDs.ids, e)
	c.preferred = PreferredAddress{IPv4: pa.IPv4, IPv6: pa.IPv6}
	c.hasPreferred = true
}

// maybeUsePreferredAddress moves a client to the server's preferred
// address of its own family once the handshake is confirmed (Section
// 9.6.1: "the client SHOULD ... initiate path validation of the server's
// preferred address using the connection ID provided in the
// preferred_address transport parameter"); the path validation of
// Migrate decides, and a failure goes back to the original address.
func (c *Conn) maybeUsePreferredAddress(ts Tstamp) error {
	if c.server || !c.hasPreferred || !c.handshakeConfirmed || c.settings.IgnorePreferredAddress {
		return nil
	}
	c.hasPreferred = false
	to := c.preferred.IPv4
	if c.path.Remote.Addr().Is6() && !c.path.Remote.Addr().Is4In6() {
		to = c.preferred.IPv6
	}
	if !to.IsValid() || to == c.path.Remote {
		return nil
	}
	// Use sequence 1 (the preferred address's ID) for the new path.
	p := &c.peerCIDs
	for i, id := range p.ids {
		if id.seq == 1 {
			p.ids[0], p.ids[i] = p.ids[i], p.ids[0]
			break
		}
	}
	if !c.switchPeerCID() {
		return nil
	}
	prev := c.path
	c.path.Remote = to
	return c.startPathValidation(prev, false, ts)
}

// PreferredAddressOffered reports the server's preferred_address, if it
// sent one and the client has not moved there yet.
func (c *Conn) PreferredAddressOffered() (PreferredAddress, bool) {
	return c.preferred, c.hasPreferred
}
