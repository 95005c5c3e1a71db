package h2

// Receiving header blocks: HEADERS and PUSH_PROMISE with their
// CONTINUATION frames, decoded fragment by fragment so the HPACK state
// stays in step with the peer even for blocks that are then ignored.

// onHeaders handles HEADERS (RFC 9113, Section 6.2).
func (s *Session) onHeaders(f *Frame, fragment []byte) error {
	s.workDone()
	b := &s.r.blk
	*b = headerBlock{active: true, frame: *f, streamID: f.Hd.StreamID}
	st, err := s.headersStream(f)
	if err != nil {
		b.active = false
		return err
	}
	if st != nil {
		b.st = st
		if s.cb.OnBeginHeaders != nil {
			switch e := s.cb.OnBeginHeaders(s, &b.frame); e {
			case nil:
			case ErrTemporalCallbackFailure:
				b.failed = true
				if err := s.streamError(st.id, InternalError, "on_begin_headers_temporal_failure"); err != nil {
					return err
				}
			default:
				return ErrCallbackFailure
			}
		}
	}
	return s.headerFragment(fragment, f.Hd.Flags.Has(FlagEndHeaders))
}

// headersStream finds or opens the stream a HEADERS frame belongs to and
// sets the block's category. A nil stream with a nil error means the block
// is decoded and dropped.
func (s *Session) headersStream(f *Frame) (*stream, error) {
	id := f.Hd.StreamID
	b := &s.r.blk
	st := s.streams.get(id)
	if st == nil {
		if s.server && !s.isLocalStreamID(id) && id > s.lastRecvStreamID {
			return s.openPeerStream(id)
		}
		if !s.server && !s.isLocalStreamID(id) && s.isIdle(id) {
			// RFC 9113, Section 8.4: a server opens streams only with
			// PUSH_PROMISE, never with HEADERS.
			return nil, s.connError(ProtocolError, ErrProto, "headers_opens_server_stream")
		}
		_, err := s.closedStreamFrame(id, "headers")
		return nil, err
	}
	if st.rstQueued {
		return nil, nil
	}
	if st.state == stateReservedRemote {
		s.openReserved(st)
		b.frame.Cat = HCatPushResponse
		return st, nil
	}
	if st.state == stateReservedLocal {
		// RFC 9113, Section 5.1, "reserved (local)": frames other than
		// RST_STREAM, PRIORITY and WINDOW_UPDATE are a connection error
		// of type PROTOCOL_ERROR.
		return nil, s.connError(ProtocolError, ErrProto, "headers_on_reserved_stream")
	}
	if !st.canRecv() {
		return nil, s.streamError(id, StreamClosed, "headers_on_half_closed_stream")
	}
	// nghttp2's categories: the first block a client receives is the
	// response; later ones are trailers, or the final response after a
	// 1xx (httpState tells them apart).
	b.frame.Cat = HCatHeaders
	if !s.server && !st.recvHeaders {
		b.frame.Cat = HCatResponse
	}
	return st, nil
}

// openPeerStream opens a stream for a request the peer sent (server).
func (s *Session) openPeerStream(id int32) (*stream, error) {
	// RFC 9113, Section 5.1.1: the first use of a stream ID implicitly
	// closes lower idle ones, so it counts even if refused.
	s.lastRecvStreamID = id
	if s.goaway&goawaySent != 0 {
		// After GOAWAY, new streams from the peer are ignored.
		return nil, nil
	}
	if uint32(s.numIncoming) >= s.localMaxConcurrent {
		// RFC 9113, Section 5.1.2: a HEADERS frame that exceeds the
		// advertised concurrent stream limit is a stream error of type
		// PROTOCOL_ERROR or REFUSED_STREAM; REFUSED_STREAM lets the client
		// retry.
		return nil, s.streamError(id, RefusedStream, "max_concurrent_streams_exceeded")
	}
	st := s.newStream(id, stateOpen, nil)
	s.r.blk.frame.Cat = HCatRequest
	return st, nil
}

// onContinuation handles CONTINUATION (RFC 9113, Section 6.10); the
// header of the frame was checked by onFrameHead.
func (s *Session) onContinuation(f *Frame, fragment []byte) error {
	b := &s.r.blk
	b.nCont++
	if b.nCont > s.opt.MaxContinuations {
		// CVE-2024-27316: endless CONTINUATION frames.
		return s.connErrorLib(EnhanceYourCalm, ErrTooManyContinuations, "continuation_flood")
	}
	if len(fragment) == 0 && !f.Hd.Flags.Has(FlagEndHeaders) {
		s.emptyFrames++
		if s.emptyFrames > s.opt.MaxEmptyFrames {
			return s.connErrorLib(EnhanceYourCalm, ErrFlooded, "empty_continuation_flood")
		}
	}
	return s.headerFragment(fragment, f.Hd.Flags.Has(FlagEndHeaders))
}

// headerFragment decodes one fragment of the current block.
func (s *Session) headerFragment(fragment []byte, end bool) error {
	b := &s.r.blk
	b.size += len(fragment)
	if b.size > s.opt.MaxHeaderBlockSize {
		return s.connErrorLib(EnhanceYourCalm, ErrHeaderComp, "header_block_too_large")
	}
	err := s.dec.Decode(fragment, end)
	if b.fatalErr != nil {
		return b.fatalErr
	}
	if ce, ok := err.(*codecError); ok {
		return s.connError(ce.Code, ErrHeaderComp, ce.Name)
	}
	if !end {
		return nil
	}
	b.active = false
	return s.headerBlockDone()
}

// onField receives each decoded field of the current block.
func (s *Session) onField(name, value []byte, flags NVFlag) error {
	b := &s.r.blk
	st := b.st
	if st == nil || b.failed {
		return nil
	}
	if !s.opt.NoHTTPMessaging {
		deliver, err := st.http.onField(b.frame.Cat, name, value, s.local.enableConnectProtocol == 1)
		if err != nil {
			ce := err.(*codecError)
			return s.rejectBlock(st, ce.Code, ce.Name)
		}
		if !deliver {
			return nil
		}
	}
	if s.server && b.frame.Cat == HCatRequest && string(name) == "priority" {
		// RFC 9218, Section 5: the Priority header field of the request.
		u, inc := parsePriorityField(value, st.urgency, st.incremental)
		s.setPriority(st, u, inc)
	}
	if s.cb.OnHeader != nil {
		switch e := s.cb.OnHeader(s, &b.frame, name, value, flags); e {
		case nil:
		case ErrTemporalCallbackFailure:
			return s.rejectBlock(st, InternalError, "on_header_temporal_failure")
		default:
			b.fatalErr = ErrCallbackFailure
			return ErrCallbackFailure
		}
	}
	return nil
}

// rejectBlock answers a bad field with a stream error; the rest of the
// block is decoded without delivery.
func (s *Session) rejectBlock(st *stream, code ErrorCode, rule string) error {
	b := &s.r.blk
	b.failed = true
	if s.cb.OnInvalidFrameRecv != nil && s.cb.OnInvalidFrameRecv(s, &b.frame, ErrHTTPHeader) != nil {
		b.fatalErr = ErrCallbackFailure
		return b.fatalErr
	}
	if err := s.streamError(st.id, code, rule); err != nil {
		b.fatalErr = err
		return err
	}
	return errBlockRejected
}

var errBlockRejected = Error(ErrHTTPHeader)

// headerBlockDone runs when END_HEADERS arrived.
func (s *Session) headerBlockDone() error {
	b := &s.r.blk
	st := b.st
	if st == nil || b.failed {
		return nil
	}
	f := &b.frame
	if f.Hd.Type == FramePushPromise {
		if !s.opt.NoHTTPMessaging {
			if err := st.http.endHeaders(HCatRequest, false, true); err != nil {
				return s.streamCodecError(st.id, err)
			}
		}
		return s.callFrameRecv(f)
	}
	endStream := f.Hd.Flags.Has(FlagEndStream)
	if !s.opt.NoHTTPMessaging {
		err := st.http.endHeaders(f.Cat, endStream, false)
		if err == nil && endStream {
			err = st.http.onEndStream()
		}
		if err != nil {
			return s.streamCodecError(st.id, err)
		}
	}
	st.recvHeaders = true
	if err := s.callFrameRecv(f); err != nil {
		return err
	}
	if endStream && st.state != stateClosed && !st.rstQueued {
		return s.shutRead(st)
	}
	return nil
}
