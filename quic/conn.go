package quic

import (
	"context"
	"crypto/tls"
	"io"

	"github.com/ngloop/ngloop/quic/internal/protect"
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// spaceID is a packet number space (RFC 9000, Section 12.3).
type spaceID uint8

const (
	spaceInitial spaceID = iota
	spaceHandshake
	spaceApp
	numSpaces
)

// connState is the connection's lifecycle state.
type connState uint8

const (
	stateHandshake   connState = iota // TLS handshake in progress
	stateEstablished                  // handshake complete
	stateClosing                      // we sent CONNECTION_CLOSE (RFC 9000, Section 10.2.1)
	stateDraining                     // the peer sent CONNECTION_CLOSE (RFC 9000, Section 10.2.2)
	stateClosed                       // the closing/draining period or idle timeout ended
)

// pnSpace is the per packet number space state: keys, packet numbers,
// received packet tracking, sent packets, and the CRYPTO stream.
type pnSpace struct {
	sendKeys, recvKeys protect.Keys
	hasSend, hasRecv   bool
	discarded          bool

	nextPN       int64
	largestAcked int64
	recv         recvTracker
	sent         sentList
	crypto       sendBuf
	cryptoRecv   recvBuf

	lossTime             Tstamp // earliest time a packet becomes lost by time threshold
	lastAckElicitingTime Tstamp
	ackElicitingInFlight int
	probes               int // PTO probes to send (RFC 9002, Section 6.2.4)
}

// Conn is one QUIC connection: a sans-IO state machine. It reads
// datagrams given to ReadPkt, writes datagrams into buffers given to
// WritePkt and WriteStream, and learns the time only from ts arguments.
// A Conn is not safe for concurrent use; one event loop owns it.
type Conn struct {
	server   bool
	version  wire.Version
	cb       Callbacks
	settings Settings
	local    TransportParams // what we sent
	peer     wire.TransportParams
	havePeer bool

	scid       []byte // ours
	dcid       []byte // the peer's, current
	odcid      []byte // the client's first Destination Connection ID
	rscid      []byte // the Retry's Source Connection ID, when a Retry happened
	peerSCID   []byte // the peer's Source Connection ID from its first packet
	token      []byte // client: token for Initial packets
	resetToken [16]byte
	peerCIDs   peerConnIDs
	localCIDs  localConnIDs
	rxDCID     []byte // Destination Connection ID of the packet being read (a view)

	tls          *tls.QUICConn
	tlsCancel    context.CancelFunc
	keyPhase     bool         // current 1-RTT key phase (RFC 9001, Section 6)
	nextRecv     protect.Keys // keys of the next phase, ready for the peer's update
	hasNext      bool
	prevRecv     protect.Keys // keys of the previous phase, for late packets
	hasPrev      bool
	prevUntil    Tstamp // previous keys are dropped then
	phaseStartPN int64  // first packet number received in the current phase
	phaseSendPN  int64  // first packet number sent in the current phase

	spaces [numSpaces]pnSpace

	state              connState
	inCall             bool // inside ReadPkt, a write or HandleExpiry (callbacks may run)
	delPending         bool // Del was called from a callback
	handshakeCompleted bool
	handshakeConfirmed bool
	needHandshakeDone  bool
	sentHandshakePkt   bool // client: discard Initial keys after the first Handshake packet (RFC 9001, Section 4.9.1)
	gotInitial         bool // client: first server Initial processed (adopt its SCID)
	addrValidated      bool
	bytesRecv          uint64 // before address validation (RFC 9000, Section 8.1)
	bytesSent          uint64
	createdAt          Tstamp

	rtt         RTTStats
	stats       connStats
	cc          CongestionController
	pacer       pacer
	ecn         ecnState
	inFlight    uint64
	ptoCount    int
	maxDatagram int // largest datagram we write

	// idle timeout (RFC 9000, Section 10.1)
	idleTimeout       Duration
	lastActivity      Tstamp
	ackElicitingSince bool // an ack-eliciting packet was sent since the last receipt

	// streams
	streams                                       map[int64]*stream
	localBidi                                     streamLimits
	localUni                                      streamLimits
	remoteBidi                                    streamLimits
	remoteUni                                     streamLimits
	needMaxStreamsBidi, needMaxStreamsUni         bool
	needStreamsBlockedBidi, needStreamsBlockedUni bool
	ctrlStreams                                   []int64 // streams with pending control frames
	lostStreams                                   []int64 // streams with lost data to resend

	flow connFlow

	// close
	closeErr       *CCErr // what closed the connection, ours or the peer's
	localErr       *ConnError
	closePkt       []byte // the saved CONNECTION_CLOSE datagram
	closeRecvCount int    // packets received while closing
	closeNextReply int    // reply when closeRecvCount reaches this
	closeReplyDue  bool
	closeDeadline  Tstamp

	// pending datagram built across WriteStream(...WriteStreamFlagMore) calls
	pend pendingPkt

	path             Path
	datagram         []byte // DATAGRAM payload of the WriteDatagram call in progress
	hasDatagram      bool
	datagramSent     bool
	pathResponse     [8]byte
	needPathResponse bool
	respPath         Path // where the PATH_RESPONSE goes (the challenge's path)
	rxPath           Path // path of the datagram being read
	hasRxPath        bool
	rxLen            int  // size of the datagram being read
	rxNonProbing     bool // the packet being read has a non-probing frame
	pv               pathValidation
	preferred        PreferredAddress // client: the server's preferred_address
	hasPreferred     bool             // client: not used yet
	newToken         []byte           // server: NEW_TOKEN to send
	newTokenState    uint8            // 0 not made, 1 to send, 2 sent

	undecryptable [][]byte // packets waiting for their keys
	userData      any

	ackRanges [64]wire.AckRange // scratch for parsing ACK frames
	frame     wire.Frame
}

// streamLimits counts streams of one kind and direction.
type streamLimits struct {
	max     uint64 // how many may be opened (local: peer's MAX_STREAMS; remote: ours)
	opened  uint64 // how many were opened
	closed  uint64 // remote: how many were closed (to extend max)
	sentMax uint64 // remote: the MAX_STREAMS value last sent
}

// connFlow is connection-level flow control (RFC 9000, Section 4.1).
type connFlow struct {
	sendMax     uint64 // peer's MAX_DATA
	sent        uint64 // stream bytes sent for the first time
	blockedAt   uint64 // sendMax when DATA_BLOCKED was last queued, +1
	needBlocked bool

	recvMax     uint64 // our MAX_DATA
	recvWindow  uint64
	recvHighest uint64 // sum over streams of the highest offset received
	consumed    uint64 // bytes the application has consumed
	needMax     bool
	lastUpdate  Tstamp
}

// NewClientConn starts a client connection. The first datagram comes
// from WritePkt.
//
// Returns the connection, or one of: ErrInvalidArgument — cfg or cfg.TLS
// is nil, or cfg.Params has a value RFC 9000, Section 18.2 forbids;
// ErrCrypto — crypto/tls refused to start.
func NewClientConn(cfg *Config, path *Path, ts Tstamp) (*Conn, error) {
	if cfg == nil || cfg.TLS == nil {
		return nil, ErrInvalidArgument
	}
	if !cfg.Params.withDefaults().valid() {
		return nil, ErrInvalidArgument
	}
	c := newConn(cfg, false, ts)
	if path != nil {
		c.path = *path
	}
	c.version = wire.Version(c.settings.Version)
	if !wire.IsSupportedVersion(c.version) {
		return nil, ErrInvalidArgument
	}
	var err error
	if c.scid, err = c.cid(c.settings.SCID, c.settings.CIDLen); err != nil {
		return nil, err
	}
	// RFC 9000, Section 7.2: "the Destination Connection ID field ...
	// unpredictable ... at least 8 bytes in length".
	dcidLen := c.settings.CIDLen
	if dcidLen < 8 {
		dcidLen = 8
	}
	if c.dcid, err = c.cid(c.settings.DCID, dcidLen); err != nil {
		return nil, err
	}
	c.odcid = append([]byte(nil), c.dcid...)
	c.localCIDs.init(c.scid, [16]byte{})
	c.token = append([]byte(nil), c.settings.Token...)
	c.installInitialKeys(c.dcid)
	c.tls = tls.QUICClient(&tls.QUICConfig{TLSConfig: tls13(cfg.TLS)})
	c.tls.SetTransportParameters(c.localParamsBytes())
	if err := c.startTLS(); err != nil {
		return nil, err
	}
	return c, nil
}

// NewServerConn accepts a connection from the client's first datagram,
// initial. It takes the version and connection IDs from initial's first
// packet (an Initial) and does not process it: pass the same datagram to
// ReadPkt next, as with ngtcp2_accept followed by ngtcp2_conn_read_pkt.
//
// Returns the connection, or one of: ErrInvalidArgument — cfg or cfg.TLS
// is nil, or cfg.Params has a value RFC 9000, Section 18.2 forbids; ErrDropConn — initial is not a client
// Initial packet of a supported version with a Destination Connection ID
// of at least 8 bytes (RFC 9000, Section 7.2); ErrCrypto — crypto/tls
// refused to start.
func NewServerConn(cfg *Config, path *Path, initial []byte, ts Tstamp) (*Conn, error) {
	if cfg == nil || cfg.TLS == nil {
		return nil, ErrInvalidArgument
	}
	hdr, err := wire.ParseHeader(initial, 0)
	if err != nil || hdr.Type != wire.PacketInitial || !wire.IsSupportedVersion(hdr.Version) ||
		len(hdr.DstConnID) < 8 || len(initial) < MaxUDPPayloadSize {
		return nil, ErrDropConn
	}
	if !cfg.Params.withDefaults().valid() {
		return nil, ErrInvalidArgument
	}
	c := newConn(cfg, true, ts)
	if path != nil {
		c.path = *path
	}
	c.version = hdr.Version
	if c.scid, err = c.cid(c.settings.SCID, c.settings.CIDLen); err != nil {
		return nil, err
	}
	c.odcid = append([]byte(nil), hdr.DstConnID...)
	if c.settings.OriginalDCID != nil {
		// After a Retry: the Initial is addressed to the Retry's SCID.
		c.rscid = c.odcid
		c.odcid = append([]byte(nil), c.settings.OriginalDCID...)
		c.addrValidated = true
	}
	if c.settings.AddressValidated {
		c.addrValidated = true
	}
	c.dcid = append([]byte(nil), hdr.SrcConnID...)
	c.peerSCID = append([]byte(nil), hdr.SrcConnID...)
	if t := c.settings.StatelessResetToken; t != nil {
		c.resetToken = *t
	} else if len(c.settings.StatelessResetKey) > 0 {
		c.resetToken = StatelessResetTokenFor(c.settings.StatelessResetKey, c.scid)
	} else if _, err := io.ReadFull(c.settings.Rand, c.resetToken[:]); err != nil {
		return nil, ErrNoMem
	}
	c.localCIDs.init(c.scid, c.resetToken)
	if c.settings.PreferredAddress != nil && len(c.scid) > 0 {
		if err := c.issuePreferredCID(); err != nil {
			return nil, err
		}
	}
	c.installInitialKeys(hdr.DstConnID)
	c.tls = tls.QUICServer(&tls.QUICConfig{TLSConfig: tls13(cfg.TLS)})
	c.tls.SetTransportParameters(c.localParamsBytes())
	if err := c.startTLS(); err != nil {
		return nil, err
	}
	return c, nil
}

func newConn(cfg *Config, server bool, ts Tstamp) *Conn {
	c := &Conn{
		server:    server,
		cb:        cfg.Callbacks,
		settings:  cfg.Settings.withDefaults(),
		local:     cfg.Params.withDefaults(),
		streams:   make(map[int64]*stream),
		createdAt: ts,
	}
	for i := range c.spaces {
		c.spaces[i].largestAcked = -1
		c.spaces[i].recv.init()
	}
	c.phaseStartPN, c.phaseSendPN = -1, -1
	c.rtt.init(c.settings.InitialRTT)
	c.maxDatagram = c.settings.MaxTxUDPPayloadSize
	c.cc = newCC(&c.settings, uint64(c.maxDatagram))
	c.lastActivity = ts
	c.idleTimeout = c.local.MaxIdleTimeout
	c.remoteBidi.max = c.local.InitialMaxStreamsBidi
	c.remoteBidi.sentMax = c.remoteBidi.max
	c.remoteUni.max = c.local.InitialMaxStreamsUni
	c.remoteUni.sentMax = c.remoteUni.max
	c.flow.recvMax = c.local.InitialMaxData
	c.flow.recvWindow = c.local.InitialMaxData
	c.closeDeadline = TstampMax
	// RFC 9000, Section 8.1: a client's address is validated by design.
	c.addrValidated = !server
	return c
}

// tls13 returns conf with MinVersion raised to TLS 1.3, which QUIC
// requires (RFC 9001, Section 4.2); crypto/tls refuses to start otherwise.
func tls13(conf *tls.Config) *tls.Config {
	if conf.MinVersion >= tls.VersionTLS13 {
		return conf
	}
	c := conf.Clone()
	c.MinVersion = tls.VersionTLS13
	return c
}

// cid returns given (copied) or a random ID of length n.
func (c *Conn) cid(given []byte, n int) ([]byte, error) {
	if given != nil {
		if len(given) > 20 {
			return nil, ErrInvalidArgument
		}
		return append([]byte(nil), given...), nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.settings.Rand, b); err != nil {
		return nil, ErrNoMem
	}
	return b, nil
}

func (c *Conn) installInitialKeys(dcid []byte) {
	ck, sk := protect.InitialKeys(c.version, dcid)
	in := &c.spaces[spaceInitial]
	if c.server {
		in.sendKeys, in.recvKeys = sk, ck
	} else {
		in.sendKeys, in.recvKeys = ck, sk
	}
	in.hasSend, in.hasRecv = true, true
}

// SetUserData attaches application data to the connection (ngtcp2's
// user_data), for callbacks shared by many connections.
func (c *Conn) SetUserData(v any) { c.userData = v }

// UserData returns what SetUserData stored.
func (c *Conn) UserData() any { return c.userData }

// IsServer reports whether this is the server side.
func (c *Conn) IsServer() bool { return c.server }

// SCID is this endpoint's connection ID: the Destination Connection ID of
// every packet the peer sends once the handshake is under way.
func (c *Conn) SCID() []byte { return c.scid }

// DCID is the peer's connection ID currently in use.
func (c *Conn) DCID() []byte { return c.dcid }

// ODCID is the Destination Connection ID of the client's first Initial
// (a server's router maps it to this Conn too until the client switches).
func (c *Conn) ODCID() []byte { return c.odcid }

// InitialDCID is the Destination Connection ID of the client Initial that
// created a server Conn: ODCID, or after a Retry the Retry's Source
// Connection ID. A router maps it to the Conn until the client switches
// to SCID.
func (c *Conn) InitialDCID() []byte {
	if c.server && c.rscid != nil {
		return c.rscid
	}
	return c.odcid
}

// Version is the negotiated QUIC version.
func (c *Conn) Version() uint32 { return uint32(c.version) }

// HandshakeCompleted reports whether the TLS handshake finished.
func (c *Conn) HandshakeCompleted() bool { return c.handshakeCompleted }

// TLSConnectionState returns the TLS state (ALPN, peer certificates).
func (c *Conn) TLSConnectionState() tls.ConnectionState { return c.tls.ConnectionState() }

// InClosingPeriod reports whether the connection sent CONNECTION_CLOSE.
func (c *Conn) InClosingPeriod() bool { return c.state == stateClosing }

// InDrainingPeriod reports whether the peer sent CONNECTION_CLOSE.
func (c *Conn) InDrainingPeriod() bool { return c.state == stateDraining }

// IsClosed reports whether the connection is over and can be discarded:
// its closing or draining period or its idle timeout ended, or the
// handshake timed out.
func (c *Conn) IsClosed() bool { return c.state == stateClosed }

// CloseError reports what closed the connection: our CONNECTION_CLOSE,
// the peer's, an idle timeout or a version negotiation. It is nil while
// the connection is open.
func (c *Conn) CloseError() *CCErr { return c.closeErr }

// LocalError returns the protocol violation ReadPkt detected, if any. Its
// CCErr is what WritePkt sends on its own in CONNECTION_CLOSE.
func (c *Conn) LocalError() *ConnError { return c.localErr }

// closeTLS releases the TLS stack's goroutine.
func (c *Conn) closeTLS() {
	if c.tls != nil {
		c.tls.Close()
	}
	if c.tlsCancel != nil {
		c.tlsCancel()
	}
}

// Del releases the connection's resources at once (ngtcp2_conn_del): the
// TLS stack's goroutine and every buffer. The Conn must not be used
// afterwards. A connection that ends by closing, draining or idle
// timeout releases them by itself.
func (c *Conn) Del() {
	if c.inCall {
		// From a callback: finish the call in progress first.
		c.delPending = true
		return
	}
	c.releaseStreams()
	c.streams = nil
	c.state = stateClosed
}

// endCall ends a ReadPkt, write or HandleExpiry call.
func (c *Conn) endCall() {
	c.inCall = false
	if c.delPending {
		c.delPending = false
		c.Del()
	}
}
