package quic

import (
	"io"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Path validation and connection migration (RFC 9000, Sections 8.2 and 9).

// pathValidation is a PATH_CHALLENGE in progress on the current path,
// started by a migration (ours, or the peer's seen by the server).
type pathValidation struct {
	active   bool
	needSend bool
	data     [8]byte
	prev     Path   // where to go back to if the new path does not answer
	resendAt Tstamp // next PATH_CHALLENGE
	deadline Tstamp // give up then
	sent     int
}

// maxPathChallenges bounds the PATH_CHALLENGE frames of one validation.
const maxPathChallenges = 4

// ErrNoSpareConnID: Migrate found no unused connection ID of the peer; an
// endpoint must not reuse one on a new path (RFC 9000, Section 9.5).
var ErrNoSpareConnID = errorString("quic: no spare connection ID of the peer")

type errorString string

func (e errorString) Error() string { return string(e) }

// Migrate moves a client connection to a new local address (a new socket,
// or a new interface): later packets go out on path, under a connection
// ID of the server not used before, and the path is validated with
// PATH_CHALLENGE (RFC 9000, Section 9.2). If the server does not answer
// within three PTOs the connection goes back to the previous path and
// Callbacks.PathValidation reports the failure (Section 9.3.2 in spirit).
// This is ngtcp2_conn_initiate_migration.
//
// Returns nil on success, or one of: ErrInvalidState — not a client, the
// handshake is not confirmed (Section 9: "An endpoint MUST NOT initiate
// connection migration before the handshake is confirmed") or the
// connection is closing; ErrInvalidArgument — path is nil or the server
// sent disable_active_migration (Section 18.2); ErrNoSpareConnID — the
// server issued no spare connection ID; ErrNoMem — Settings.Rand failed.
func (c *Conn) Migrate(path *Path, ts Tstamp) error {
	if c.server || !c.handshakeConfirmed || c.state != stateEstablished || c.localErr != nil {
		return ErrInvalidState
	}
	if path == nil || c.peer.DisableActiveMigration {
		return ErrInvalidArgument
	}
	if !c.switchPeerCID() {
		return ErrNoSpareConnID
	}
	prev := c.path
	c.path = *path
	return c.startPathValidation(prev, false, ts)
}

// startPathValidation sends PATH_CHALLENGE on the current path. A server
// following a peer's migration limits what it sends there to three times
// what it received until the peer answers (Section 9.3, Section 8.1).
func (c *Conn) startPathValidation(prev Path, limit bool, ts Tstamp) error {
	pv := &c.pv
	if !pv.active {
		pv.prev = prev
	}
	if _, err := io.ReadFull(c.settings.Rand, pv.data[:]); err != nil {
		return ErrNoMem
	}
	pv.active, pv.needSend, pv.sent = true, true, 0
	pto := c.rtt.pto(c.peerMaxAckDelay())
	// RFC 9000, Section 8.2.4: "a timer that is set to three times the
	// larger of the current PTO or the PTO for the new path (using
	// kInitialRtt)".
	if p := 3 * c.settings.InitialRTT; pto < p {
		pto = p
	}
	pv.deadline = ts + Tstamp(3*pto)
	pv.resendAt = TstampMax
	if limit {
		c.addrValidated = false
		c.bytesSent = 0
		c.bytesRecv = uint64(c.rxLen)
	}
	return nil
}

// onPathTimer resends PATH_CHALLENGE and ends a validation that timed out.
func (c *Conn) onPathTimer(ts Tstamp) error {
	pv := &c.pv
	if !pv.active {
		return nil
	}
	if ts >= pv.deadline {
		// RFC 9000, Section 9.3.2: "If the validation fails, the endpoint
		// ... MUST ... use the last validated peer address."
		pv.active = false
		failed := c.path
		c.path = pv.prev
		c.addrValidated = true
		if cb := c.cb.PathValidation; cb != nil {
			if err := cb(c, &failed, false); err != nil {
				return cbErr(err)
			}
		}
		return nil
	}
	if ts >= pv.resendAt && pv.sent < maxPathChallenges {
		pv.needSend = true
		pv.resendAt = TstampMax
	}
	return nil
}

// pathExpiry is when onPathTimer should run next.
func (c *Conn) pathExpiry() Tstamp {
	if !c.pv.active {
		return TstampMax
	}
	return min(c.pv.deadline, c.pv.resendAt)
}

// recvPathResponse ends a validation: RFC 9000, Section 8.2.3: "Path
// validation succeeds when a PATH_RESPONSE frame is received that
// contains the data that was sent in a previous PATH_CHALLENGE frame."
func (c *Conn) recvPathResponse(f *wire.Frame) error {
	pv := &c.pv
	if !pv.active || f.PathData != pv.data {
		return nil
	}
	pv.active = false
	c.addrValidated = true
	if cb := c.cb.PathValidation; cb != nil {
		p := c.path
		if err := cb(c, &p, true); err != nil {
			return cbErr(err)
		}
	}
	return nil
}

// recvPathChallenge queues a PATH_RESPONSE for the path the challenge came
// on (RFC 9000, Section 8.2.2: "An endpoint MUST NOT delay transmission
// of a packet containing a PATH_RESPONSE frame").
func (c *Conn) recvPathChallenge(f *wire.Frame) {
	c.pathResponse = f.PathData
	c.needPathResponse = true
	c.respPath = c.path
	if c.hasRxPath {
		c.respPath = c.rxPath
	}
}

// isProbing reports whether a frame type is a probing frame (RFC 9000,
// Section 9.1): PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID, PADDING.
func isProbing(t wire.FrameType) bool {
	switch t {
	case wire.FramePathChallenge, wire.FramePathResponse, wire.FrameNewConnectionID, wire.FramePadding:
		return true
	}
	return false
}

// maybePeerMigrated follows a peer that moved (RFC 9000, Section 9.3):
// "Receiving a packet from a new peer address containing a non-probing
// frame indicates that the peer has migrated to that address", if it is
// the packet with the highest number so far. Only a server follows: a
// client does not expect the server's address to change. A change of
// port only (NAT rebinding) keeps the congestion state (Section 9.4).
func (c *Conn) maybePeerMigrated(pn int64, ts Tstamp) error {
	if !c.server || !c.hasRxPath || !c.handshakeCompleted || !c.rxNonProbing ||
		c.rxPath == c.path || pn < c.spaces[spaceApp].recv.largest {
		return nil
	}
	if !c.rxPath.Remote.IsValid() || c.local.DisableActiveMigration && c.rxPath.Remote.Addr() != c.path.Remote.Addr() {
		return nil
	}
	prev := c.path
	if c.pv.active {
		prev = c.pv.prev
	}
	c.path = c.rxPath
	if prev.Remote.Addr() != c.rxPath.Remote.Addr() {
		// RFC 9000, Section 9.4: "the endpoint MUST reset the congestion
		// controller and the RTT estimate" on a new address.
		c.cc = c.settings.NewCC(uint64(c.maxDatagram))
		c.rtt.init(c.settings.InitialRTT)
	}
	// Section 9.5: a peer that moved to a new connection ID wants one of
	// ours renewed too, so the two paths cannot be linked.
	if string(c.rxDCID) != string(c.scid) {
		c.switchPeerCID()
	}
	if err := c.startPathValidation(prev, true, ts); err != nil {
		return err
	}
	return nil
}

// writePathChallenge appends PATH_CHALLENGE when due and asks for the
// datagram to be padded to 1200 bytes (RFC 9000, Section 8.2.1: "An
// endpoint MUST expand datagrams that contain a PATH_CHALLENGE frame to at
// least the smallest allowed maximum datagram size of 1200 bytes, unless
// the anti-amplification limit for the path does not permit").
func (c *Conn) writePathChallenge(d *dgram, ts Tstamp) {
	pv := &c.pv
	if !pv.active || !pv.needSend || d.room() < 9 {
		return
	}
	d.buf = wire.AppendPathChallenge(d.buf, pv.data)
	c.record(d, frameRec{kind: fkPing})
	pv.needSend = false
	pv.sent++
	pv.resendAt = ts + Tstamp(c.rtt.pto(c.peerMaxAckDelay()))
	d.padTo = MaxUDPPayloadSize
}

// writePathResponseAway writes a datagram holding only PATH_RESPONSE for
// a challenge that came on another path than the current one (a peer
// probing a path, Section 9.1), and reports its path. Section 8.2.2: the
// datagram is padded to 1200 bytes within three times what that path
// brought (the challenge datagram itself was padded by the peer).
func (c *Conn) writePathResponseAway(path *Path, dest []byte, ts Tstamp) (int, bool) {
	if !c.needPathResponse || c.respPath.Remote == c.path.Remote || !c.spaces[spaceApp].hasSend {
		return 0, false
	}
	c.needPathResponse = false
	d := &c.pend.d
	*d = dgram{buf: dest[:0], limit: min(len(dest), MaxUDPPayloadSize), padTo: MaxUDPPayloadSize}
	if !c.startPacket(d, spaceApp, wire.Packet1RTT) {
		return 0, false
	}
	d.buf = wire.AppendPathResponse(d.buf, c.pathResponse)
	c.record(d, frameRec{kind: fkPathResponse})
	if path != nil {
		*path = c.respPath
	}
	validated := c.addrValidated
	c.addrValidated = true // the bytes do not count against the current path
	n := c.finishDatagram(d, ts)
	c.addrValidated = validated
	return n, true
}
