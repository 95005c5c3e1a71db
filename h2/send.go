package h2

import "errors"

// Sending: Send and MemSend walk the outbound queue through the ten steps
// of nghttp2_session_send (see Send).

// activeFrame is the frame being written: prepared, possibly partly sent.
type activeFrame struct {
	kind      uint8
	item      *outItem
	st        *stream
	buf       []byte // the serialized frame (for NoCopy DATA: its header)
	off       int    // how much of buf Send has taken
	noCopy    bool
	noCopyLen int
	eos       bool  // DATA with END_STREAM
	last      int32 // GOAWAY: last_stream_id sent
	handedOut bool  // MemSend returned buf
}

const (
	afNone uint8 = iota
	afMagic
	afItem
	afData
)

func (a *activeFrame) pending() bool { return a.kind != afNone }

// dataChunk is the most DATA payload one frame carries, whatever the
// peer's SETTINGS_MAX_FRAME_SIZE, as nghttp2's NGHTTP2_DATA_PAYLOADLEN.
const dataChunk = 16384

// Send sends queued frames through Callbacks.Send until the queue is
// empty, flow control or the peer's stream limit holds the rest back, or
// Callbacks.Send returns ErrWouldBlock. For each frame, in this order:
//
//  1. the next frame is taken from the queue (control frames, then
//     request HEADERS when a stream slot is free, then DATA by priority);
//  2. its transmission is prepared (header block encoded, DATA read);
//  3. if a precondition fails (for example request HEADERS after GOAWAY),
//     OnFrameNotSend is called and the frame dropped;
//  4. for HEADERS, PUSH_PROMISE and DATA, SelectPadding is called;
//  5. for request HEADERS, the stream is opened;
//  6. BeforeFrameSend is called (not for DATA, as in nghttp2);
//  7. if it returns ErrCancel, OnFrameNotSend is called with ErrCancel
//     and the frame dropped;
//  8. Callbacks.Send is called one or more times to write the frame
//     (Callbacks.SendData for DataFlagNoCopy DATA);
//  9. OnFrameSend is called;
//  10. if sending the frame closes the stream, the stream is closed and
//     OnStreamClose called.
//
// Returns nil on success, or one of: ErrCallbackFailure — a callback
// failed; ErrInvalidState — Callbacks.Send is nil.
func (s *Session) Send() error {
	if s.cb.Send == nil {
		return ErrInvalidState
	}
	for {
		if !s.aob.pending() {
			ok, err := s.prepareNext()
			if err != nil {
				return s.fatal(err)
			}
			if !ok {
				return nil
			}
		}
		if err := s.writeActive(); err != nil {
			if err == errFrameDropped {
				continue
			}
			if err == ErrWouldBlock {
				return nil
			}
			return s.fatal(err)
		}
		if err := s.frameSent(); err != nil {
			return s.fatal(err)
		}
	}
}

// errFrameDropped: the active frame was abandoned before any of it was
// written; go on with the next.
var errFrameDropped = errors.New("h2: frame dropped")

// MemSend returns the next frame to send, serialized; the slice is valid
// until the next call, which also completes the frame (OnFrameSend and so
// on). It returns nil when there is nothing to send; call it until then.
// DataFlagNoCopy DATA goes through Callbacks.SendData inside MemSend, in
// order, as long as the caller wrote the slice returned before. Returns
// nil error on success, or one of: ErrCallbackFailure — a callback failed.
func (s *Session) MemSend() ([]byte, error) {
	for {
		if s.aob.pending() {
			if s.aob.handedOut {
				if err := s.frameSent(); err != nil {
					return nil, s.fatal(err)
				}
				continue
			}
		} else {
			ok, err := s.prepareNext()
			if err != nil {
				return nil, s.fatal(err)
			}
			if !ok {
				return nil, nil
			}
		}
		if s.aob.noCopy {
			if err := s.writeActive(); err != nil {
				if err == errFrameDropped {
					continue
				}
				if err == ErrWouldBlock {
					return nil, nil
				}
				return nil, s.fatal(err)
			}
			if err := s.frameSent(); err != nil {
				return nil, s.fatal(err)
			}
			continue
		}
		s.aob.handedOut = true
		s.aob.off = len(s.aob.buf)
		return s.aob.buf, nil
	}
}

// fatal marks the session unusable after a callback failure.
func (s *Session) fatal(err error) error {
	s.goaway |= goawayTerminated
	s.r.state = rsIgnoreAll
	return err
}

// writeActive is step 8.
func (s *Session) writeActive() error {
	a := &s.aob
	if a.noCopy {
		if s.cb.SendData == nil {
			return ErrCallbackFailure
		}
		switch err := s.cb.SendData(s, &s.sframe, a.buf, a.noCopyLen); err {
		case nil, ErrWouldBlock:
			return err
		case ErrTemporalCallbackFailure:
			// Nothing of the frame went out: give the connection window
			// back and reset just this stream.
			s.connSendWindow += int64(s.sframe.Hd.Length)
			st := a.st
			st.hasData = false
			s.unschedule(st)
			s.aob = activeFrame{}
			if err := s.queueRst(st.id, InternalError, false); err != nil {
				return err
			}
			return errFrameDropped
		default:
			return ErrCallbackFailure
		}
	}
	for a.off < len(a.buf) {
		n, err := s.cb.Send(s, a.buf[a.off:])
		if err == ErrWouldBlock || (err == nil && n == 0) {
			return ErrWouldBlock
		}
		if err != nil || n < 0 || n > len(a.buf)-a.off {
			return ErrCallbackFailure
		}
		a.off += n
	}
	return nil
}

// prepareNext is steps 1 to 7; it reports whether a frame is ready.
func (s *Session) prepareNext() (bool, error) {
	for {
		if s.goaway&goawayTerminated != 0 {
			return false, nil
		}
		if !s.magicSent {
			s.magicSent = true
			s.wbuf = append(s.wbuf[:0], ClientMagic...)
			s.aob = activeFrame{kind: afMagic, buf: s.wbuf}
			return true, nil
		}
		if it := s.ctrl.pop(); it != nil {
			ok, err := s.prepareItem(it)
			if err != nil || ok {
				return ok, err
			}
			continue
		}
		if s.goaway&goawayTermOnSend != 0 {
			return false, nil
		}
		if !s.syn.empty() {
			if s.goaway&(goawaySent|goawayRecv) != 0 {
				// Step 3: RFC 9113, Section 6.8: after GOAWAY no new
				// streams are opened.
				it := s.syn.pop()
				id, push := it.streamID, !it.request
				if err := s.notSend(it, ErrStartStreamNotAllowed); err != nil {
					return false, err
				}
				if st := s.streams.get(id); push && st != nil {
					// The client holds the promised stream reserved.
					if err := s.queueRst(id, RefusedStream, false); err != nil {
						return false, err
					}
				}
				continue
			}
			if s.canOpenStream() {
				ok, err := s.prepareItem(s.syn.pop())
				if err != nil || ok {
					return ok, err
				}
				continue
			}
		}
		if s.connSendWindow > 0 {
			if st := s.sched.peek(); st != nil {
				ok, err := s.prepareData(st)
				if err != nil || ok {
					return ok, err
				}
				continue
			}
		}
		return false, nil
	}
}

// notSend is step 3: the frame is dropped and OnFrameNotSend told why.
func (s *Session) notSend(it *outItem, code Error) error {
	f := &s.sframe
	*f = Frame{Hd: FrameHeader{Type: it.typ, Flags: it.flags, StreamID: it.streamID}}
	f.ErrorCode = it.code
	f.LastStreamID = it.lastStreamID
	var err error
	// WINDOW_UPDATE is the session's own business: nghttp2 does not
	// report it either.
	if s.cb.OnFrameNotSend != nil && it.typ != FrameWindowUpdate {
		if s.cb.OnFrameNotSend(s, f, code) != nil {
			err = ErrCallbackFailure
		}
	}
	s.freeItem(it)
	return err
}

// selectPadding is step 4: it returns the padding (Pad Length octet
// included) to add to a payload of n octets, at most maxPayload in all.
func (s *Session) selectPadding(f *Frame, n, maxPayload int) (int, error) {
	if s.cb.SelectPadding == nil || maxPayload <= n {
		return 0, nil
	}
	f.Hd.Length = uint32(n)
	v, err := s.cb.SelectPadding(s, f, maxPayload)
	if err != nil || v < n || v > maxPayload {
		return 0, ErrCallbackFailure
	}
	return v - n, nil
}

// beforeSend is steps 6 and 7; it reports whether the frame was canceled.
func (s *Session) beforeSend() (canceled bool, err error) {
	if s.cb.BeforeFrameSend == nil {
		return false, nil
	}
	switch e := s.cb.BeforeFrameSend(s, &s.sframe); e {
	case nil:
		return false, nil
	case ErrCancel:
		if s.cb.OnFrameNotSend != nil && s.cb.OnFrameNotSend(s, &s.sframe, ErrCancel) != nil {
			return true, ErrCallbackFailure
		}
		return true, nil
	default:
		return false, ErrCallbackFailure
	}
}

// prepareItem is steps 2 to 7 for a queued frame.
func (s *Session) prepareItem(it *outItem) (bool, error) {
	f := &s.sframe
	*f = Frame{Hd: FrameHeader{Type: it.typ, Flags: it.flags, StreamID: it.streamID}}
	buf := s.wbuf[:0]
	var opened *stream
	last := int32(0)
	switch it.typ {
	case FrameHeaders, FramePushPromise:
		var st *stream
		if it.request {
			f.Cat = HCatRequest
			if it.canceled {
				return false, s.notSend(it, ErrStreamClosed)
			}
		} else {
			st = s.streams.get(it.streamID)
			switch {
			case st == nil:
				return false, s.notSend(it, ErrStreamClosed)
			case st.rstQueued:
				return false, s.notSend(it, ErrStreamClosing)
			case it.typ == FramePushPromise && (s.remote.enablePush == 0 || s.goaway&(goawaySent|goawayRecv) != 0):
				return false, s.notSend(it, ErrPushDisabled)
			case it.typ == FrameHeaders && !st.canSend():
				return false, s.notSend(it, ErrStreamShutWr)
			case it.typ == FramePushPromise && !(st.state == stateOpen || st.state == stateHalfClosedRemote):
				return false, s.notSend(it, ErrStreamClosed)
			}
			switch {
			case it.typ == FramePushPromise:
				f.Cat = HCatRequest
			case st.state == stateReservedLocal:
				f.Cat = HCatPushResponse
			case !st.sentHeaders && s.server:
				f.Cat = HCatResponse
			default:
				f.Cat = HCatHeaders
			}
		}
		block, err := s.enc.Encode(s.hdrbuf[:0], it.nva)
		s.hdrbuf = block
		if err != nil {
			return false, s.notSend(it, ErrHeaderComp)
		}
		maxFrame := int(s.remote.maxFrameSize)
		fixed := 0
		if it.typ == FramePushPromise {
			fixed = 4
			f.PromisedStreamID = it.promisedID
		}
		first := min(len(block), maxFrame-fixed)
		padLen, err := s.selectPadding(f, first+fixed, min(maxFrame, first+fixed+MaxPadLen))
		if err != nil {
			return false, err
		}
		if first+fixed+padLen > maxFrame {
			first = maxFrame - fixed - padLen
		}
		// Step 5: request HEADERS open the stream, PUSH_PROMISE reserves one.
		if it.request {
			opened = s.newStream(it.streamID, stateOpen, it.streamData)
			opened.http.recordRequestMethod(it.nva)
		} else if it.typ == FramePushPromise {
			opened = s.newStream(it.promisedID, stateReservedLocal, it.streamData)
			opened.pushed = true
		}
		buf = appendHeaderBlock(buf, it, block, first, padLen, maxFrame)
		f.PadLen = padLen
		f.Hd.Length = uint32(first + fixed + padLen)
		if first == len(block) {
			f.Hd.Flags |= FlagEndHeaders
		}
		if padLen > 0 {
			f.Hd.Flags |= FlagPadded
		}
	case FrameRSTStream:
		buf = appendRSTStream(buf, it.streamID, it.code)
		f.Hd.Length = 4
		f.ErrorCode = it.code
	case FrameSettings:
		buf = appendSettings(buf, it.flags&FlagAck != 0, it.iv)
		f.Hd.Length = uint32(len(buf) - FrameHeaderLen)
		f.Settings = it.iv
	case FramePing:
		buf = appendPing(buf, it.flags&FlagAck != 0, it.ping)
		f.Hd.Length = 8
		f.OpaqueData = it.ping
	case FrameGoaway:
		// RFC 9113, Section 6.8: "Endpoints MUST NOT increase the value
		// they send in the last stream identifier".
		last = min(it.lastStreamID, s.localLastStreamID)
		buf = appendGoaway(buf, last, it.code, it.buf)
		f.Hd.Length = uint32(8 + len(it.buf))
		f.LastStreamID = last
		f.ErrorCode = it.code
		f.DebugData = it.buf
	case FrameWindowUpdate:
		// From now on new credit goes into a new WINDOW_UPDATE.
		s.detachWindowUpdate(it)
		if it.streamID != 0 && s.streams.get(it.streamID) == nil {
			return false, s.notSend(it, ErrStreamClosed)
		}
		buf = appendWindowUpdate(buf, it.streamID, it.incr)
		f.Hd.Length = 4
		f.WindowSizeIncrement = it.incr
	case FramePriorityUpdate:
		buf = appendPriorityUpdate(buf, it.streamID, it.buf)
		f.Hd.StreamID = 0
		f.Hd.Length = uint32(4 + len(it.buf))
		f.PrioritizedStreamID = it.streamID
		f.FieldValue = it.buf
	case FrameAltsvc:
		buf = appendAltsvc(buf, it.streamID, it.origin, it.buf)
		f.Hd.Length = uint32(2 + len(it.origin) + len(it.buf))
		f.Origin = it.origin
		f.FieldValue = it.buf
	default:
		// ORIGIN (its payload is built at submission) and extensions.
		buf = appendRawFrame(buf, it.typ, it.flags, it.streamID, it.buf)
		f.Hd.Length = uint32(len(it.buf))
		f.Payload = it.buf
	}
	s.wbuf = buf
	canceled, err := s.beforeSend()
	if err != nil {
		return false, err
	}
	if canceled {
		s.freeItem(it)
		if opened != nil {
			// The stream opened in step 5 never reached the peer. As in
			// nghttp2, a request closes with REFUSED_STREAM (the
			// application may send it again), a push with INTERNAL_ERROR.
			code := RefusedStream
			if opened.pushed {
				code = InternalError
			}
			return false, s.closeStream(opened, code, closedResetSent)
		}
		return false, nil
	}
	s.aob = activeFrame{kind: afItem, item: it, buf: buf, last: last}
	return true, nil
}

// appendHeaderBlock serializes HEADERS or PUSH_PROMISE carrying the first
// `first` octets of block, then CONTINUATION frames for the rest (RFC 9113,
// Section 6.10).
func appendHeaderBlock(buf []byte, it *outItem, block []byte, first, padLen, maxFrame int) []byte {
	flags := it.flags & FlagEndStream
	if first == len(block) {
		flags |= FlagEndHeaders
	}
	if it.typ == FramePushPromise {
		buf = appendPushPromise(buf, it.streamID, flags&FlagEndHeaders, it.promisedID, block[:first], padLen)
	} else {
		buf = appendHeadersFrame(buf, it.streamID, flags, nil, block[:first], padLen)
	}
	for rest := block[first:]; len(rest) > 0; {
		n := min(len(rest), maxFrame)
		buf = appendContinuation(buf, it.streamID, n == len(rest), rest[:n])
		rest = rest[n:]
	}
	return buf
}

// prepareData is steps 2 to 7 for the next DATA frame of st.
func (s *Session) prepareData(st *stream) (bool, error) {
	maxLen := int(min(st.sendWindow, s.connSendWindow, int64(s.remote.maxFrameSize), dataChunk))
	if need := FrameHeaderLen + 1 + maxLen + MaxPadLen; cap(s.wbuf) < need {
		s.wbuf = make([]byte, 0, max(need, FrameHeaderLen+1+dataChunk+MaxPadLen))
	}
	buf := s.wbuf[:cap(s.wbuf)]
	// The flags live in the session: a local whose address goes to a
	// callback would escape to the heap on every frame.
	s.dataFlags = 0
	n, err := st.dp.Read(s, st.id, buf[FrameHeaderLen+1:FrameHeaderLen+1+maxLen], &s.dataFlags)
	df := s.dataFlags
	switch {
	case err == ErrDeferred || (err == nil && n == 0 && df&DataFlagEOF == 0):
		// An empty read without EOF would spin; it pauses like ErrDeferred.
		st.deferred = true
		s.unschedule(st)
		return false, nil
	case err == ErrTemporalCallbackFailure:
		st.hasData = false
		s.unschedule(st)
		return false, s.queueRst(st.id, InternalError, false)
	case err != nil || n < 0 || n > maxLen:
		return false, ErrCallbackFailure
	}
	if st.rstQueued || st.state == stateClosed {
		// Read reset the stream.
		return false, nil
	}
	eof := df&DataFlagEOF != 0
	eos := eof && df&DataFlagNoEndStream == 0 && !st.dataNoEndStream
	f := &s.sframe
	*f = Frame{Hd: FrameHeader{Length: uint32(n), Type: FrameData, StreamID: st.id}}
	if eos {
		f.Hd.Flags = FlagEndStream
	}
	window := int(min(st.sendWindow, s.connSendWindow, int64(s.remote.maxFrameSize)))
	padLen, err := s.selectPadding(f, n, min(window, n+MaxPadLen))
	if err != nil {
		return false, err
	}
	f.Hd.Length = uint32(n + padLen)
	f.PadLen = padLen
	var frame []byte
	if padLen > 0 {
		f.Hd.Flags |= FlagPadded
		appendFrameHeader(buf[:0], f.Hd)
		buf[FrameHeaderLen] = byte(padLen - 1)
		if df&DataFlagNoCopy != 0 {
			frame = buf[:FrameHeaderLen+1]
		} else {
			end := FrameHeaderLen + 1 + n + padLen - 1
			clear(buf[FrameHeaderLen+1+n : end])
			frame = buf[:end]
		}
	} else {
		appendFrameHeader(buf[1:1], f.Hd)
		if df&DataFlagNoCopy != 0 {
			frame = buf[1 : 1+FrameHeaderLen]
		} else {
			frame = buf[1 : 1+FrameHeaderLen+n]
		}
	}
	f.Payload = buf[FrameHeaderLen+1 : FrameHeaderLen+1+n]
	if df&DataFlagNoCopy != 0 {
		f.Payload = nil
	}
	// As in nghttp2, BeforeFrameSend and OnFrameNotSend are for non-DATA
	// frames only (steps 6 and 7 do not apply to DATA).
	// The window is charged when the frame is committed to go out.
	st.sendWindow -= int64(n + padLen)
	s.connSendWindow -= int64(n + padLen)
	if eof {
		st.hasData = false
		st.dp = DataProvider{}
		s.unschedule(st)
		if tr := st.trailer; tr != nil {
			st.trailer = nil
			if eos {
				if err := s.notSend(tr, ErrStreamShutWr); err != nil {
					return false, err
				}
			} else {
				s.queueCtrl(tr)
			}
		}
	} else if st.sendWindow <= 0 {
		s.unschedule(st)
	}
	s.aob = activeFrame{kind: afData, st: st, buf: frame, eos: eos,
		noCopy: df&DataFlagNoCopy != 0, noCopyLen: n}
	return true, nil
}

// frameSent is steps 9 and 10.
func (s *Session) frameSent() error {
	a := s.aob
	s.aob = activeFrame{}
	switch a.kind {
	case afData:
		if err := s.callFrameSend(); err != nil {
			return err
		}
		s.sched.served(a.st)
		if a.eos {
			return s.shutWrite(a.st)
		}
		return nil
	case afItem:
		it := a.item
		err := s.callFrameSend()
		if err == nil {
			err = s.itemSent(it, a.last)
		}
		s.freeItem(it)
		return err
	}
	return nil
}

func (s *Session) callFrameSend() error {
	if s.cb.OnFrameSend != nil && s.cb.OnFrameSend(s, &s.sframe) != nil {
		return ErrCallbackFailure
	}
	return nil
}

// itemSent updates the session after a queued frame went out (step 10).
func (s *Session) itemSent(it *outItem, last int32) error {
	switch it.typ {
	case FrameHeaders:
		st := s.streams.get(it.streamID)
		if st == nil {
			return nil
		}
		if st.state == stateReservedLocal {
			s.openReserved(st)
		}
		st.sentHeaders = true
		if it.hasDP {
			st.dp = it.dp
			st.hasData = true
			st.dataNoEndStream = it.dataNoEndStream
			st.trailer, it.trailer = it.trailer, nil
		}
		if it.flags&FlagEndStream != 0 {
			return s.shutWrite(st)
		}
		s.schedule(st)
	case FrameRSTStream:
		if st := s.streams.get(it.streamID); st != nil {
			return s.closeStream(st, it.code, closedResetSent)
		}
	case FrameGoaway:
		return s.goawaySentDone(it, last)
	case FrameSettings:
		if it.flags&FlagAck == 0 && s.settingsDue == 0 {
			if s.now != 0 {
				s.settingsDue = s.now + s.opt.SettingsTimeout
			} else {
				s.settingsWait = true
			}
		}
	}
	return nil
}
