package quic

import (
	"fmt"
	"net/netip"
)

// Tstamp is a point in time in nanoseconds on a monotonic clock chosen by
// the caller. The connection never reads a clock itself.
type Tstamp uint64

// Duration is a span of time in nanoseconds.
type Duration uint64

// Durations.
const (
	Nanoseconds  Duration = 1
	Microseconds          = 1000 * Nanoseconds
	Milliseconds          = 1000 * Microseconds
	Seconds               = 1000 * Milliseconds
)

// TstampMax means "never" in Expiry.
const TstampMax = Tstamp(^uint64(0))

// Path is the network path a packet travels.
type Path struct {
	Local, Remote netip.AddrPort
}

// PktInfo is metadata of a packet (ECN codepoint, RFC 9000 Section 13.4).
type PktInfo struct {
	ECN uint8
}

// MaxUDPPayloadSize is the datagram size a Conn uses until it knows
// better (RFC 9000, Section 14: every QUIC endpoint must support 1200).
const MaxUDPPayloadSize = 1200

// CCErrType says which kind of CONNECTION_CLOSE a CCErr stands for.
type CCErrType uint8

// CCErr types (ngtcp2_ccerr_type).
const (
	// CCErrTypeTransport is a transport error: CONNECTION_CLOSE type 0x1c.
	CCErrTypeTransport CCErrType = iota
	// CCErrTypeApplication is an application error: CONNECTION_CLOSE type 0x1d.
	CCErrTypeApplication
	// CCErrTypeVersionNegotiation: the connection ended by version
	// negotiation; nothing is sent.
	CCErrTypeVersionNegotiation
	// CCErrTypeIdleClose: the connection ended by idle timeout; nothing is sent.
	CCErrTypeIdleClose
)

// CCErr is a connection close error: what is sent in, or was received in, a
// CONNECTION_CLOSE frame.
type CCErr struct {
	Type      CCErrType
	ErrorCode uint64
	FrameType uint64 // transport errors only: the frame that triggered it
	Reason    []byte
}

func (e *CCErr) String() string {
	switch e.Type {
	case CCErrTypeTransport:
		return fmt.Sprintf("transport error %s (frame 0x%x): %q", transportCodeName(e.ErrorCode), e.FrameType, e.Reason)
	case CCErrTypeApplication:
		return fmt.Sprintf("application error 0x%x: %q", e.ErrorCode, e.Reason)
	case CCErrTypeVersionNegotiation:
		return "version negotiation"
	case CCErrTypeIdleClose:
		return "idle close"
	}
	return fmt.Sprintf("ccerr type %d", e.Type)
}

// Transport error codes (RFC 9000, Section 20.1).
const (
	NoError                 uint64 = 0x00
	InternalError           uint64 = 0x01
	ConnectionRefused       uint64 = 0x02
	FlowControlError        uint64 = 0x03
	StreamLimitError        uint64 = 0x04
	StreamStateError        uint64 = 0x05
	FinalSizeError          uint64 = 0x06
	FrameEncodingError      uint64 = 0x07
	TransportParameterError uint64 = 0x08
	ConnectionIDLimitError  uint64 = 0x09
	ProtocolViolation       uint64 = 0x0a
	InvalidToken            uint64 = 0x0b
	ApplicationError        uint64 = 0x0c
	CryptoBufferExceeded    uint64 = 0x0d
	KeyUpdateError          uint64 = 0x0e
	AEADLimitReached        uint64 = 0x0f
	NoViablePath            uint64 = 0x10
	CryptoErrorBase         uint64 = 0x100 // + TLS alert (RFC 9001, Section 4.8)
)

func transportCodeName(c uint64) string {
	names := [...]string{"NO_ERROR", "INTERNAL_ERROR", "CONNECTION_REFUSED", "FLOW_CONTROL_ERROR",
		"STREAM_LIMIT_ERROR", "STREAM_STATE_ERROR", "FINAL_SIZE_ERROR", "FRAME_ENCODING_ERROR",
		"TRANSPORT_PARAMETER_ERROR", "CONNECTION_ID_LIMIT_ERROR", "PROTOCOL_VIOLATION", "INVALID_TOKEN",
		"APPLICATION_ERROR", "CRYPTO_BUFFER_EXCEEDED", "KEY_UPDATE_ERROR", "AEAD_LIMIT_REACHED", "NO_VIABLE_PATH"}
	if c < uint64(len(names)) {
		return names[c]
	}
	if c >= CryptoErrorBase && c < CryptoErrorBase+0x100 {
		return fmt.Sprintf("CRYPTO_ERROR(alert %d)", c-CryptoErrorBase)
	}
	return fmt.Sprintf("0x%x", c)
}

// StreamDataFlags describe data passed to Callbacks.RecvStreamData.
type StreamDataFlags uint8

// Stream data flags.
const (
	StreamDataFlagNone StreamDataFlags = 0
	// StreamDataFlagFin: this is the end of the stream.
	StreamDataFlagFin StreamDataFlags = 0x01
)

// WriteStreamFlags control WriteStream.
type WriteStreamFlags uint8

// Write stream flags (NGTCP2_WRITE_STREAM_FLAG_*).
const (
	WriteStreamFlagNone WriteStreamFlags = 0
	// WriteStreamFlagMore asks WriteStream to return ErrWriteMore when the
	// packet still has room, so the caller can add data of other streams
	// to the same packet.
	WriteStreamFlagMore WriteStreamFlags = 0x01
	// WriteStreamFlagFin marks the end of the stream's data.
	WriteStreamFlagFin WriteStreamFlags = 0x02
)
