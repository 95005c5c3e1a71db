package h2

// Flow control, RFC 9113, Section 6.9: the windows of the connection and
// of each stream, both ways, automatic or manual WINDOW_UPDATE.

// recvData charges n octets of a received DATA frame (padding included)
// to the connection window. RFC 9113, Section 6.9.1: "A receiver MAY
// respond with a connection error of type FLOW_CONTROL_ERROR if it is
// unable to accept a frame" that exceeds the window.
func (s *Session) recvDataConn(n int64) error {
	if n > s.connRecvWindow {
		return s.connError(FlowControlError, ErrFlowControl, "data_conn_window_exceeded")
	}
	s.connRecvWindow -= n
	return nil
}

// giveBackConn returns n octets to the connection window and queues a
// WINDOW_UPDATE once half the window is used up, as nghttp2 does.
func (s *Session) giveBackConn(n int64) error {
	s.connRecvConsumed += n
	if s.connRecvConsumed >= s.connRecvLimit/2 || s.connRecvWindow == 0 {
		return s.sendWindowUpdate(0, s.connRecvConsumed)
	}
	return nil
}

// giveBackStream is giveBackConn for one stream.
func (s *Session) giveBackStream(st *stream, n int64) error {
	st.recvConsumed += n
	if st.recvConsumed >= st.recvLimit/2 || st.recvWindow == 0 {
		return s.sendWindowUpdate(st.id, st.recvConsumed)
	}
	return nil
}

// sendWindowUpdate queues WINDOW_UPDATE(incr) and opens the window by incr.
func (s *Session) sendWindowUpdate(streamID int32, incr int64) error {
	if incr <= 0 {
		return nil
	}
	// At most one WINDOW_UPDATE per stream (and one for the connection)
	// waits in the queue: later credit is added to it. So a peer that
	// sends DATA but does not read cannot grow the queue, and the item is
	// not subject to the application's queue limit.
	var slot **outItem
	if streamID == 0 {
		s.connRecvWindow += incr
		s.connRecvConsumed -= incr
		slot = &s.connWU
	} else if st := s.streams.get(streamID); st != nil {
		st.recvWindow += incr
		st.recvConsumed -= incr
		slot = &st.wu
	} else {
		return nil
	}
	if it := *slot; it != nil {
		it.incr += int32(incr)
		return nil
	}
	it := s.takeItem(FrameWindowUpdate)
	it.streamID = streamID
	it.incr = int32(incr)
	*slot = it
	s.queueCtrl(it)
	return nil
}

// Consume tells the session that n octets of DATA received on streamID
// have been processed, for the connection and the stream; it queues
// WINDOW_UPDATE as needed. Only with Options.NoAutoWindowUpdate. Returns
// nil on success, or one of: ErrInvalidArgument — streamID is 0 or n is
// negative; ErrInvalidState — automatic WINDOW_UPDATE is on; ErrNoMem.
// A closed stream is not an error: only the connection is credited.
func (s *Session) Consume(streamID int32, n int) error {
	if streamID == 0 {
		return ErrInvalidArgument
	}
	if err := s.ConsumeConnection(n); err != nil {
		return err
	}
	return s.ConsumeStream(streamID, n)
}

// ConsumeConnection credits n processed octets to the connection window
// only. Errors as Consume.
func (s *Session) ConsumeConnection(n int) error {
	if n < 0 {
		return ErrInvalidArgument
	}
	if !s.opt.NoAutoWindowUpdate {
		return ErrInvalidState
	}
	return s.giveBackConn(int64(n))
}

// ConsumeStream credits n processed octets to the stream window only.
// Errors as Consume.
func (s *Session) ConsumeStream(streamID int32, n int) error {
	if streamID <= 0 || n < 0 {
		return ErrInvalidArgument
	}
	if !s.opt.NoAutoWindowUpdate {
		return ErrInvalidState
	}
	st := s.streams.get(streamID)
	if st == nil {
		return nil
	}
	return s.giveBackStream(st, int64(n))
}

// SetLocalWindowSize sets the receive window of the connection
// (streamID 0) or of one stream to windowSize. A larger window is
// announced at once with WINDOW_UPDATE; a smaller one takes effect as the
// peer uses up the current window (nghttp2_session_set_local_window_size).
// Returns nil on success, or one of: ErrInvalidArgument — windowSize is
// negative or streamID is negative; ErrStreamClosed — no such stream;
// ErrNoMem.
func (s *Session) SetLocalWindowSize(flags FrameFlags, streamID int32, windowSize int32) error {
	if windowSize < 0 || streamID < 0 {
		return ErrInvalidArgument
	}
	if streamID == 0 {
		delta := int64(windowSize) - s.connRecvLimit
		s.connRecvLimit = int64(windowSize)
		if delta > 0 {
			// sendWindowUpdate takes the whole increment off the
			// consumed count; only the consumed part was ever in it.
			s.connRecvConsumed += delta
			return s.sendWindowUpdate(0, delta+max(s.connRecvConsumed-delta, 0))
		}
		s.connRecvWindow += delta
		return nil
	}
	st := s.streams.get(streamID)
	if st == nil {
		return ErrStreamClosed
	}
	delta := int64(windowSize) - st.recvLimit
	st.recvLimit = int64(windowSize)
	if delta > 0 {
		st.recvConsumed += delta
		return s.sendWindowUpdate(streamID, delta+max(st.recvConsumed-delta, 0))
	}
	st.recvWindow += delta
	return nil
}

// SubmitWindowUpdate queues WINDOW_UPDATE for the connection (streamID 0)
// or a stream, raising our receive window by increment. A negative
// increment shrinks the window without sending anything. Returns nil on
// success, or one of: ErrInvalidArgument — streamID is negative;
// ErrFlowControl — the window would exceed 2^31-1; ErrStreamClosed — no
// such stream; ErrNoMem.
func (s *Session) SubmitWindowUpdate(flags FrameFlags, streamID int32, increment int32) error {
	if streamID < 0 {
		return ErrInvalidArgument
	}
	if increment == 0 {
		return nil
	}
	if streamID == 0 {
		if s.connRecvLimit+int64(increment) > maxWindowSize {
			return ErrFlowControl
		}
		s.connRecvLimit += int64(increment)
		if increment < 0 {
			s.connRecvWindow += int64(increment)
			return nil
		}
		return s.sendWindowUpdate(0, int64(increment))
	}
	st := s.streams.get(streamID)
	if st == nil {
		return ErrStreamClosed
	}
	if st.recvLimit+int64(increment) > maxWindowSize {
		return ErrFlowControl
	}
	st.recvLimit += int64(increment)
	if increment < 0 {
		st.recvWindow += int64(increment)
		return nil
	}
	return s.sendWindowUpdate(streamID, int64(increment))
}

// applyLocalInitialWindow changes our SETTINGS_INITIAL_WINDOW_SIZE: every
// stream's receive window moves by the difference (RFC 9113, Section
// 6.9.2).
func (s *Session) applyLocalInitialWindow(v uint32) error {
	delta := int64(v) - int64(s.local.initialWindowSize)
	var err error
	s.streams.each(func(st *stream) {
		if st.recvWindow+delta > maxWindowSize {
			err = ErrFlowControl
			return
		}
		st.recvWindow += delta
		st.recvLimit += delta
	})
	if err != nil {
		return err
	}
	s.local.initialWindowSize = v
	return nil
}

// applyRemoteInitialWindow applies the peer's new
// SETTINGS_INITIAL_WINDOW_SIZE. RFC 9113, Section 6.9.2: "When the value
// of SETTINGS_INITIAL_WINDOW_SIZE changes, a receiver MUST adjust the size
// of all stream flow-control windows that it maintains by the difference
// between the new value and the old value", and "An endpoint MUST treat a
// change to SETTINGS_INITIAL_WINDOW_SIZE that causes any flow-control
// window to exceed the maximum size as a connection error of type
// FLOW_CONTROL_ERROR."
func (s *Session) applyRemoteInitialWindow(v uint32) error {
	delta := int64(v) - int64(s.remote.initialWindowSize)
	overflow := false
	s.streams.each(func(st *stream) {
		if st.sendWindow+delta > maxWindowSize {
			overflow = true
		}
	})
	if overflow {
		return s.connError(FlowControlError, ErrFlowControl, "settings_initial_window_overflow")
	}
	s.remote.initialWindowSize = v
	s.streams.each(func(st *stream) {
		st.sendWindow += delta
		if delta > 0 {
			s.schedule(st)
		} else if st.sendWindow <= 0 {
			s.unschedule(st)
		}
	})
	return nil
}

// onWindowUpdate applies a received WINDOW_UPDATE. RFC 9113, Section
// 6.9.1: "A sender MUST NOT allow a flow-control window to exceed 2^31-1
// octets. If a sender receives a WINDOW_UPDATE that causes a flow-control
// window to exceed this maximum, it MUST terminate either the stream or
// the connection, as appropriate."
func (s *Session) onWindowUpdate(f *Frame, _ []byte) error {
	incr := int64(f.WindowSizeIncrement)
	if f.Hd.StreamID == 0 {
		if s.connSendWindow+incr > maxWindowSize {
			return s.connError(FlowControlError, ErrFlowControl, "window_update_conn_overflow")
		}
		s.connSendWindow += incr
		return s.callFrameRecv(f)
	}
	st := s.streams.get(f.Hd.StreamID)
	if st == nil {
		if s.isIdle(f.Hd.StreamID) {
			return s.connError(ProtocolError, ErrProto, "window_update_on_idle_stream")
		}
		// RFC 9113, Section 5.1: WINDOW_UPDATE may arrive on a closed
		// stream for a short while and is ignored.
		return nil
	}
	if st.sendWindow+incr > maxWindowSize {
		return s.streamError(st.id, FlowControlError, "window_update_stream_overflow")
	}
	st.sendWindow += incr
	s.schedule(st)
	return s.callFrameRecv(f)
}

// GetRemoteWindowSize returns how much DATA the connection window lets
// us send now (nghttp2_session_get_remote_window_size).
func (s *Session) GetRemoteWindowSize() int32 { return int32(max(s.connSendWindow, 0)) }

// GetStreamRemoteWindowSize returns how much DATA the stream's window
// lets us send now, or -1 if the stream does not exist.
func (s *Session) GetStreamRemoteWindowSize(streamID int32) int32 {
	st := s.streams.get(streamID)
	if st == nil {
		return -1
	}
	return int32(max(st.sendWindow, 0))
}

// GetLocalWindowSize returns how much DATA the peer may still send on the
// connection before we give credit back.
func (s *Session) GetLocalWindowSize() int32 { return int32(s.connRecvWindow) }

// GetStreamLocalWindowSize returns how much DATA the peer may still send
// on the stream, or -1 if the stream does not exist.
func (s *Session) GetStreamLocalWindowSize(streamID int32) int32 {
	st := s.streams.get(streamID)
	if st == nil {
		return -1
	}
	return int32(st.recvWindow)
}

// GetOutboundQueueSize returns the number of frames waiting to be sent
// (DATA excluded).
func (s *Session) GetOutboundQueueSize() int { return s.numItems }
