package h2

// Receiving: MemRecv is one resumable state machine over recvState, like
// nghttp2's iframe->state. A frame whose payload arrives in pieces is
// gathered in a session-owned buffer; the caller's slice is never kept
// after MemRecv returns.

type recvState uint8

const (
	rsMagic         recvState = iota // server: reading the client connection preface
	rsFirstSettings                  // reading the header of the peer's first frame, which must be SETTINGS
	rsHead                           // reading a frame header
	rsContHead                       // reading a frame header; it must be CONTINUATION
	rsPayload                        // reading a frame payload
	rsIgnorePayload                  // skipping the rest of a frame payload
	rsIgnoreAll                      // the connection is over; input is discarded
)

// recvMachine holds the receiving state between MemRecv calls.
type recvMachine struct {
	state  recvState
	magicN int
	hd     [FrameHeaderLen]byte
	hdN    int
	cur    FrameHeader
	buf    []byte // payload gathered across MemRecv calls
	bufN   int
	skip   uint32
	blk    headerBlock
}

// headerBlock is the header block being received (HEADERS or
// PUSH_PROMISE, then CONTINUATION frames).
type headerBlock struct {
	active   bool
	frame    Frame   // the HEADERS or PUSH_PROMISE frame, for callbacks
	st       *stream // the stream the fields belong to; nil: decode only
	streamID int32   // the stream the frames are on
	nCont    int
	size     int
	failed   bool  // a stream error was raised; fields are no longer delivered
	fatalErr error // a callback failed
}

// init prepares the machine; the payload buffer is allocated when a frame
// first arrives in pieces, so an idle session stays small.
func (r *recvMachine) init(s *Session) {}

// MemRecv processes received bytes: it parses frames, calls the receiving
// callbacks and queues the answers (SETTINGS and PING ACKs,
// WINDOW_UPDATE, RST_STREAM, GOAWAY), which Send or MemSend then write.
// It returns how many octets it consumed: all of in, unless a callback
// fails, or OnDataChunkRecv returned ErrPause: then MemRecv returns after
// that DATA frame and the caller passes the rest of in later.
//
// Returns nil on success, or one of: a *StreamError — the peer broke a
// rule of one stream, which was reset with RST_STREAM; the session goes
// on (not fatal); a *ConnError — the peer broke a rule
// and the session queued GOAWAY with ConnError.Code (errors.Is matches both
// the library error, such as ErrProto, ErrFlowControl, ErrFlooded,
// ErrBadClientMagic, and the HTTP/2 ErrorCode); ErrCallbackFailure — a
// callback failed and the session is unusable.
func (s *Session) MemRecv(in []byte) (int, error) {
	s.streamErrPending = false
	n, err := s.memRecv(in)
	if err == nil && s.streamErrPending {
		s.streamErrPending = false
		return n, &s.streamErr
	}
	return n, err
}

func (s *Session) memRecv(in []byte) (int, error) {
	total := len(in)
	r := &s.r
	for len(in) > 0 {
		var err error
		switch r.state {
		case rsIgnoreAll:
			return total, nil
		case rsMagic:
			n := min(len(in), len(ClientMagic)-r.magicN)
			if string(in[:n]) != ClientMagic[r.magicN:r.magicN+n] {
				return total, s.connErrorLib(ProtocolError, ErrBadClientMagic, "bad_client_magic")
			}
			r.magicN += n
			in = in[n:]
			if r.magicN == len(ClientMagic) {
				r.state = rsFirstSettings
			}
			continue
		case rsFirstSettings, rsHead, rsContHead:
			n := copy(r.hd[r.hdN:], in)
			r.hdN += n
			in = in[n:]
			if r.hdN < FrameHeaderLen {
				continue
			}
			r.hdN = 0
			err = s.onFrameHead(parseFrameHeader(r.hd[:]))
			if err == nil && r.state == rsPayload && r.cur.Length == 0 {
				err = s.onFramePayload(nil)
			}
		case rsPayload:
			need := int(r.cur.Length) - r.bufN
			if r.bufN == 0 && len(in) >= need {
				// The whole payload is in hand: no copy.
				payload := in[:need]
				in = in[need:]
				err = s.onFramePayload(payload)
				break
			}
			if cap(r.buf) < int(r.cur.Length) {
				// Sized for the largest frame we accept, once.
				r.buf = make([]byte, s.opt.MaxFrameSize)
			}
			r.buf = r.buf[:cap(r.buf)]
			n := copy(r.buf[r.bufN:r.cur.Length], in)
			r.bufN += n
			in = in[n:]
			if r.bufN < int(r.cur.Length) {
				continue
			}
			r.bufN = 0
			err = s.onFramePayload(r.buf[:r.cur.Length])
		case rsIgnorePayload:
			n := min(uint32(len(in)), r.skip)
			r.skip -= n
			in = in[n:]
			if r.skip == 0 {
				r.state = s.nextHeadState()
			}
		}
		if err != nil {
			if err == ErrCallbackFailure {
				return total - len(in), s.fatal(err)
			}
			return total, err
		}
		if s.paused {
			s.paused = false
			return total - len(in), nil
		}
	}
	return total, nil
}

// nextHeadState is where reading continues after a frame.
func (s *Session) nextHeadState() recvState {
	if s.r.state == rsIgnoreAll {
		return rsIgnoreAll
	}
	if s.r.blk.active {
		return rsContHead
	}
	return rsHead
}

// onFrameHead checks a received frame header and decides how to read the
// payload.
func (s *Session) onFrameHead(hd FrameHeader) error {
	r := &s.r
	prev := r.state
	r.cur = hd
	if s.cb.OnBeginFrame != nil && s.cb.OnBeginFrame(s, &r.cur) != nil {
		return ErrCallbackFailure
	}
	switch prev {
	case rsFirstSettings:
		// RFC 9113, Section 3.4: the preface "MUST be followed by a
		// SETTINGS frame", and a different frame is a connection error of
		// type PROTOCOL_ERROR.
		if hd.Type != FrameSettings || hd.Flags.Has(FlagAck) {
			return s.connErrorLib(ProtocolError, ErrSettingsExpected, "first_frame_not_settings")
		}
	case rsContHead:
		// RFC 9113, Section 6.10: "A receiver MUST treat the receipt of
		// any other type of frame or a frame on a different stream as a
		// connection error of type PROTOCOL_ERROR."
		if hd.Type != FrameContinuation || hd.StreamID != r.blk.streamID {
			return s.connError(ProtocolError, ErrProto, "continuation_expected")
		}
	default:
		if hd.Type == FrameContinuation {
			return s.connError(ProtocolError, ErrProto, "continuation_unexpected")
		}
	}
	if err := checkFrameSize(hd, s.opt.MaxFrameSize); err != nil {
		ce := err.(*codecError)
		if !ce.Stream {
			return s.connError(ce.Code, libErrorFor(ce.Code), ce.Name)
		}
		// A DATA frame too large still used the connection window the
		// peer believes it used.
		if hd.Type == FrameData {
			if err := s.recvDataConn(int64(hd.Length)); err != nil {
				return err
			}
			if err := s.giveBackConn(int64(hd.Length)); err != nil {
				return err
			}
		}
		if err := s.streamError(hd.StreamID, ce.Code, ce.Name); err != nil {
			return err
		}
		r.skip = hd.Length
		r.state = rsIgnorePayload
		if r.skip == 0 {
			r.state = s.nextHeadState()
		}
		return nil
	}
	if hd.Type == FrameSettings && !hd.Flags.Has(FlagAck) && int(hd.Length/6) > s.opt.MaxSettingsEntries {
		return s.connErrorLib(EnhanceYourCalm, ErrTooManySettings, "settings_too_many_entries")
	}
	r.bufN = 0
	r.state = rsPayload
	return nil
}

// frameHandlers dispatch a parsed frame by type; fragment is the header
// block fragment for HEADERS, PUSH_PROMISE and CONTINUATION.
var frameHandlers = [...]func(s *Session, f *Frame, fragment []byte) error{
	FrameData:           (*Session).onData,
	FrameHeaders:        (*Session).onHeaders,
	FramePriority:       (*Session).onPriority,
	FrameRSTStream:      (*Session).onRSTStream,
	FrameSettings:       (*Session).onSettings,
	FramePushPromise:    (*Session).onPushPromise,
	FramePing:           (*Session).onPing,
	FrameGoaway:         (*Session).onGoaway,
	FrameWindowUpdate:   (*Session).onWindowUpdate,
	FrameContinuation:   (*Session).onContinuation,
	FrameAltsvc:         (*Session).onExtension,
	FrameOrigin:         (*Session).onExtension,
	FramePriorityUpdate: (*Session).onPriorityUpdate,
}

// onFramePayload parses and handles a complete frame.
func (s *Session) onFramePayload(payload []byte) error {
	r := &s.r
	r.state = rsHead
	err := s.handleFrame(payload)
	if r.state != rsIgnoreAll {
		r.state = s.nextHeadState()
	}
	return err
}

func (s *Session) handleFrame(payload []byte) error {
	f := &s.rframe
	r := &s.r
	f.Hd = r.cur
	fragment, err := parseFramePayload(f, payload, s.settingsBuf[:0:len(s.settingsBuf)])
	if err != nil {
		if err == errIgnoreFrame {
			return nil
		}
		ce, ok := err.(*codecError)
		if !ok {
			return s.connError(ProtocolError, ErrProto, "frame_parse")
		}
		// A stream error in a frame that carries a header block would
		// leave the HPACK decoder out of step; it ends the connection.
		if !ce.Stream || f.Hd.Type == FrameHeaders || f.Hd.Type == FramePushPromise {
			return s.connError(ce.Code, libErrorFor(ce.Code), ce.Name)
		}
		if s.cb.OnInvalidFrameRecv != nil && s.cb.OnInvalidFrameRecv(s, f, ErrInvalidFrame) != nil {
			return ErrCallbackFailure
		}
		return s.streamError(f.Hd.StreamID, ce.Code, ce.Name)
	}
	t := f.Hd.Type
	if int(t) < len(frameHandlers) && frameHandlers[t] != nil {
		return frameHandlers[t](s, f, fragment)
	}
	return s.onExtension(f, nil)
}

func (s *Session) callFrameRecv(f *Frame) error {
	if s.cb.OnFrameRecv != nil && s.cb.OnFrameRecv(s, f) != nil {
		return ErrCallbackFailure
	}
	return nil
}

// streamError answers a stream error with RST_STREAM (RFC 9113, Section
// 5.4.2). Frames still arriving on the stream are ignored until the
// RST_STREAM is out, then by the closed-stream rules.
func (s *Session) streamError(streamID int32, code ErrorCode, rule string) error {
	if s.cb.OnError != nil && s.cb.OnError(s, ErrProto, rule) != nil {
		return ErrCallbackFailure
	}
	if err := s.spendResetToken(); err != nil {
		return err
	}
	if err := s.queueRst(streamID, code, true); err != nil {
		return s.connErrorLib(EnhanceYourCalm, ErrFlooded, "rst_stream_flood")
	}
	if s.streams.get(streamID) == nil {
		// A stream refused before it opened (or one we never knew):
		// frames the peer already sent on it are dropped, not treated as
		// frames on a stream that was never opened.
		if _, found, _ := s.closed.lookup(streamID); !found {
			s.closed.add(streamID, closedResetSent)
		}
	}
	if !s.streamErrPending {
		s.streamErrPending = true
		s.streamErr = StreamError{StreamID: streamID, Lib: streamLibError(code, rule), Code: code, Rule: rule}
	}
	return nil
}

var errDataBeforeHeaders = streamErr(ProtocolError, "http_data_before_headers")

// streamCodecError answers a stream-scope *codecError with RST_STREAM.
func (s *Session) streamCodecError(streamID int32, err error) error {
	ce := err.(*codecError)
	return s.streamError(streamID, ce.Code, ce.Name)
}

// connErrorLib is connError with a library error other than the code's
// usual one.
func (s *Session) connErrorLib(code ErrorCode, lib Error, rule string) error {
	return s.connError(code, lib, rule)
}

// spendResetToken takes a token from the stream reset bucket: a peer
// that makes us reset streams (or resets them itself) faster than the
// bucket refills is attacking (rapid reset, CVE-2023-44487).
func (s *Session) spendResetToken() error {
	if s.resetTokens <= 0 {
		return s.connErrorLib(EnhanceYourCalm, ErrFlooded, "stream_reset_rate")
	}
	s.resetTokens--
	return nil
}

// resetTokenEarn gives a token back for a stream that completed normally.
func (s *Session) resetTokenEarn() {
	if s.resetTokens < s.opt.StreamResetBurst {
		s.resetTokens++
	}
}

// workDone notes a frame that does real work (HEADERS, DATA), which
// resets the SETTINGS and PING flood counters.
func (s *Session) workDone() {
	s.settingsNoWork = 0
	s.pingsNoWork = 0
}

// closedStreamFrame decides the answer to DATA or HEADERS on a stream
// that is not open (RFC 9113, Section 5.1). It returns ignore=true when
// the frame is to be dropped silently.
func (s *Session) closedStreamFrame(id int32, what string) (ignore bool, err error) {
	if s.isIdle(id) {
		// RFC 9113, Section 5.1, "idle": "Receiving any frame other than
		// HEADERS or PRIORITY on a stream in this state MUST be treated
		// as a connection error of type PROTOCOL_ERROR."
		return false, s.connError(ProtocolError, ErrProto, what+"_on_idle_stream")
	}
	if s.goaway&goawaySent != 0 && !s.isLocalStreamID(id) && id > s.localLastStreamID {
		// Streams the peer opened after our GOAWAY are ignored, with all
		// their frames (RFC 9113, Section 6.8).
		return true, nil
	}
	how, found, known := s.closed.lookup(id)
	switch {
	case found && how == closedResetSent:
		// "An endpoint MUST ignore frames that it receives on closed
		// streams after it has sent a RST_STREAM frame."
		return true, nil
	case found && how == closedResetRecv:
		// "An endpoint that receives any frame other than PRIORITY after
		// receiving a RST_STREAM MUST treat that as a stream error of
		// type STREAM_CLOSED."
		return true, s.streamError(id, StreamClosed, what+"_after_rst_stream")
	case found:
		// Closed after END_STREAM both ways: connection error of type
		// STREAM_CLOSED (RFC 9113, Section 5.1, "closed").
		return false, s.connError(StreamClosed, ErrStreamClosed, what+"_on_closed_stream")
	case known:
		// Never opened, implicitly closed by a higher stream ID
		// (Section 5.1.1): the peer skipped it, and using it now means
		// it reused a lower ID.
		return false, s.connError(ProtocolError, ErrProto, what+"_on_skipped_stream")
	}
	// Closed so long ago it was forgotten: it may be a late frame after a
	// RST_STREAM, so it is ignored, as nghttp2 does.
	return true, nil
}

// onData handles DATA (RFC 9113, Section 6.1).
func (s *Session) onData(f *Frame, _ []byte) error {
	n := int64(f.Hd.Length)
	if err := s.recvDataConn(n); err != nil {
		return err
	}
	s.workDone()
	padding := n - int64(len(f.Payload))
	st := s.streams.get(f.Hd.StreamID)
	if st == nil || st.rstQueued || st.state == stateReservedRemote || st.state == stateReservedLocal {
		if st == nil {
			if _, err := s.closedStreamFrame(f.Hd.StreamID, "data"); err != nil {
				return err
			}
		} else if !st.rstQueued {
			return s.connError(ProtocolError, ErrProto, "data_on_reserved_stream")
		}
		// Dropped DATA still counts for the connection window; give it
		// back whatever the window mode.
		return s.giveBackConn(n)
	}
	if !st.canRecv() {
		// RFC 9113, Section 5.1, "half-closed (remote)": "If an endpoint
		// receives additional frames, other than WINDOW_UPDATE, PRIORITY,
		// or RST_STREAM, for a stream that is in this state, it MUST
		// respond with a stream error of type STREAM_CLOSED."
		if err := s.giveBackConn(n); err != nil {
			return err
		}
		return s.streamError(st.id, StreamClosed, "data_on_half_closed_stream")
	}
	if n > st.recvWindow {
		if err := s.giveBackConn(n); err != nil {
			return err
		}
		return s.streamError(st.id, FlowControlError, "data_stream_window_exceeded")
	}
	st.recvWindow -= n
	if len(f.Payload) == 0 && !f.Hd.Flags.Has(FlagEndStream) {
		// CVE-2019-9518: floods of empty frames cost us and not the peer.
		s.emptyFrames++
		if s.emptyFrames > s.opt.MaxEmptyFrames {
			return s.connErrorLib(EnhanceYourCalm, ErrFlooded, "empty_data_flood")
		}
	} else {
		s.emptyFrames = 0
	}
	if !s.opt.NoHTTPMessaging {
		err := st.http.onData(len(f.Payload))
		if err == nil && !st.recvHeaders {
			// nghttp2: DATA before the HEADERS that start the message.
			err = errDataBeforeHeaders
		}
		if err != nil {
			if err := s.giveBackConn(n); err != nil {
				return err
			}
			return s.streamCodecError(st.id, err)
		}
	}
	// Padding is flow-controlled but never delivered: it is given back
	// at once, as nghttp2 does.
	if padding > 0 {
		if err := s.giveBackConn(padding); err != nil {
			return err
		}
		if err := s.giveBackStream(st, padding); err != nil {
			return err
		}
	}
	if len(f.Payload) > 0 && s.cb.OnDataChunkRecv != nil {
		switch err := s.cb.OnDataChunkRecv(s, f.Hd.Flags, st.id, f.Payload); err {
		case nil:
		case ErrPause:
			// MemRecv returns after this frame (nghttp2's NGHTTP2_ERR_PAUSE).
			s.paused = true
		default:
			return ErrCallbackFailure
		}
	}
	if !s.opt.NoAutoWindowUpdate && len(f.Payload) > 0 {
		if err := s.giveBackConn(int64(len(f.Payload))); err != nil {
			return err
		}
		if st.state != stateClosed && !st.rstQueued {
			if err := s.giveBackStream(st, int64(len(f.Payload))); err != nil {
				return err
			}
		}
	}
	if err := s.callFrameRecv(f); err != nil {
		return err
	}
	if f.Hd.Flags.Has(FlagEndStream) && st.state != stateClosed && !st.rstQueued {
		if !s.opt.NoHTTPMessaging {
			if err := st.http.onEndStream(); err != nil {
				return s.streamCodecError(st.id, err)
			}
		}
		return s.shutRead(st)
	}
	return nil
}

// onPriority: RFC 7540 priorities are parsed and ignored (RFC 9113,
// Section 5.3.2); PRIORITY is allowed in every stream state.
func (s *Session) onPriority(f *Frame, _ []byte) error {
	return s.callFrameRecv(f)
}

// onRSTStream handles RST_STREAM (RFC 9113, Section 6.4).
func (s *Session) onRSTStream(f *Frame, _ []byte) error {
	id := f.Hd.StreamID
	st := s.streams.get(id)
	if st == nil {
		// "RST_STREAM frames MUST NOT be sent for a stream in the "idle"
		// state. If a RST_STREAM frame identifying an idle stream is
		// received, the recipient MUST treat this as a connection error
		// of type PROTOCOL_ERROR."
		if s.isIdle(id) {
			return s.connError(ProtocolError, ErrProto, "rst_stream_on_idle_stream")
		}
		return nil
	}
	if !s.isLocalStreamID(id) {
		if err := s.spendResetToken(); err != nil {
			return err
		}
	}
	if err := s.callFrameRecv(f); err != nil {
		return err
	}
	return s.closeStream(st, f.ErrorCode, closedResetRecv)
}

// onPing handles PING (RFC 9113, Section 6.7).
func (s *Session) onPing(f *Frame, _ []byte) error {
	if !f.Hd.Flags.Has(FlagAck) {
		s.pingsNoWork++
		if s.pingsNoWork > s.opt.PingFloodLimit {
			return s.connErrorLib(EnhanceYourCalm, ErrFlooded, "ping_flood")
		}
		if !s.opt.NoAutoPingAck {
			// "Receivers of a PING frame that does not include an ACK
			// flag MUST send a PING frame with the ACK flag set in
			// response, with an identical frame payload."
			it, err := s.newAckItem(FramePing)
			if err != nil {
				return s.connErrorLib(EnhanceYourCalm, ErrFlooded, "ping_ack_flood")
			}
			it.flags = FlagAck
			it.ping = f.OpaqueData
			s.queueCtrl(it)
		}
	}
	return s.callFrameRecv(f)
}

// onExtension hands an extension frame to the application when it
// registered its type, and ignores it otherwise (RFC 9113, Section 5.5:
// "Implementations MUST discard frames that have unknown or unsupported
// types").
func (s *Session) onExtension(f *Frame, _ []byte) error {
	if s.cb.OnExtensionFrame == nil {
		return nil
	}
	for _, t := range s.opt.ExtensionTypes {
		if t == f.Hd.Type {
			if s.cb.OnExtensionFrame(s, f) != nil {
				return ErrCallbackFailure
			}
			return nil
		}
	}
	return nil
}
