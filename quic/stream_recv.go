package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// Stream frames from the peer (RFC 9000, Sections 2, 3, 4 and 19).

// streamForFrame finds or implicitly opens the stream a frame refers to.
// recvSide says whether the frame concerns the receive side of the
// stream (STREAM, RESET_STREAM, STREAM_DATA_BLOCKED) or its send side
// (MAX_STREAM_DATA, STOP_SENDING). A nil stream with a nil error means
// the stream is already closed and the frame is to be ignored.
func (c *Conn) streamForFrame(f *wire.Frame, recvSide bool) (*stream, error) {
	id := f.StreamID
	ft := uint64(f.RawType)
	local := c.isLocal(id)
	// RFC 9000, Section 19.8 (and 19.4, 19.5, 19.10, 19.13): a frame for
	// the direction a unidirectional stream does not have is a
	// STREAM_STATE_ERROR.
	if isUni(id) && local == recvSide {
		return nil, c.violation(StreamStateError, ft, "stream_frame_wrong_direction", ErrStreamState)
	}
	if s := c.streams[id]; s != nil {
		return s, nil
	}
	num := uint64(id >> 2)
	if local {
		l := &c.localBidi
		if isUni(id) {
			l = &c.localUni
		}
		// RFC 9000, Section 19.8: "An endpoint MUST terminate the
		// connection with error STREAM_STATE_ERROR if it receives a STREAM
		// frame for a locally initiated stream that has not yet been created".
		if num >= l.opened {
			return nil, c.violation(StreamStateError, ft, "stream_local_not_opened", ErrStreamState)
		}
		return nil, nil
	}
	l := &c.remoteBidi
	if isUni(id) {
		l = &c.remoteUni
	}
	// RFC 9000, Section 4.6: "An endpoint that receives a frame with a
	// stream ID exceeding the limit it has sent MUST treat this as a
	// connection error of type STREAM_LIMIT_ERROR".
	if num >= l.max {
		return nil, c.violation(StreamLimitError, ft, "stream_limit_exceeded", ErrStreamLimit)
	}
	if num < l.opened {
		return nil, nil // closed already
	}
	// RFC 9000, Section 3.2: opening a stream opens every lower-numbered
	// stream of the same type.
	var s *stream
	for l.opened <= num {
		sid := int64(l.opened<<2) | id&3
		l.opened++
		s = c.newStream(sid)
		if c.cb.StreamOpen != nil {
			if err := c.cb.StreamOpen(c, sid); err != nil {
				return nil, cbErr(err)
			}
		}
	}
	return s, nil
}

// recvFlow checks a new highest offset against stream and connection
// flow control (RFC 9000, Section 4.1: "A receiver MUST close the
// connection with an error of type FLOW_CONTROL_ERROR if the sender
// violates the advertised connection or stream data limits").
func (c *Conn) recvFlow(s *stream, end uint64, ft uint64) error {
	if end > s.recvMax {
		return c.violation(FlowControlError, ft, "stream_flow_control_exceeded", ErrFlowControl)
	}
	if hi := s.recv.maxEnd(); end > hi {
		if s.hasFinal && end > s.finalSize {
			return c.violation(FinalSizeError, ft, "stream_data_beyond_final_size", ErrFinalSize)
		}
		c.flow.recvHighest += end - hi
		if c.flow.recvHighest > c.flow.recvMax {
			return c.violation(FlowControlError, ft, "connection_flow_control_exceeded", ErrFlowControl)
		}
	}
	return nil
}

func (c *Conn) recvStreamFrame(f *wire.Frame, ts Tstamp) error {
	s, err := c.streamForFrame(f, true)
	if s == nil || err != nil {
		return err
	}
	ft := uint64(f.RawType)
	end := f.Offset + uint64(len(f.Data))
	// RFC 9000, Section 4.5: final size rules.
	if s.hasFinal && (end > s.finalSize || f.Fin && end != s.finalSize) {
		return c.violation(FinalSizeError, ft, "stream_final_size_changed", ErrFinalSize)
	}
	if f.Fin && !s.hasFinal && end < s.recv.maxEnd() {
		return c.violation(FinalSizeError, ft, "stream_final_size_below_received", ErrFinalSize)
	}
	if err := c.recvFlow(s, end, ft); err != nil {
		return err
	}
	if f.Fin {
		s.hasFinal, s.finalSize = true, end
	}
	if s.recvFinished {
		return nil
	}
	if s.resetRecv || s.stopSent || s.needStop {
		// The application asked not to get more: count it, drop it.
		if hi := s.recv.maxEnd(); end > hi {
			s.recv.advance(end)
			c.giveBack(s, end-hi, ts)
		}
		return c.finishRecvIfDone(s)
	}
	r := &s.recv
	if f.Offset > r.off {
		if !r.store(f.Offset, f.Data, s.recvMax-r.off) {
			return c.violation(FlowControlError, ft, "stream_reassembly_over_window", ErrFlowControl)
		}
		if r.have.len() > c.settings.MaxStreamGaps {
			return c.violation(InternalError, ft, "stream_too_many_gaps", ErrNoMem)
		}
		return nil
	}
	if end > r.off || f.Fin && end == r.off && !s.recvFinished {
		data := f.Data[r.off-f.Offset:]
		if err := c.deliver(s, data, ts); err != nil {
			return err
		}
	}
	for {
		a, b := r.readable()
		if len(a) == 0 {
			break
		}
		if err := c.deliver(s, a, ts); err != nil {
			return err
		}
		if len(b) > 0 {
			if err := c.deliver(s, b, ts); err != nil {
				return err
			}
		}
	}
	return c.finishRecvIfDone(s)
}

// deliver hands in-order data at s.recv.off to the application.
func (c *Conn) deliver(s *stream, data []byte, ts Tstamp) error {
	off := s.recv.off
	end := off + uint64(len(data))
	s.recv.advance(end)
	flags := StreamDataFlagNone
	if s.hasFinal && end == s.finalSize {
		flags = StreamDataFlagFin
		s.recvFinished = true
	}
	if c.cb.RecvStreamData != nil {
		if err := c.cb.RecvStreamData(c, flags, s.id, off, data); err != nil {
			return cbErr(err)
		}
	}
	if !c.settings.ManualFlowControl {
		c.giveBack(s, uint64(len(data)), ts)
	}
	return nil
}

// giveBack returns consumed bytes as flow control credit.
func (c *Conn) giveBack(s *stream, n uint64, ts Tstamp) {
	s.consumed += n
	c.flow.consumed += n
	c.maybeUpdateStreamWindow(s, ts)
	c.maybeUpdateConnWindow(ts)
}

func (c *Conn) finishRecvIfDone(s *stream) error {
	if !s.recvFinished && s.hasFinal && s.recv.off >= s.finalSize {
		s.recvFinished = true
	}
	if s.recvFinished {
		s.recv.release()
		return c.maybeCloseStream(s)
	}
	return nil
}

func (c *Conn) recvResetStream(f *wire.Frame) error {
	s, err := c.streamForFrame(f, true)
	if s == nil || err != nil {
		return err
	}
	ft := uint64(f.RawType)
	// RFC 9000, Section 4.5: "Once a final size for a stream is known, it
	// cannot change ... a RESET_STREAM ... that would cause the final size
	// to change ... FINAL_SIZE_ERROR"; a final size below the data received
	// is the same error.
	if s.hasFinal && f.FinalSize != s.finalSize || f.FinalSize < s.recv.maxEnd() {
		return c.violation(FinalSizeError, ft, "reset_stream_final_size_mismatch", ErrFinalSize)
	}
	if err := c.recvFlow(s, f.FinalSize, ft); err != nil {
		return err
	}
	s.hasFinal, s.finalSize = true, f.FinalSize
	if s.recvFinished {
		return nil
	}
	s.resetRecv = true
	s.recvFinished = true
	if s.appErrorCode == 0 {
		s.appErrorCode = f.ErrorCode
	}
	// Bytes that will never be delivered still used connection credit
	// (RFC 9000, Section 4.5); give it back.
	if f.FinalSize > s.consumed && !c.settings.ManualFlowControl {
		c.flow.consumed += f.FinalSize - s.consumed
		s.consumed = f.FinalSize
		c.maybeUpdateConnWindow(0)
	}
	s.needMaxData = false
	if c.cb.StreamReset != nil {
		if err := c.cb.StreamReset(c, s.id, f.FinalSize, f.ErrorCode); err != nil {
			return cbErr(err)
		}
	}
	s.recv.release()
	return c.maybeCloseStream(s)
}

func (c *Conn) recvStopSending(f *wire.Frame) error {
	s, err := c.streamForFrame(f, false)
	if s == nil || err != nil {
		return err
	}
	if s.stopRecv {
		return nil
	}
	s.stopRecv = true
	if c.cb.StreamStopSending != nil {
		if err := c.cb.StreamStopSending(c, s.id, f.ErrorCode); err != nil {
			return cbErr(err)
		}
	}
	// RFC 9000, Section 3.5: "An endpoint that receives a STOP_SENDING
	// frame MUST send a RESET_STREAM frame if the stream is in the
	// "Ready" or "Send" state."
	c.resetSend(s, f.ErrorCode)
	return nil
}

func (c *Conn) recvMaxStreamData(f *wire.Frame) error {
	s, err := c.streamForFrame(f, false)
	if s == nil || err != nil {
		return err
	}
	if f.Max <= s.sendMax {
		return nil
	}
	s.sendMax = f.Max
	if c.cb.ExtendMaxStreamData != nil {
		if err := c.cb.ExtendMaxStreamData(c, s.id, f.Max); err != nil {
			return cbErr(err)
		}
	}
	return nil
}

func (c *Conn) recvStreamDataBlocked(f *wire.Frame) error {
	s, err := c.streamForFrame(f, true)
	if s == nil || err != nil {
		return err
	}
	// The peer is stuck: make sure an update is on its way if one is due.
	if !s.recvFinished && !s.hasFinal && s.recvMax <= f.Max && s.consumed+s.recvWindow > s.recvMax {
		s.recvMax = s.consumed + s.recvWindow
		s.needMaxData = true
		c.queueCtrl(s)
	}
	return nil
}

func (c *Conn) recvMaxStreams(f *wire.Frame) error {
	l, cb := &c.localBidi, c.cb.ExtendMaxLocalStreamsBidi
	if !f.Bidi {
		l, cb = &c.localUni, c.cb.ExtendMaxLocalStreamsUni
	}
	if f.Max <= l.max {
		return nil
	}
	l.max = f.Max
	if cb != nil {
		if err := cb(c, f.Max); err != nil {
			return cbErr(err)
		}
	}
	return nil
}
