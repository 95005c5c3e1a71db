package quic

import (
	"crypto/rand"
	"crypto/tls"
	"io"
	"net/netip"
)

// Config configures a connection. It is read by NewClientConn and
// NewServerConn and not retained except for TLS and Callbacks.
type Config struct {
	TLS       *tls.Config // ALPN in NextProtos; a server needs Certificates
	Callbacks Callbacks
	Settings  Settings
	Params    TransportParams
}

// Callbacks are the application's hooks, in the style of
// ngtcp2_callbacks. A nil callback means "not interested". A callback that
// returns an error aborts the call that invoked it (ReadPkt, WritePkt,
// ...), which then returns an error matching ErrCallbackFailure that
// also wraps the callback's error. Data slices are valid only during the
// call.
type Callbacks struct {
	// HandshakeCompleted: the TLS handshake finished (RFC 9001, Section 4.1.1).
	HandshakeCompleted func(c *Conn) error
	// HandshakeConfirmed: the handshake is confirmed (RFC 9001, Section 4.1.2).
	HandshakeConfirmed func(c *Conn) error
	// RecvStreamData delivers stream data in order, offset is the stream
	// offset of data[0]. With automatic flow control (the default) the
	// credit for the bytes is given back when the callback returns.
	RecvStreamData func(c *Conn, flags StreamDataFlags, streamID int64, offset uint64, data []byte) error
	// AckedStreamDataOffset: the peer acknowledged stream bytes
	// [offset, offset+datalen) and every byte before them.
	AckedStreamDataOffset func(c *Conn, streamID int64, offset, datalen uint64) error
	// StreamOpen: the peer opened a stream.
	StreamOpen func(c *Conn, streamID int64) error
	// StreamClose: the stream is closed in both directions and forgotten.
	// appErrorCode is the code of a RESET_STREAM or STOP_SENDING involved,
	// or 0.
	StreamClose func(c *Conn, streamID int64, appErrorCode uint64) error
	// StreamReset: the peer sent RESET_STREAM.
	StreamReset func(c *Conn, streamID int64, finalSize, appErrorCode uint64) error
	// StreamStopSending: the peer sent STOP_SENDING. The connection resets
	// the stream's send side on its own (RFC 9000, Section 3.5).
	StreamStopSending func(c *Conn, streamID int64, appErrorCode uint64) error
	// ExtendMaxLocalStreamsBidi / Uni: the peer allows opening streams up
	// to maxStreams of that kind.
	ExtendMaxLocalStreamsBidi func(c *Conn, maxStreams uint64) error
	ExtendMaxLocalStreamsUni  func(c *Conn, maxStreams uint64) error
	// ExtendMaxStreamData: the peer raised a stream's send limit.
	ExtendMaxStreamData func(c *Conn, streamID int64, maxData uint64) error
	// RecvDatagram delivers a DATAGRAM frame's payload (RFC 9221).
	RecvDatagram func(c *Conn, data []byte) error
	// RecvVersionNegotiation: a client got a Version Negotiation packet
	// listing versions.
	RecvVersionNegotiation func(c *Conn, versions []uint32) error
	// GetNewConnectionID fills cid (Settings.CIDLen bytes) and token with
	// a new connection ID of this endpoint and its stateless reset token,
	// for a NEW_CONNECTION_ID frame (RFC 9000, Section 5.1.1). A router
	// maps cid to the Conn before the callback returns. Nil: cid is random
	// from Settings.Rand and token comes from Settings.StatelessResetKey
	// (or Rand).
	GetNewConnectionID func(c *Conn, cid []byte, token *[16]byte) error
	// RemoveConnectionID: the peer retired one of our connection IDs
	// (RETIRE_CONNECTION_ID); a router forgets it.
	RemoveConnectionID func(c *Conn, cid []byte) error
	// PathValidation reports the end of a path validation (RFC 9000,
	// Section 8.2) started by a migration: ok is false when the new path
	// did not answer and the connection went back to the previous one.
	PathValidation func(c *Conn, path *Path, ok bool) error
	// RecvNewToken delivers a NEW_TOKEN frame's token at a client (RFC
	// 9000, Section 8.1.3): store it for the server's name and pass it as
	// Settings.Token of a later connection.
	RecvNewToken func(c *Conn, token []byte) error
}

// CongestionController decides how many bytes may be in flight. It is the
// plug-in point for the recovery machinery of RFC 9002, Section 7; a
// Conn never hard-codes a window.
type CongestionController interface {
	// Window is the congestion window in bytes.
	Window() uint64
	// OnPacketSent: an in-flight packet of size bytes was sent.
	OnPacketSent(ts Tstamp, bytes uint64)
	// OnPacketAcked: an in-flight packet sent at sentTime was acknowledged.
	OnPacketAcked(ts Tstamp, bytes uint64, sentTime Tstamp, rtt *RTTStats)
	// OnPacketsLost: in-flight packets of lostBytes were declared lost, the
	// newest of them sent at largestLostSentTime.
	OnPacketsLost(ts Tstamp, lostBytes uint64, largestLostSentTime Tstamp)
	// OnPersistentCongestion: RFC 9002, Section 7.6.
	OnPersistentCongestion(ts Tstamp)
	// OnPacketDiscarded: in-flight bytes vanished with discarded keys
	// (RFC 9002, Section 6.4); they count neither as acked nor lost.
	OnPacketDiscarded(bytes uint64)
}

// Settings are local knobs that are not sent to the peer. The zero value
// of each field means its default.
type Settings struct {
	// InitialRTT before any sample (RFC 9002, Section 6.2.2: 333 ms).
	InitialRTT Duration
	// MaxTxUDPPayloadSize is the largest datagram the connection writes,
	// default MaxUDPPayloadSize (1200), at most 16383. The peer's
	// max_udp_payload_size caps it further.
	MaxTxUDPPayloadSize int
	// HandshakeTimeout ends a connection whose handshake has not
	// completed, default 10 s.
	HandshakeTimeout Duration
	// CongestionControl picks a built-in controller, default CCNewReno.
	CongestionControl CCAlgo
	// NewCC, when set, makes the congestion controller instead (a user's
	// own implementation of CongestionController).
	NewCC func(maxDatagramSize uint64) CongestionController
	// PacingBurst is how many full-sized datagrams the pacer lets out
	// back to back (RFC 9002, Section 7.7), default 10; negative
	// disables pacing.
	PacingBurst int
	// DisableECN turns off ECN marking and its validation (RFC 9000,
	// Section 13.4); by default outgoing datagrams ask for ECT(0) in
	// PktInfo.ECN until validation fails.
	DisableECN bool
	// SCID is this endpoint's connection ID; default random of CIDLen.
	SCID []byte
	// CIDLen is the length of generated connection IDs, default 8.
	CIDLen int
	// DCID is a client's initial Destination Connection ID, default random 8..
	DCID []byte
	// Rand supplies connection IDs and stateless reset tokens, default crypto/rand.
	Rand io.Reader
	// ManualFlowControl: when true the application gives flow control credit
	// back itself with ExtendMaxStreamOffset and ExtendMaxOffset; by default
	// it is returned once RecvStreamData returns.
	ManualFlowControl bool
	// MaxStreamWindow and MaxWindow cap the automatic growth of the stream
	// and connection receive windows, default 6 MiB and 15 MiB.
	MaxStreamWindow uint64
	MaxWindow       uint64
	// MaxAckRanges bounds the received packet number ranges remembered for
	// ACK frames, default 32.
	MaxAckRanges int
	// MaxStreamGaps bounds the out-of-order ranges kept per stream; a peer
	// that fragments beyond it gets INTERNAL_ERROR. Default 1000.
	MaxStreamGaps int
	// MaxCryptoBuffer bounds buffered out-of-order CRYPTO data per level
	// (RFC 9000, Section 7.5), default 64 KiB.
	MaxCryptoBuffer int
	// MaxStreams bounds the streams alive at once whatever the credit,
	// default 10000.
	MaxStreams int
	// AmplificationFactor is the server's anti-amplification limit before
	// the client's address is validated (RFC 9000, Section 8.1), default 3.
	AmplificationFactor int
	// Token is sent by a client in its Initial packets (from NEW_TOKEN or
	// Retry of an earlier connection).
	Token []byte
	// OriginalDCID is set by a server that sent a Retry: the Destination
	// Connection ID of the client's first Initial, before the Retry. The
	// server then advertises it as original_destination_connection_id and
	// the Retry's Source Connection ID (the DCID of the new Initial) as
	// retry_source_connection_id (RFC 9000, Section 7.3). The server has
	// validated the client's address by then (Section 8.1.2).
	OriginalDCID []byte
	// Version is the QUIC version a client starts with, default 1.
	Version uint32
	// StatelessResetToken is a server's stateless_reset_token (RFC 9000,
	// Section 10.3), usually derived from SCID with a static key so that
	// WriteStatelessReset can answer for a lost connection; default random.
	StatelessResetToken *[16]byte
	// StatelessResetKey, when set, derives the stateless reset token of
	// every connection ID this endpoint issues as
	// StatelessResetTokenFor(key, cid), so a server that lost the
	// connection (or a sibling process) can still reset it (RFC 9000,
	// Section 10.3.2). At least 16 bytes; keep it secret.
	StatelessResetKey []byte
	// MaxIssuedCIDs bounds the connection IDs this endpoint keeps issued
	// to the peer at once (the peer's active_connection_id_limit caps it
	// further), default 4. 1 issues none beyond the handshake's.
	MaxIssuedCIDs int
	// TokenProtector, at a server, makes the token of one NEW_TOKEN frame
	// sent once the handshake is confirmed (RFC 9000, Section 8.1.3), so
	// the client's next connection can skip Retry. Nil sends none.
	TokenProtector *TokenProtector
	// AddressValidated, at a server, says the client's address was
	// validated before the Conn existed (a valid NEW_TOKEN token, RFC
	// 9000, Section 8.1.3): the anti-amplification limit does not apply.
	AddressValidated bool
	// PreferredAddress, at a server, is sent as the preferred_address
	// transport parameter (RFC 9000, Section 9.6) with a connection ID of
	// sequence 1; the server must receive datagrams sent there too.
	PreferredAddress *PreferredAddress
	// IgnorePreferredAddress keeps a client on the handshake's address
	// when the server offers a preferred_address; by default the client
	// moves there once the handshake is confirmed.
	IgnorePreferredAddress bool
}

// PreferredAddress is a server's preferred_address (RFC 9000, Section
// 18.2): an IPv4 and/or an IPv6 address (invalid when not offered).
type PreferredAddress struct {
	IPv4, IPv6 netip.AddrPort
}

// TransportParams are the local transport parameters sent to the peer
// (RFC 9000, Section 18.2). If the whole struct is zero,
// DefaultTransportParams is used.
type TransportParams struct {
	InitialMaxData                 uint64
	InitialMaxStreamDataBidiLocal  uint64
	InitialMaxStreamDataBidiRemote uint64
	InitialMaxStreamDataUni        uint64
	InitialMaxStreamsBidi          uint64
	InitialMaxStreamsUni           uint64
	// MaxIdleTimeout, 0 disables the idle timeout on this side.
	MaxIdleTimeout Duration
	// MaxUDPPayloadSize the endpoint is willing to receive, 0 means 65527.
	MaxUDPPayloadSize uint64
	// MaxAckDelay, 0 means 25 ms.
	MaxAckDelay Duration
	// ActiveConnectionIDLimit, 0 means 2.
	ActiveConnectionIDLimit uint64
	// MaxDatagramFrameSize > 0 enables DATAGRAM frames (RFC 9221).
	MaxDatagramFrameSize   uint64
	DisableActiveMigration bool
}

// DefaultTransportParams returns parameters suitable for most uses: 1 MiB
// per stream, 4 MiB per connection, 100 streams of each kind and a 30 s
// idle timeout.
func DefaultTransportParams() TransportParams {
	return TransportParams{
		InitialMaxData:                 4 << 20,
		InitialMaxStreamDataBidiLocal:  1 << 20,
		InitialMaxStreamDataBidiRemote: 1 << 20,
		InitialMaxStreamDataUni:        1 << 20,
		InitialMaxStreamsBidi:          100,
		InitialMaxStreamsUni:           100,
		MaxIdleTimeout:                 30 * Seconds,
	}
}

// withDefaults fills zero fields.
func (s Settings) withDefaults() Settings {
	if s.InitialRTT == 0 {
		s.InitialRTT = 333 * Milliseconds
	}
	if s.MaxTxUDPPayloadSize == 0 {
		s.MaxTxUDPPayloadSize = MaxUDPPayloadSize
	}
	if s.MaxTxUDPPayloadSize < MaxUDPPayloadSize {
		s.MaxTxUDPPayloadSize = MaxUDPPayloadSize
	}
	// The 2-byte Length field of long header packets holds at most 16383.
	if s.MaxTxUDPPayloadSize > 16383 {
		s.MaxTxUDPPayloadSize = 16383
	}
	if s.HandshakeTimeout == 0 {
		s.HandshakeTimeout = 10 * Seconds
	}
	if s.PacingBurst == 0 {
		s.PacingBurst = 10
	}
	if s.CIDLen <= 0 {
		s.CIDLen = 8
	}
	if s.CIDLen > 20 {
		s.CIDLen = 20
	}
	if s.Rand == nil {
		s.Rand = rand.Reader
	}
	if s.MaxIssuedCIDs <= 0 {
		s.MaxIssuedCIDs = 4
	}
	s.MaxIssuedCIDs = min(s.MaxIssuedCIDs, maxIssuedCIDs)
	if s.MaxStreamWindow == 0 {
		s.MaxStreamWindow = 6 << 20
	}
	if s.MaxWindow == 0 {
		s.MaxWindow = 15 << 20
	}
	if s.MaxAckRanges <= 0 {
		s.MaxAckRanges = 32
	}
	if s.MaxStreamGaps <= 0 {
		s.MaxStreamGaps = 1000
	}
	if s.MaxCryptoBuffer <= 0 {
		s.MaxCryptoBuffer = 64 << 10
	}
	if s.MaxStreams <= 0 {
		s.MaxStreams = 10000
	}
	if s.AmplificationFactor <= 0 {
		s.AmplificationFactor = 3
	}
	if s.Version == 0 {
		s.Version = 1
	}
	return s
}

func (p TransportParams) withDefaults() TransportParams {
	if p == (TransportParams{}) {
		p = DefaultTransportParams()
	}
	if p.MaxUDPPayloadSize == 0 {
		p.MaxUDPPayloadSize = 65527
	}
	if p.MaxAckDelay == 0 {
		p.MaxAckDelay = 25 * Milliseconds
	}
	if p.ActiveConnectionIDLimit < 2 {
		p.ActiveConnectionIDLimit = 2
	}
	return p
}

// valid checks the parameters against RFC 9000, Section 18.2, so that
// they can be encoded and a peer will accept them.
func (p TransportParams) valid() bool {
	const maxV = 1<<62 - 1
	for _, v := range []uint64{p.InitialMaxData, p.InitialMaxStreamDataBidiLocal,
		p.InitialMaxStreamDataBidiRemote, p.InitialMaxStreamDataUni, p.MaxDatagramFrameSize,
		p.ActiveConnectionIDLimit} {
		if v > maxV {
			return false
		}
	}
	// "... a value greater than 2^60 ... would allow a maximum stream ID
	// that cannot be expressed as a variable-length integer".
	if p.InitialMaxStreamsBidi > 1<<60 || p.InitialMaxStreamsUni > 1<<60 {
		return false
	}
	// "Values below 1200 are invalid"; max_ack_delay "values of 2^14 or
	// greater are invalid".
	if p.MaxUDPPayloadSize < 1200 || p.MaxUDPPayloadSize > 65527 || p.MaxAckDelay >= (1<<14)*Milliseconds {
		return false
	}
	return p.MaxIdleTimeout/Milliseconds <= maxV
}
