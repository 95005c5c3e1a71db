package quic

import (
	"errors"
	"fmt"
)

// Error is a library error. The values and names follow ngtcp2's
// NGTCP2_ERR_* codes so that logs and tests can be compared with ngtcp2.
type Error int

// Library errors (ngtcp2/ngtcp2.h).
const (
	ErrInvalidArgument           Error = -201 // an argument is out of range
	ErrNoBuf                     Error = -202 // the destination buffer is too small
	ErrProto                     Error = -205 // the peer violated the protocol
	ErrInvalidState              Error = -206 // the call is not allowed in the current state
	ErrAckFrame                  Error = -207 // an ACK frame is invalid
	ErrStreamIDBlocked           Error = -208 // the peer's stream limit does not allow a new stream
	ErrStreamInUse               Error = -209 // the stream ID is already in use
	ErrStreamDataBlocked         Error = -210 // stream-level flow control has no credit
	ErrFlowControl               Error = -211 // the peer exceeded a flow control limit
	ErrConnectionIDLimit         Error = -212 // the peer exceeded active_connection_id_limit
	ErrStreamLimit               Error = -213 // the peer opened more streams than allowed
	ErrFinalSize                 Error = -214 // the peer changed a stream's final size
	ErrCrypto                    Error = -215 // the TLS stack reported an error
	ErrPktNumExhausted           Error = -216 // no packet number is left to send a packet
	ErrRequiredTransportParam    Error = -217 // a required transport parameter is missing
	ErrMalformedTransportParam   Error = -218 // a transport parameter is malformed
	ErrFrameEncoding             Error = -219 // a frame could not be decoded
	ErrDecrypt                   Error = -220 // a packet could not be decrypted
	ErrStreamShutWR              Error = -221 // the stream's write side is shut
	ErrStreamNotFound            Error = -222 // no such stream
	ErrStreamState               Error = -226 // the frame is not allowed in the stream's state
	ErrRecvVersionNegotiation    Error = -229 // a Version Negotiation packet was received
	ErrClosing                   Error = -230 // the connection is in its closing period
	ErrDraining                  Error = -231 // the connection is in its draining period
	ErrTransportParam            Error = -234 // a transport parameter value is invalid
	ErrDiscardPkt                Error = -235 // the packet was discarded
	ErrConnIDExhausted           Error = -236 // no unused connection ID is left
	ErrIdleClose                 Error = -239 // the idle timeout expired
	ErrWriteMore                 Error = -240 // the packet has room for more stream data
	ErrRetry                     Error = -241 // the server should send Retry
	ErrDropConn                  Error = -242 // the connection should be dropped silently
	ErrAEADLimitReached          Error = -243 // the AEAD usage limit was reached
	ErrNoViablePath              Error = -244 // no path is usable
	ErrVersionNegotiation        Error = -245 // version negotiation is required
	ErrHandshakeTimeout          Error = -246 // the handshake did not finish in time
	ErrVersionNegotiationFailure Error = -247 // no common version
	ErrIdleCloseSilent           Error = -248 // reserved
	ErrNoMem                     Error = -501 // out of memory, or a configured limit was reached
	ErrCallbackFailure           Error = -502 // an application callback returned an error
)

var errorNames = map[Error]string{
	ErrInvalidArgument:           "ERR_INVALID_ARGUMENT",
	ErrNoBuf:                     "ERR_NOBUF",
	ErrProto:                     "ERR_PROTO",
	ErrInvalidState:              "ERR_INVALID_STATE",
	ErrAckFrame:                  "ERR_ACK_FRAME",
	ErrStreamIDBlocked:           "ERR_STREAM_ID_BLOCKED",
	ErrStreamInUse:               "ERR_STREAM_IN_USE",
	ErrStreamDataBlocked:         "ERR_STREAM_DATA_BLOCKED",
	ErrFlowControl:               "ERR_FLOW_CONTROL",
	ErrConnectionIDLimit:         "ERR_CONNECTION_ID_LIMIT",
	ErrStreamLimit:               "ERR_STREAM_LIMIT",
	ErrFinalSize:                 "ERR_FINAL_SIZE",
	ErrCrypto:                    "ERR_CRYPTO",
	ErrPktNumExhausted:           "ERR_PKT_NUM_EXHAUSTED",
	ErrRequiredTransportParam:    "ERR_REQUIRED_TRANSPORT_PARAM",
	ErrMalformedTransportParam:   "ERR_MALFORMED_TRANSPORT_PARAM",
	ErrFrameEncoding:             "ERR_FRAME_ENCODING",
	ErrDecrypt:                   "ERR_DECRYPT",
	ErrStreamShutWR:              "ERR_STREAM_SHUT_WR",
	ErrStreamNotFound:            "ERR_STREAM_NOT_FOUND",
	ErrStreamState:               "ERR_STREAM_STATE",
	ErrRecvVersionNegotiation:    "ERR_RECV_VERSION_NEGOTIATION",
	ErrClosing:                   "ERR_CLOSING",
	ErrDraining:                  "ERR_DRAINING",
	ErrTransportParam:            "ERR_TRANSPORT_PARAM",
	ErrDiscardPkt:                "ERR_DISCARD_PKT",
	ErrConnIDExhausted:           "ERR_CONN_ID_EXHAUSTED",
	ErrIdleClose:                 "ERR_IDLE_CLOSE",
	ErrWriteMore:                 "ERR_WRITE_MORE",
	ErrRetry:                     "ERR_RETRY",
	ErrDropConn:                  "ERR_DROP_CONN",
	ErrAEADLimitReached:          "ERR_AEAD_LIMIT_REACHED",
	ErrNoViablePath:              "ERR_NO_VIABLE_PATH",
	ErrVersionNegotiation:        "ERR_VERSION_NEGOTIATION",
	ErrHandshakeTimeout:          "ERR_HANDSHAKE_TIMEOUT",
	ErrVersionNegotiationFailure: "ERR_VERSION_NEGOTIATION_FAILURE",
	ErrIdleCloseSilent:           "ERR_IDLE_CLOSE_SILENT",
	ErrNoMem:                     "ERR_NOMEM",
	ErrCallbackFailure:           "ERR_CALLBACK_FAILURE",
}

func (e Error) Error() string {
	if s, ok := errorNames[e]; ok {
		return "quic: " + s
	}
	return fmt.Sprintf("quic: error %d", int(e))
}

// ConnError is returned by ReadPkt (and the calls that process peer input)
// when the peer broke a rule. CCErr is the CONNECTION_CLOSE the connection
// sends for it; Rule is a stable name of the check that fired, for logs and
// tests. errors.Is(err, ErrProto) and friends match through Err.
type ConnError struct {
	CCErr CCErr
	Rule  string
	Err   Error
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("%v: %s (%s, code 0x%x)", e.Err, e.Rule, transportCodeName(e.CCErr.ErrorCode), e.CCErr.ErrorCode)
}

func (e *ConnError) Unwrap() error { return e.Err }

// callbackError wraps an application callback's error so that the caller
// sees both ErrCallbackFailure and the application's own error.
type callbackError struct{ err error }

func (e *callbackError) Error() string   { return "quic: callback failed: " + e.err.Error() }
func (e *callbackError) Is(t error) bool { return t == ErrCallbackFailure }
func (e *callbackError) Unwrap() error   { return e.err }

func cbErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *callbackError
	if errors.As(err, &ce) {
		return err
	}
	return &callbackError{err}
}
