package wire

import (
	"errors"
	"strconv"
)

// TransportErrorCode is a QUIC transport error code (RFC 9000, Section 20.1).
// It implements error so that errors.Is(err, wire.FrameEncodingError)
// matches any *TransportError carrying that code.
type TransportErrorCode uint64

// Transport error codes, RFC 9000, Section 20.1, plus
// VERSION_NEGOTIATION_ERROR from RFC 9368, Section 10.2.
const (
	NoError                 TransportErrorCode = 0x00
	InternalError           TransportErrorCode = 0x01
	ConnectionRefused       TransportErrorCode = 0x02
	FlowControlError        TransportErrorCode = 0x03
	StreamLimitError        TransportErrorCode = 0x04
	StreamStateError        TransportErrorCode = 0x05
	FinalSizeError          TransportErrorCode = 0x06
	FrameEncodingError      TransportErrorCode = 0x07
	TransportParameterError TransportErrorCode = 0x08
	ConnectionIDLimitError  TransportErrorCode = 0x09
	ProtocolViolation       TransportErrorCode = 0x0a
	InvalidToken            TransportErrorCode = 0x0b
	ApplicationError        TransportErrorCode = 0x0c
	CryptoBufferExceeded    TransportErrorCode = 0x0d
	KeyUpdateError          TransportErrorCode = 0x0e
	AEADLimitReached        TransportErrorCode = 0x0f
	NoViablePath            TransportErrorCode = 0x10
	VersionNegotiationError TransportErrorCode = 0x11
	// CryptoErrorBase is the start of the CRYPTO_ERROR range 0x0100-0x01ff:
	// "The TLS alert is turned into a QUIC connection error by converting
	// the one-byte alert description into a QUIC error code. The alert
	// description is added to 0x0100" (RFC 9001, Section 4.8).
	CryptoErrorBase TransportErrorCode = 0x100
)

var transportErrorNames = [...]string{
	NoError:                 "NO_ERROR",
	InternalError:           "INTERNAL_ERROR",
	ConnectionRefused:       "CONNECTION_REFUSED",
	FlowControlError:        "FLOW_CONTROL_ERROR",
	StreamLimitError:        "STREAM_LIMIT_ERROR",
	StreamStateError:        "STREAM_STATE_ERROR",
	FinalSizeError:          "FINAL_SIZE_ERROR",
	FrameEncodingError:      "FRAME_ENCODING_ERROR",
	TransportParameterError: "TRANSPORT_PARAMETER_ERROR",
	ConnectionIDLimitError:  "CONNECTION_ID_LIMIT_ERROR",
	ProtocolViolation:       "PROTOCOL_VIOLATION",
	InvalidToken:            "INVALID_TOKEN",
	ApplicationError:        "APPLICATION_ERROR",
	CryptoBufferExceeded:    "CRYPTO_BUFFER_EXCEEDED",
	KeyUpdateError:          "KEY_UPDATE_ERROR",
	AEADLimitReached:        "AEAD_LIMIT_REACHED",
	NoViablePath:            "NO_VIABLE_PATH",
	VersionNegotiationError: "VERSION_NEGOTIATION_ERROR",
}

// CryptoError returns the CRYPTO_ERROR code for a TLS alert description.
func CryptoError(alert uint8) TransportErrorCode { return CryptoErrorBase + TransportErrorCode(alert) }

// IsCryptoError reports whether c is in the CRYPTO_ERROR range.
func (c TransportErrorCode) IsCryptoError() bool { return c >= 0x100 && c <= 0x1ff }

// Name returns the RFC name of the code, "CRYPTO_ERROR(0x1nn)" for the TLS
// alert range, and "0x.." for codes this package does not know.
func (c TransportErrorCode) Name() string {
	if c < TransportErrorCode(len(transportErrorNames)) {
		return transportErrorNames[c]
	}
	if c.IsCryptoError() {
		return "CRYPTO_ERROR(0x" + strconv.FormatUint(uint64(c), 16) + ")"
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

func (c TransportErrorCode) String() string { return c.Name() }

// Error makes a bare code usable as an errors.Is target.
func (c TransportErrorCode) Error() string { return "quic: " + c.Name() }

// TransportError is a connection error found while decoding: the code to
// put into CONNECTION_CLOSE (frame type 0x1c), the frame type that
// triggered it (0 when none), and a stable short reason naming the rule
// that fired (for logs, metrics and tests; also usable as the wire reason
// phrase).
type TransportError struct {
	Code      TransportErrorCode
	FrameType uint64
	Reason    string
}

func (e *TransportError) Error() string {
	s := "quic: " + e.Code.Name()
	if e.FrameType != 0 {
		s += " in frame 0x" + strconv.FormatUint(e.FrameType, 16)
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is matches a TransportErrorCode target with the same code, and a
// *TransportError target with the same code and reason.
func (e *TransportError) Is(target error) bool {
	switch t := target.(type) {
	case TransportErrorCode:
		return e.Code == t
	case *TransportError:
		return e.Code == t.Code && e.Reason == t.Reason
	}
	return false
}

// Packet-level errors. A packet that fails to parse is dropped (RFC 9000,
// Section 12.2 and 5.2); these errors say why.
var (
	// ErrTruncated: the datagram ends inside a header field.
	ErrTruncated = errors.New("wire: packet truncated")
	// ErrFixedBit: the fixed bit is 0 (RFC 9000, Section 17.2: "Packets
	// containing a zero value for this bit are not valid packets in this
	// version and MUST be discarded").
	ErrFixedBit = errors.New("wire: fixed bit is zero")
	// ErrConnIDLen: a v1/v2 connection ID longer than 20 bytes (RFC 9000,
	// Section 17.2: "Endpoints that receive a version 1 long header with a
	// value larger than 20 MUST drop the packet").
	ErrConnIDLen = errors.New("wire: connection ID longer than 20 bytes")
	// ErrUnsupportedVersion: a long header with a version this package does
	// not parse beyond the invariant fields (RFC 8999).
	ErrUnsupportedVersion = errors.New("wire: unsupported version")
	// ErrLength: the Length field runs past the end of the datagram.
	ErrLength = errors.New("wire: length exceeds datagram")
	// ErrInvalidArgument: input that cannot be a QUIC packet at all (for
	// example an empty datagram), as ngtcp2's NGTCP2_ERR_INVALID_ARGUMENT.
	ErrInvalidArgument = errors.New("wire: invalid argument")
	// ErrVersionNegotiation: DecodeVersionCID saw an unsupported version in
	// a datagram large enough to be answered with Version Negotiation, as
	// ngtcp2's NGTCP2_ERR_VERSION_NEGOTIATION.
	ErrVersionNegotiation = errors.New("wire: version negotiation required")
)
