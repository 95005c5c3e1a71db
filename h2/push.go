package h2

// Server push (RFC 9113, Section 8.4): off unless the client enables it
// with SETTINGS_ENABLE_PUSH=1.

// SubmitPushPromise queues PUSH_PROMISE on streamID (server only),
// promising a request described by nva, and returns the promised stream
// ID. The promised stream is reserved when the frame is sent; the
// response goes out with SubmitResponse on the promised ID. Returns the ID
// on success, or one of: ErrProto — s is a client session;
// ErrInvalidArgument — streamID is not a client stream;
// ErrPushDisabled — the client disabled push; ErrStreamIDNotAvailable —
// the even stream IDs are exhausted; ErrNoMem.
func (s *Session) SubmitPushPromise(flags FrameFlags, streamID int32, nva []NV, promisedStreamData any) (int32, error) {
	if !s.server {
		return 0, ErrProto
	}
	if streamID <= 0 || streamID%2 == 0 {
		return 0, ErrInvalidArgument
	}
	if s.remote.enablePush == 0 {
		return 0, ErrPushDisabled
	}
	if s.nextStreamID > maxStreamID || s.nextStreamID < 0 {
		return 0, ErrStreamIDNotAvailable
	}
	it, err := s.newItem(FramePushPromise)
	if err != nil {
		return 0, err
	}
	it.streamID = streamID
	it.setNVA(nva)
	it.promisedID = s.nextStreamID
	it.streamData = promisedStreamData
	s.nextStreamID += 2
	s.queueCtrl(it)
	return it.promisedID, nil
}

// onPushPromise handles PUSH_PROMISE (RFC 9113, Section 6.6).
func (s *Session) onPushPromise(f *Frame, fragment []byte) error {
	b := &s.r.blk
	*b = headerBlock{active: true, frame: *f, streamID: f.Hd.StreamID}
	b.frame.Cat = HCatRequest
	// "A client cannot push. Thus, servers MUST treat the receipt of a
	// PUSH_PROMISE frame as a connection error of type PROTOCOL_ERROR."
	if s.server {
		return s.connError(ProtocolError, ErrProto, "push_promise_to_server")
	}
	// "PUSH_PROMISE MUST NOT be sent if the SETTINGS_ENABLE_PUSH setting of
	// the peer endpoint is set to 0."
	if !s.pushEnabled {
		return s.connError(ProtocolError, ErrProto, "push_promise_disabled")
	}
	promised := f.PromisedStreamID
	// The promised ID must be a new server stream ID (Section 5.1.1).
	if promised%2 != 0 || promised <= s.lastRecvStreamID {
		return s.connError(ProtocolError, ErrProto, "push_promise_invalid_promised_id")
	}
	s.lastRecvStreamID = promised
	assoc := s.streams.get(f.Hd.StreamID)
	if assoc == nil {
		if s.isIdle(f.Hd.StreamID) {
			return s.connError(ProtocolError, ErrProto, "push_promise_on_idle_stream")
		}
		// The associated stream is closed: decode and refuse the push.
		if err := s.streamError(promised, Cancel, "push_promise_on_closed_stream"); err != nil {
			return err
		}
		return s.headerFragment(fragment, f.Hd.Flags.Has(FlagEndHeaders))
	}
	// "A receiver MUST treat the receipt of a PUSH_PROMISE on a stream
	// that is neither "open" nor "half-closed (local)" as a connection
	// error of type PROTOCOL_ERROR."
	if assoc.state != stateOpen && assoc.state != stateHalfClosedLocal {
		return s.connError(ProtocolError, ErrProto, "push_promise_on_wrong_stream_state")
	}
	if s.goaway&goawaySent != 0 || s.numReservedRemote >= s.opt.MaxReservedRemoteStreams {
		if err := s.streamError(promised, Cancel, "push_promise_refused"); err != nil {
			return err
		}
		return s.headerFragment(fragment, f.Hd.Flags.Has(FlagEndHeaders))
	}
	st := s.newStream(promised, stateReservedRemote, nil)
	st.pushed = true
	s.numReservedRemote++
	b.st = st
	if s.cb.OnBeginHeaders != nil && s.cb.OnBeginHeaders(s, &b.frame) != nil {
		return ErrCallbackFailure
	}
	return s.headerFragment(fragment, f.Hd.Flags.Has(FlagEndHeaders))
}

// SubmitAltsvc queues an ALTSVC frame (RFC 7838, Section 4, server only):
// on stream 0 with a non-empty origin, or on a stream with an empty one.
// Returns nil on success, or one of: ErrInvalidState — s is a client
// session; ErrInvalidArgument — origin and streamID do not match, or the
// frame would not fit; ErrNoMem.
func (s *Session) SubmitAltsvc(streamID int32, origin, fieldValue []byte) error {
	if !s.server {
		return ErrInvalidState
	}
	if streamID < 0 || (streamID == 0) != (len(origin) > 0) || 2+len(origin)+len(fieldValue) > int(s.remote.maxFrameSize) || len(origin) > 0xffff {
		return ErrInvalidArgument
	}
	it, err := s.newItem(FrameAltsvc)
	if err != nil {
		return err
	}
	it.streamID = streamID
	it.origin = append(it.origin[:0], origin...)
	it.buf = append(it.buf[:0], fieldValue...)
	s.queueCtrl(it)
	return nil
}

// SubmitOrigin queues an ORIGIN frame (RFC 8336, Section 2, server only)
// listing origins (each an ASCII serialized origin). Returns nil on
// success, or one of: ErrInvalidState — s is a client session;
// ErrInvalidArgument — the frame would not fit; ErrNoMem.
func (s *Session) SubmitOrigin(origins [][]byte) error {
	if !s.server {
		return ErrInvalidState
	}
	n := 0
	for _, o := range origins {
		if len(o) > 0xffff {
			return ErrInvalidArgument
		}
		n += 2 + len(o)
	}
	if n > int(s.remote.maxFrameSize) {
		return ErrInvalidArgument
	}
	it, err := s.newItem(FrameOrigin)
	if err != nil {
		return err
	}
	// Stored as the frame's payload, Origin-Entry after Origin-Entry.
	buf := it.buf[:0]
	for _, o := range origins {
		buf = append(buf, byte(len(o)>>8), byte(len(o)))
		buf = append(buf, o...)
	}
	it.buf = buf
	s.queueCtrl(it)
	return nil
}
