package h2

// Callbacks connect a Session to the application. A nil field means "not
// interested". Frames passed to callbacks belong to the session and are
// valid only during the call; so are name, value and data slices.
//
// Unless a callback's documentation says otherwise, returning a non-nil
// error makes the session unusable: the call that invoked the callback
// (MemRecv, Send, MemSend) returns ErrCallbackFailure.
type Callbacks struct {
	// Send writes data to the peer and returns how much it took. It may
	// take fewer bytes than offered; returning ErrWouldBlock (with 0)
	// makes Send return nil, and the next Send resumes with the rest.
	// Required for Send; MemSend does not use it.
	Send func(s *Session, data []byte) (int, error)

	// SendData writes a DATA frame whose DataProvider set DataFlagNoCopy:
	// frameHeader (9 octets, plus the Pad Length octet when f.PadLen > 0),
	// then length octets of payload taken from the application's own
	// buffers, then f.PadLen-1 zero octets of padding if f.PadLen > 0.
	// It either writes the whole frame and returns nil, or writes nothing
	// and returns ErrWouldBlock, and is called again with the same frame.
	// ErrTemporalCallbackFailure (nothing written) resets just this
	// stream with INTERNAL_ERROR. Unlike nghttp2's send_data_callback,
	// frameHeader already holds the Pad Length octet.
	SendData func(s *Session, f *Frame, frameHeader []byte, length int) error

	// OnBeginFrame is called when a frame header has been received.
	OnBeginFrame func(s *Session, hd *FrameHeader) error

	// OnBeginHeaders is called when a HEADERS frame that opens a header
	// block is received; f.Cat tells request, response, push response or
	// trailers apart. Returning ErrTemporalCallbackFailure resets the
	// stream with INTERNAL_ERROR.
	OnBeginHeaders func(s *Session, f *Frame) error

	// OnHeader is called for each received header field, after the HTTP
	// messaging checks. Returning ErrTemporalCallbackFailure resets the
	// stream with INTERNAL_ERROR.
	OnHeader func(s *Session, f *Frame, name, value []byte, flags NVFlag) error

	// OnFrameRecv is called when a whole frame has been received and
	// processed (for HEADERS, after its last CONTINUATION).
	OnFrameRecv func(s *Session, f *Frame) error

	// OnInvalidFrameRecv is called when a received frame breaks a rule
	// and the session answers with RST_STREAM or GOAWAY; code tells which
	// library error it was.
	OnInvalidFrameRecv func(s *Session, f *Frame, code Error) error

	// OnDataChunkRecv is called with the payload of each DATA frame,
	// padding removed. Returning ErrPause makes MemRecv return right after
	// this frame, with the count of octets consumed so far (backpressure).
	OnDataChunkRecv func(s *Session, flags FrameFlags, streamID int32, data []byte) error

	// OnExtensionFrame is called with an extension frame whose type is
	// listed in Options.ExtensionTypes; f.Payload is its payload.
	OnExtensionFrame func(s *Session, f *Frame) error

	// SelectPadding returns the padded payload length (at least the
	// frame's payload length, at most maxPayload) for HEADERS,
	// PUSH_PROMISE and DATA frames. Without it no padding is added.
	SelectPadding func(s *Session, f *Frame, maxPayload int) (int, error)

	// BeforeFrameSend is called just before a non-DATA frame is written.
	// Returning ErrCancel cancels it (OnFrameNotSend is then called with
	// ErrCancel).
	BeforeFrameSend func(s *Session, f *Frame) error

	// OnFrameSend is called after a frame has been handed to Send
	// completely.
	OnFrameSend func(s *Session, f *Frame) error

	// OnFrameNotSend is called when a queued non-DATA frame cannot be
	// sent; code says why (for example ErrStreamClosed, ErrStartStreamNotAllowed,
	// ErrCancel).
	OnFrameNotSend func(s *Session, f *Frame, code Error) error

	// OnStreamClose is called when a stream closes; code is the error
	// code of the RST_STREAM that closed it, or NoError.
	OnStreamClose func(s *Session, streamID int32, code ErrorCode) error

	// OnError reports a protocol violation by the peer, with the name of
	// the rule that fired, before the session answers it.
	OnError func(s *Session, code Error, rule string) error
}
