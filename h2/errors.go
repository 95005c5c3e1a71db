package h2

import "strconv"

// Error is a library error. The values are nghttp2's negative error codes so
// logs and tests can be compared with nghttp2 one to one.
type Error int

// Library errors, with nghttp2's values (nghttp2.h, enum nghttp2_error).
const (
	ErrInvalidArgument         Error = -501 // a function argument is invalid
	ErrBufferError             Error = -502 // out of buffer space
	ErrUnsupportedVersion      Error = -503 // the version is not supported
	ErrWouldBlock              Error = -504 // Send cannot take more data now; try again later
	ErrProto                   Error = -505 // general protocol error
	ErrInvalidFrame            Error = -506 // the frame is invalid
	ErrEOF                     Error = -507 // the peer performed a shutdown on the connection
	ErrDeferred                Error = -508 // a DataProvider pauses; resume with ResumeData
	ErrStreamIDNotAvailable    Error = -509 // stream IDs are exhausted
	ErrStreamClosed            Error = -510 // the stream is already closed or does not exist
	ErrStreamClosing           Error = -511 // RST_STREAM has been queued for the stream
	ErrStreamShutWr            Error = -512 // the stream is half-closed (local)
	ErrInvalidStreamID         Error = -513 // the stream ID is invalid
	ErrInvalidStreamState      Error = -514 // the stream's state does not allow the operation
	ErrDeferredDataExist       Error = -515 // another DATA frame is already deferred
	ErrStartStreamNotAllowed   Error = -516 // starting a new stream is not allowed (GOAWAY)
	ErrGoawayAlreadySent       Error = -517 // GOAWAY has already been sent
	ErrInvalidHeaderBlock      Error = -518 // the received header block is invalid
	ErrInvalidState            Error = -519 // the session is in a state that forbids the call
	ErrTemporalCallbackFailure Error = -521 // a callback failed for one stream only
	ErrFrameSizeError          Error = -522 // the frame length is invalid
	ErrHeaderComp              Error = -523 // header block decoding failed
	ErrFlowControl             Error = -524 // flow control was violated
	ErrInsuffBufsize           Error = -525 // a buffer is too small
	ErrPause                   Error = -526 // a callback asked to pause
	ErrTooManyInflightSettings Error = -527 // too many unacknowledged SETTINGS
	ErrPushDisabled            Error = -528 // the peer disabled server push
	ErrDataExist               Error = -529 // the stream already has a DataProvider
	ErrSessionClosing          Error = -530 // the session is closing
	ErrHTTPHeader              Error = -531 // a header field violates HTTP messaging rules
	ErrHTTPMessaging           Error = -532 // the message violates HTTP messaging rules
	ErrRefusedStream           Error = -533 // the stream was refused
	ErrInternal                Error = -534 // an internal error
	ErrCancel                  Error = -535 // BeforeFrameSend cancels the frame
	ErrSettingsExpected        Error = -536 // the first frame from the peer was not SETTINGS
	ErrTooManySettings         Error = -537 // a SETTINGS frame has too many entries
	ErrNoMem                   Error = -901 // out of memory
	ErrCallbackFailure         Error = -902 // a callback failed; the session is unusable
	ErrBadClientMagic          Error = -903 // the client connection preface is wrong
	ErrFlooded                 Error = -904 // the peer floods us with frames
	ErrTooManyContinuations    Error = -905 // too many CONTINUATION frames in one block
)

var errorNames = map[Error]string{
	ErrInvalidArgument:         "invalid argument",
	ErrBufferError:             "out of buffer space",
	ErrUnsupportedVersion:      "unsupported version",
	ErrWouldBlock:              "operation would block",
	ErrProto:                   "protocol error",
	ErrInvalidFrame:            "invalid frame octets",
	ErrEOF:                     "EOF",
	ErrDeferred:                "data provider deferred",
	ErrStreamIDNotAvailable:    "no more stream ID available",
	ErrStreamClosed:            "stream was already closed or invalid",
	ErrStreamClosing:           "stream is closing",
	ErrStreamShutWr:            "the transmission is not allowed for this stream",
	ErrInvalidStreamID:         "stream ID is invalid",
	ErrInvalidStreamState:      "invalid stream state",
	ErrDeferredDataExist:       "another DATA frame has already been deferred",
	ErrStartStreamNotAllowed:   "request HEADERS is not allowed",
	ErrGoawayAlreadySent:       "GOAWAY has already been sent",
	ErrInvalidHeaderBlock:      "invalid header block",
	ErrInvalidState:            "invalid state",
	ErrTemporalCallbackFailure: "the user callback function failed due to the temporal error",
	ErrFrameSizeError:          "the length of the frame is invalid",
	ErrHeaderComp:              "header compression/decompression error",
	ErrFlowControl:             "flow control error",
	ErrInsuffBufsize:           "insufficient buffer size given to function",
	ErrPause:                   "callback was paused by the application",
	ErrTooManyInflightSettings: "too many inflight SETTINGS",
	ErrPushDisabled:            "server push is disabled by peer",
	ErrDataExist:               "DATA or HEADERS frame has already been submitted for the stream",
	ErrSessionClosing:          "the current session is closing",
	ErrHTTPHeader:              "invalid HTTP header field was received",
	ErrHTTPMessaging:           "violation in HTTP messaging rule",
	ErrRefusedStream:           "stream was refused",
	ErrInternal:                "internal error",
	ErrCancel:                  "cancel",
	ErrSettingsExpected:        "when a local endpoint expects to receive SETTINGS frame, it receives an other type of frame",
	ErrTooManySettings:         "SETTINGS frame contained more than the maximum allowed entries",
	ErrNoMem:                   "out of memory",
	ErrCallbackFailure:         "the user callback function failed",
	ErrBadClientMagic:          "received bad client magic byte string",
	ErrFlooded:                 "flooding was detected in this HTTP/2 session, and it must be closed",
	ErrTooManyContinuations:    "too many CONTINUATION frames following a HEADER frame",
}

// Error returns nghttp2's description of the error.
func (e Error) Error() string {
	if s, ok := errorNames[e]; ok {
		return "h2: " + s
	}
	return "h2: unknown error " + strconv.Itoa(int(e))
}

// IsFatal reports whether the error leaves the session unusable, as
// nghttp2_is_fatal does (values below -900).
func (e Error) IsFatal() bool { return e < -900 }

// ErrorCode is an HTTP/2 error code carried by RST_STREAM and GOAWAY
// (RFC 9113, Section 7).
type ErrorCode uint32

// HTTP/2 error codes, RFC 9113, Section 7.
const (
	NoError            ErrorCode = 0x0
	ProtocolError      ErrorCode = 0x1
	InternalError      ErrorCode = 0x2
	FlowControlError   ErrorCode = 0x3
	SettingsTimeout    ErrorCode = 0x4
	StreamClosed       ErrorCode = 0x5
	FrameSizeError     ErrorCode = 0x6
	RefusedStream      ErrorCode = 0x7
	Cancel             ErrorCode = 0x8
	CompressionError   ErrorCode = 0x9
	ConnectError       ErrorCode = 0xa
	EnhanceYourCalm    ErrorCode = 0xb
	InadequateSecurity ErrorCode = 0xc
	HTTP11Required     ErrorCode = 0xd
)

var errorCodeNames = [...]string{
	NoError:            "NO_ERROR",
	ProtocolError:      "PROTOCOL_ERROR",
	InternalError:      "INTERNAL_ERROR",
	FlowControlError:   "FLOW_CONTROL_ERROR",
	SettingsTimeout:    "SETTINGS_TIMEOUT",
	StreamClosed:       "STREAM_CLOSED",
	FrameSizeError:     "FRAME_SIZE_ERROR",
	RefusedStream:      "REFUSED_STREAM",
	Cancel:             "CANCEL",
	CompressionError:   "COMPRESSION_ERROR",
	ConnectError:       "CONNECT_ERROR",
	EnhanceYourCalm:    "ENHANCE_YOUR_CALM",
	InadequateSecurity: "INADEQUATE_SECURITY",
	HTTP11Required:     "HTTP_1_1_REQUIRED",
}

// String returns the RFC name of the code, for example "PROTOCOL_ERROR".
func (c ErrorCode) String() string {
	if int(c) < len(errorCodeNames) {
		return errorCodeNames[c]
	}
	return "unknown error code 0x" + strconv.FormatUint(uint64(c), 16)
}

// Error makes an ErrorCode usable as an errors.Is target:
// errors.Is(err, h2.FlowControlError) is true when the session answered
// a violation with a FLOW_CONTROL_ERROR.
// It returns the same text as String, so that fmt prints codes by name.
func (c ErrorCode) Error() string { return c.String() }

// ConnError is what MemRecv (and Send, for violations noticed while
// sending) returns when the session ended the connection with GOAWAY. It
// carries the library error, the HTTP/2 code that was sent, and the name of
// the rule that fired. errors.Is matches both Lib and Code:
//
//	errors.Is(err, h2.ErrFlowControl) && errors.Is(err, h2.FlowControlError)
type ConnError struct {
	Lib  Error     // library error, e.g. ErrFlowControl
	Code ErrorCode // the code sent in GOAWAY
	Rule string    // stable name of the rule, e.g. "data_flow_control"
}

func (e *ConnError) Error() string {
	return e.Lib.Error() + " (" + e.Code.String() + ": " + e.Rule + ")"
}

// Is reports whether target is the library error or the HTTP/2 code.
func (e *ConnError) Is(target error) bool {
	switch t := target.(type) {
	case Error:
		return t == e.Lib
	case ErrorCode:
		return t == e.Code
	}
	return false
}

// Unwrap returns the library error, so errors.As(err, &h2.Error) works.
func (e *ConnError) Unwrap() error { return e.Lib }

// libErrorFor maps a connection error code to the library error nghttp2
// reports for it.
func libErrorFor(code ErrorCode) Error {
	switch code {
	case FlowControlError:
		return ErrFlowControl
	case FrameSizeError:
		return ErrFrameSizeError
	case CompressionError:
		return ErrHeaderComp
	case StreamClosed:
		return ErrStreamClosed
	case EnhanceYourCalm:
		return ErrFlooded
	case SettingsTimeout:
		return ErrProto
	}
	return ErrProto
}

// StreamError is what MemRecv returns when the peer broke a rule that
// costs one stream only: the session answered with RST_STREAM (Code) and
// goes on; MemRecv consumed all its input. It is not fatal, unlike
// *ConnError and ErrCallbackFailure. errors.Is matches Lib and Code. When
// several streams were reset in one call, the first is reported. The
// value is owned by the session and valid until the next MemRecv.
type StreamError struct {
	StreamID int32
	Lib      Error
	Code     ErrorCode
	Rule     string
}

func (e *StreamError) Error() string {
	return "h2: stream " + strconv.Itoa(int(e.StreamID)) + ": " + e.Lib.Error() + " (" + e.Code.String() + ": " + e.Rule + ")"
}

// Is reports whether target is the library error or the HTTP/2 code.
func (e *StreamError) Is(target error) bool {
	switch t := target.(type) {
	case Error:
		return t == e.Lib
	case ErrorCode:
		return t == e.Code
	}
	return false
}

// Unwrap returns the library error.
func (e *StreamError) Unwrap() error { return e.Lib }

// IsFatal reports whether err, returned by a Session method, means the
// session is over (a *ConnError, or an Error for which Error.IsFatal
// holds); a *StreamError and nil are not fatal.
func IsFatal(err error) bool {
	switch e := err.(type) {
	case nil, *StreamError:
		return false
	case *ConnError:
		return true
	case Error:
		return e.IsFatal()
	}
	return true
}

// streamLibError picks the library error for a stream error.
func streamLibError(code ErrorCode, rule string) Error {
	switch {
	case len(rule) > 5 && rule[:5] == "http_":
		return ErrHTTPMessaging
	case code == RefusedStream:
		return ErrRefusedStream
	case code == InternalError:
		return ErrTemporalCallbackFailure
	}
	return libErrorFor(code)
}
