package h2

// GOAWAY (RFC 9113, Section 6.8) and the ways a session ends: graceful
// shutdown, termination by the application, and connection errors.

// maxGoawayDebugData bounds opaque data so a GOAWAY fits the smallest
// frame size every peer accepts (2^14 octets, 8 of them fixed fields).
const maxGoawayDebugData = minMaxFrameSize - 8

// SubmitGoaway queues GOAWAY with lastStreamID and code; flags is ignored
// and should be FlagNone. lastStreamID is a stream ID of the peer or 0:
// even or 0 for a client session, odd or 0 for a server. The value sent
// is the minimum of lastStreamID and any last_stream_id sent before, since
// RFC 9113, Section 6.8 forbids increasing it. opaqueData, if any, is
// copied and sent as additional debug data. Once the GOAWAY is sent,
// streams the peer opened above the last_stream_id sent are closed and
// new streams from the peer are ignored; when the remaining streams are
// done, WantRead and WantWrite return false.
//
// Returns nil on success, or one of: ErrInvalidArgument — opaqueData is
// too large, or lastStreamID is invalid; ErrNoMem — the outbound queue is
// full.
func (s *Session) SubmitGoaway(flags FrameFlags, lastStreamID int32, code ErrorCode, opaqueData []byte) error {
	if lastStreamID < 0 || (lastStreamID != 0 && s.isLocalStreamID(lastStreamID)) {
		return ErrInvalidArgument
	}
	if len(opaqueData) > maxGoawayDebugData {
		return ErrInvalidArgument
	}
	return s.queueGoaway(lastStreamID, code, opaqueData, 0)
}

// SubmitShutdownNotice starts the graceful shutdown of a server session
// (RFC 9113, Section 6.8): it queues GOAWAY with last_stream_id 2^31-1 and
// NO_ERROR, which tells the client to stop opening streams while the
// server keeps accepting those already on their way. After at least one
// round trip (for example a PING answer), the application sends the real
// GOAWAY with SubmitGoaway(FlagNone, s.LastProcStreamID(), NoError, nil).
// Returns nil on success, or one of: ErrInvalidState — s is a client
// session or a GOAWAY was already sent; ErrNoMem.
func (s *Session) SubmitShutdownNotice() error {
	if !s.server || s.goaway&(goawaySent|goawayTerminated) != 0 {
		return ErrInvalidState
	}
	return s.queueGoaway(maxStreamID, NoError, nil, goawayShutdownNotice)
}

// TerminateSession queues GOAWAY with code and the last stream ID the
// session processed; once it is sent the session is over: WantRead and
// WantWrite return false and nothing else is sent. Returns nil on
// success, or one of: ErrNoMem.
func (s *Session) TerminateSession(code ErrorCode) error {
	if s.goaway&goawayTermOnSend != 0 {
		return nil
	}
	return s.queueGoaway(s.lastRecvStreamID, code, nil, goawayTermOnSend)
}

// LastProcStreamID returns the highest stream ID the peer opened that the
// session processed: the last_stream_id for a graceful GOAWAY.
func (s *Session) LastProcStreamID() int32 { return s.lastRecvStreamID }

func (s *Session) queueGoaway(last int32, code ErrorCode, debug []byte, aux uint8) error {
	var it *outItem
	if aux&goawayTermOnSend != 0 {
		it = s.takeItem(FrameGoaway)
	} else {
		var err error
		if it, err = s.newItem(FrameGoaway); err != nil {
			return err
		}
	}
	// nghttp2 clamps at submission as well as at sending.
	it.lastStreamID = min(last, s.localLastStreamID)
	it.code = code
	it.buf = append(it.buf[:0], debug...)
	it.goawayAux = aux
	if aux&goawayShutdownNotice == 0 {
		s.goaway |= goawayQueued
	}
	if aux&goawayTermOnSend != 0 {
		s.goaway |= goawayTermOnSend
		// Ending the session goes ahead of everything queued.
		it.next = s.ctrl.head
		s.ctrl.head = it
		if s.ctrl.tail == nil {
			s.ctrl.tail = it
		}
		s.ctrl.n++
		return nil
	}
	s.queueCtrl(it)
	return nil
}

// goawaySentDone runs when a GOAWAY has been written (step 10 of Send).
func (s *Session) goawaySentDone(it *outItem, last int32) error {
	s.localLastStreamID = last
	if it.goawayAux&goawayShutdownNotice == 0 {
		s.goaway |= goawaySent
	}
	if it.goawayAux&goawayTermOnSend != 0 {
		s.goaway |= goawayTerminated
		return nil
	}
	// Streams the peer opened above last_stream_id were not and will not
	// be processed.
	return s.closeStreamsAbove(last, false, RefusedStream)
}

// closeStreamsAbove closes the streams above last opened by the peer
// (local false) or by us (local true).
func (s *Session) closeStreamsAbove(last int32, local bool, code ErrorCode) error {
	var victims [64]*stream
	for {
		n := 0
		s.streams.each(func(st *stream) {
			if n < len(victims) && st.id > last && s.isLocalStreamID(st.id) == local {
				victims[n] = st
				n++
			}
		})
		if n == 0 {
			return nil
		}
		for _, st := range victims[:n] {
			// Frames still in flight on these streams are dropped like
			// frames after our RST_STREAM.
			if err := s.closeStream(st, code, closedResetSent); err != nil {
				return err
			}
		}
	}
}

// onGoaway handles a received GOAWAY: no new streams may be opened, and
// our streams above last_stream_id were not processed by the peer and
// are closed with REFUSED_STREAM so the application can retry them
// (RFC 9113, Section 6.8).
func (s *Session) onGoaway(f *Frame, _ []byte) error {
	last := f.LastStreamID
	if last != 0 && !s.isLocalStreamID(last) {
		return s.connError(ProtocolError, ErrProto, "goaway_invalid_last_stream_id")
	}
	s.goaway |= goawayRecv
	s.remoteLastStreamID = min(s.remoteLastStreamID, last)
	if err := s.callFrameRecv(f); err != nil {
		return err
	}
	return s.closeStreamsAbove(last, true, RefusedStream)
}

// connError ends the connection because of the peer: GOAWAY with code and
// the rule's name as debug data goes out first, input is ignored from now
// on, and the returned *ConnError carries lib, code and rule.
func (s *Session) connError(code ErrorCode, lib Error, rule string) error {
	if s.cb.OnError != nil {
		s.cb.OnError(s, lib, rule)
	}
	s.r.state = rsIgnoreAll
	if s.goaway&goawayTermOnSend == 0 {
		_ = s.queueGoaway(s.lastRecvStreamID, code, []byte(rule), goawayTermOnSend)
	}
	return &ConnError{Lib: lib, Code: code, Rule: rule}
}
