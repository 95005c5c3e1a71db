package quic

import (
	"errors"
	"io"

	"github.com/ngloop/ngloop/quic/internal/protect"
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Helpers for a server before any Conn exists, and the client's handling
// of Version Negotiation and Retry.

// Version1 and Version2 are the QUIC versions this package speaks
// (RFC 9000, RFC 9369).
const (
	Version1 uint32 = 0x00000001
	Version2 uint32 = 0x6b3343cf
)

// ErrVersionNegotiationNeeded: DecodeVersionCID saw a version this
// package does not speak, in a datagram large enough to deserve an
// answer; write one with WriteVersionNegotiation.
var ErrVersionNegotiationNeeded = errors.New("quic: version negotiation needed")

// VersionCID is what DecodeVersionCID extracts from a datagram.
type VersionCID struct {
	Version uint32
	DCID    []byte // views into the datagram
	SCID    []byte // nil for a short header
}

// DecodeVersionCID reads the version and connection IDs of a datagram's
// first packet before any connection exists (ngtcp2_pkt_decode_version_cid).
// shortDCIDLen is the length of the connection IDs the server issues.
//
// Returns nil on success, or one of: ErrVersionNegotiationNeeded — an
// unsupported version in a datagram of at least 1200 bytes (vc is filled
// in); ErrInvalidArgument — the datagram is malformed or too short to be
// answered.
func DecodeVersionCID(datagram []byte, shortDCIDLen int) (vc VersionCID, err error) {
	v, dcid, scid, err := wire.DecodeVersionCID(datagram, shortDCIDLen)
	vc = VersionCID{Version: uint32(v), DCID: dcid, SCID: scid}
	switch {
	case err == nil:
		return vc, nil
	case errors.Is(err, wire.ErrVersionNegotiation):
		return vc, ErrVersionNegotiationNeeded
	}
	return vc, ErrInvalidArgument
}

// IsSupportedVersion reports whether this package speaks version v.
func IsSupportedVersion(v uint32) bool { return wire.IsSupportedVersion(wire.Version(v)) }

// AcceptInitial decides whether a server should create a Conn for a
// datagram that matched no connection (ngtcp2_accept): its first packet
// must be a client Initial of a supported version in a datagram of at
// least 1200 bytes (RFC 9000, Section 14.1) with a Destination
// Connection ID of at least 8 bytes (Section 7.2).
//
// Returns nil to accept, or one of: ErrVersionNegotiationNeeded — answer
// with WriteVersionNegotiation; ErrDropConn — drop the datagram.
func AcceptInitial(datagram []byte) error {
	vc, err := DecodeVersionCID(datagram, 0)
	if err != nil {
		if err == ErrVersionNegotiationNeeded {
			return err
		}
		return ErrDropConn
	}
	if len(datagram) < MaxUDPPayloadSize || vc.Version == 0 {
		return ErrDropConn
	}
	hdr, err := wire.ParseHeader(datagram, 0)
	if err != nil || hdr.Type != wire.PacketInitial || len(hdr.DstConnID) < 8 {
		return ErrDropConn
	}
	return nil
}

// WriteVersionNegotiation writes a Version Negotiation packet answering
// a client that used an unsupported version (RFC 9000, Section 6.1).
// clientDCID and clientSCID are the IDs from the client's packet
// (DecodeVersionCID); they are swapped in the answer. versions lists
// what the server speaks; nil means every version this package speaks.
// A reserved version (RFC 9000, Section 6.3: "0x?a?a?a?a") is added so
// clients exercise their handling of unknown versions.
//
// Returns the packet length, or ErrNoBuf — dest is too small.
func WriteVersionNegotiation(dest []byte, clientDCID, clientSCID []byte, versions []uint32) (int, error) {
	var vs [8]wire.Version
	n := 0
	if versions == nil {
		vs[0], vs[1] = wire.Version1, wire.Version2
		n = 2
	}
	for _, v := range versions {
		if n == len(vs)-1 {
			break
		}
		vs[n] = wire.Version(v)
		n++
	}
	vs[n] = 0x1a2a3a4a
	n++
	need := 7 + len(clientDCID) + len(clientSCID) + 4*n
	if len(dest) < need || len(clientDCID) > 255 || len(clientSCID) > 255 {
		return 0, ErrNoBuf
	}
	out := wire.AppendVersionNegotiation(dest[:0], clientSCID, clientDCID, vs[:n])
	return len(out), nil
}

// recvVersionNegotiation handles Version Negotiation at a client (RFC
// 9000, Section 6.2): valid only before any packet from the server was
// processed, and only if it does not list our version.
func (c *Conn) recvVersionNegotiation(b []byte, hdr *wire.Header) error {
	if c.server || c.gotInitial {
		return nil
	}
	_, _, versions, err := wire.ParseVersionNegotiation(b)
	if err != nil || string(hdr.DstConnID) != string(c.scid) || string(hdr.SrcConnID) != string(c.dcid) {
		return nil
	}
	// "A client MUST discard a Version Negotiation packet that lists the
	// QUIC version selected by the client."
	if versions.Contains(c.version) {
		return nil
	}
	if c.cb.RecvVersionNegotiation != nil {
		var vs [16]uint32
		n := 0
		for i := 0; i < versions.Len() && n < len(vs); i++ {
			vs[n] = uint32(versions.At(i))
			n++
		}
		if err := c.cb.RecvVersionNegotiation(c, vs[:n]); err != nil {
			return cbErr(err)
		}
	}
	c.closeSilently(&CCErr{Type: CCErrTypeVersionNegotiation})
	return ErrRecvVersionNegotiation
}

// recvRetry handles a Retry packet at a client (RFC 9000, Section 17.2.5):
// at most one, before any Initial from the server, with a valid integrity
// tag (RFC 9001, Section 5.8) and a new connection ID. The client then
// restarts its Initial flight with the token and the new IDs.
func (c *Conn) recvRetry(b []byte, hdr *wire.Header) error {
	if c.server || c.gotInitial || c.rscid != nil {
		return nil
	}
	if string(hdr.DstConnID) != string(c.scid) || len(hdr.Token) == 0 ||
		string(hdr.SrcConnID) == string(c.dcid) {
		return nil
	}
	if !protect.VerifyRetry(c.version, c.odcid, b) {
		return nil
	}
	c.rscid = append([]byte(nil), hdr.SrcConnID...)
	c.dcid = append(c.dcid[:0], hdr.SrcConnID...)
	c.token = append(c.token[:0], hdr.Token...)
	c.installInitialKeys(c.dcid)
	// Everything sent in Initial packets is sent again under the new keys;
	// the old packets are forgotten without counting as lost.
	sp := &c.spaces[spaceInitial]
	c.forgetSent(sp)
	sp.crypto.markLost(0, sp.crypto.next)
	return nil
}

// WriteStatelessReset writes a Stateless Reset (RFC 9000, Section 10.3)
// answering a datagram of receivedLen bytes for a connection the server
// no longer knows; token is that connection's stateless_reset_token. The
// reset is made shorter than the datagram that triggered it, so two
// endpoints cannot loop (Section 10.3.3), and its other bytes come from
// rand.
//
// Returns the length written, or one of: ErrNoBuf — dest is too small;
// ErrInvalidArgument — receivedLen is too small to answer (a reset
// shorter than 21 bytes would not be recognised, Section 10.3).
func WriteStatelessReset(dest []byte, token [16]byte, receivedLen int, rand io.Reader) (int, error) {
	n := min(receivedLen-1, 43) // a short header with an 8-byte CID, a few bytes, the token
	if n < wire.MinStatelessResetLen {
		return 0, ErrInvalidArgument
	}
	if len(dest) < n {
		return 0, ErrNoBuf
	}
	var unpredictable [64]byte
	u := unpredictable[:n-wire.StatelessResetTokenLen]
	if _, err := io.ReadFull(rand, u); err != nil {
		return 0, ErrNoMem
	}
	return len(wire.AppendStatelessReset(dest[:0], u, token)), nil
}

// ChooseVersion picks the version a client should retry with after a
// Version Negotiation packet listing offered (Callbacks.
// RecvVersionNegotiation): the first version, in the client's order of
// preference (prefer, then every version this package speaks), that the
// server offers. RFC 9000, Section 6.2: the client abandons the attempt;
// starting a new connection with a version both speak is the
// application's choice (ngtcp2 leaves it to the application too), and
// a client must not retry with a version the server did not list.
//
// Returns the version and true, or 0 and false when no version is shared.
func ChooseVersion(offered []uint32, prefer ...uint32) (uint32, bool) {
	for _, list := range [][]uint32{prefer, {Version1, Version2}} {
		for _, v := range list {
			if !IsSupportedVersion(v) {
				continue
			}
			for _, o := range offered {
				if o == v {
					return v, true
				}
			}
		}
	}
	return 0, false
}
