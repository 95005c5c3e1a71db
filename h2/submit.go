package h2

// Submit functions queue frames; nothing is written until Send or MemSend.

// DataFlags are set by a DataProvider's Read callback.
type DataFlags uint32

// Data flags, as nghttp2_data_flag.
const (
	DataFlagNone DataFlags = 0
	// DataFlagEOF: this read is the last one of the body.
	DataFlagEOF DataFlags = 0x01
	// DataFlagNoEndStream: with DataFlagEOF, do not set END_STREAM on the
	// last DATA frame; trailers follow with SubmitTrailer (which may be
	// called inside Read).
	DataFlagNoEndStream DataFlags = 0x02
	// DataFlagNoCopy: Read did not copy the payload into buf; it returned
	// only the length, and Callbacks.SendData writes the frame itself.
	DataFlagNoCopy DataFlags = 0x04
)

// DataProvider supplies a stream's body. Read fills buf (or, with
// DataFlagNoCopy, only decides the length) and returns the number of
// octets. It returns ErrDeferred to pause the stream until ResumeData,
// ErrTemporalCallbackFailure to reset just this stream with INTERNAL_ERROR,
// or another error to make the session unusable (ErrCallbackFailure).
type DataProvider struct {
	Read   func(s *Session, streamID int32, buf []byte, flags *DataFlags) (int, error)
	Source any // free for the application, like nghttp2_data_source
}

// SubmitRequest queues a request (client only) and returns the stream ID
// it will use. With data nil, the HEADERS frame carries END_STREAM. The
// stream opens when its HEADERS is sent, subject to the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS. Returns the stream ID on success, or
// one of: ErrProto — s is a server session; ErrStreamIDNotAvailable — the
// stream IDs are exhausted; ErrSessionClosing — GOAWAY was sent or the
// session is terminated; ErrNoMem — the outbound queue is full.
func (s *Session) SubmitRequest(nva []NV, data *DataProvider, streamData any) (int32, error) {
	flags := FlagEndStream
	if data != nil && data.Read != nil {
		flags = FlagNone
	}
	return s.submitHeaders(flags, -1, nva, data, streamData)
}

// SubmitResponse queues response HEADERS on streamID (server only), and
// the body from data if it is not nil; without data the HEADERS carries
// END_STREAM. Returns nil on success, or one of: ErrInvalidArgument —
// streamID is not positive; ErrProto — s is a client session; ErrNoMem —
// the outbound queue is full.
func (s *Session) SubmitResponse(streamID int32, nva []NV, data *DataProvider) error {
	if !s.server {
		return ErrProto
	}
	if streamID <= 0 {
		return ErrInvalidArgument
	}
	flags := FlagEndStream
	if data != nil && data.Read != nil {
		flags = FlagNone
	}
	_, err := s.submitHeaders(flags, streamID, nva, data, nil)
	return err
}

// SubmitHeaders queues a HEADERS frame. With streamID -1 (client only) it
// opens a new stream and returns its ID; otherwise it sends on an existing
// stream (a response, a 1xx, trailers) and returns 0. FlagEndStream ends
// the stream; other flags are ignored. Returns the new stream ID (or 0)
// and nil on success, or one of: ErrInvalidArgument — streamID is 0 or
// below -1; ErrProto — streamID is -1 on a server; ErrStreamIDNotAvailable
// — the stream IDs are exhausted; ErrSessionClosing — GOAWAY was sent or
// the session is terminated; ErrNoMem — the outbound queue is full.
func (s *Session) SubmitHeaders(flags FrameFlags, streamID int32, nva []NV, streamData any) (int32, error) {
	return s.submitHeaders(flags&FlagEndStream, streamID, nva, nil, streamData)
}

// SubmitTrailer queues trailer fields on streamID, a HEADERS frame with
// END_STREAM: the same as SubmitHeaders(FlagEndStream, streamID, nva, nil)
// but returning only an error. Names are lower-cased copies and values
// copies unless NVFlagNoCopyName or NVFlagNoCopyValue say otherwise; the
// order is kept. It may be called inside a DataProvider's Read that sets
// DataFlagEOF|DataFlagNoEndStream. Returns nil on success (streamID -1
// included: a client then opens a new stream with these fields and no
// body), or one of: ErrInvalidArgument — streamID is 0 or below -1, or nva
// holds a pseudo-header field; ErrNoMem — the outbound queue is full.
func (s *Session) SubmitTrailer(streamID int32, nva []NV) error {
	if streamID == 0 || streamID < -1 {
		return ErrInvalidArgument
	}
	for i := range nva {
		if len(nva[i].Name) > 0 && nva[i].Name[0] == ':' {
			return ErrInvalidArgument
		}
	}
	_, err := s.submitHeaders(FlagEndStream, streamID, nva, nil, nil)
	return err
}

func (s *Session) submitHeaders(flags FrameFlags, streamID int32, nva []NV, data *DataProvider, streamData any) (int32, error) {
	if streamID == 0 || streamID < -1 {
		return 0, ErrInvalidArgument
	}
	if s.goaway&goawayTerminated != 0 {
		return 0, ErrSessionClosing
	}
	request := streamID == -1
	if request {
		if s.server {
			return 0, ErrProto
		}
		if s.goaway&(goawaySent|goawayQueued) != 0 {
			return 0, ErrSessionClosing
		}
		if s.nextStreamID > maxStreamID || s.nextStreamID < 0 {
			return 0, ErrStreamIDNotAvailable
		}
	}
	it, err := s.newItem(FrameHeaders)
	if err != nil {
		return 0, err
	}
	it.flags = flags
	it.setNVA(nva)
	if data != nil && data.Read != nil {
		it.hasDP = true
		it.dp = *data
	}
	it.streamData = streamData
	ret := int32(0)
	if request {
		it.request = true
		it.streamID = s.nextStreamID
		ret = s.nextStreamID
		s.nextStreamID += 2
		s.syn.push(it)
		return ret, nil
	}
	it.streamID = streamID
	// Trailers submitted while the body is still being read wait on the
	// stream and follow the last DATA frame; trailers for a request not
	// sent yet wait on the request.
	if flags&FlagEndStream != 0 && !it.hasDP {
		slot := s.trailerSlot(streamID)
		if slot != nil {
			if *slot != nil {
				s.freeItem(it)
				return 0, ErrDataExist
			}
			*slot = it
			return 0, nil
		}
	}
	if s.server && s.isLocalStreamID(streamID) {
		if st := s.streams.get(streamID); st == nil || st.state == stateReservedLocal {
			// The response that opens a pushed stream counts against the
			// client's SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113,
			// Section 5.1.2): it waits with the stream-opening frames.
			s.syn.push(it)
			return ret, nil
		}
	}
	s.queueCtrl(it)
	return ret, nil
}

// trailerSlot returns where trailers for streamID must wait, or nil when
// they can be queued at once.
func (s *Session) trailerSlot(streamID int32) **outItem {
	q := &s.ctrl // a response whose HEADERS (with a body) is queued
	if st := s.streams.get(streamID); st != nil {
		if st.hasData {
			return &st.trailer
		}
	} else if s.isLocalStreamID(streamID) && streamID > s.lastLocalStreamID {
		q = &s.syn // a request not sent yet
	} else {
		return nil
	}
	for it := q.head; it != nil; it = it.next {
		if it.typ == FrameHeaders && it.streamID == streamID && it.hasDP {
			return &it.trailer
		}
	}
	return nil
}

// SubmitData attaches a body to streamID (also a request submitted with
// SubmitHeaders and not sent yet), sent after the stream's HEADERS. As
// with nghttp2_submit_data, the last DATA frame carries END_STREAM only if
// flags holds FlagEndStream (and Read did not set DataFlagNoEndStream).
// Returns nil on success, or one of: ErrInvalidArgument — streamID is not
// positive or data is nil; ErrStreamClosed — the stream is not open;
// ErrStreamShutWr — we already ended it; ErrDataExist — it has a body
// already.
func (s *Session) SubmitData(flags FrameFlags, streamID int32, data *DataProvider) error {
	if streamID <= 0 || data == nil || data.Read == nil {
		return ErrInvalidArgument
	}
	st := s.streams.get(streamID)
	if st == nil {
		// A request submitted with SubmitHeaders and not sent yet.
		if s.isLocalStreamID(streamID) && streamID > s.lastLocalStreamID {
			for it := s.syn.head; it != nil; it = it.next {
				if it.streamID != streamID {
					continue
				}
				switch {
				case it.flags&FlagEndStream != 0:
					return ErrStreamShutWr
				case it.hasDP:
					return ErrDataExist
				}
				it.hasDP = true
				it.dp = *data
				it.dataNoEndStream = flags&FlagEndStream == 0
				return nil
			}
		}
		return ErrStreamClosed
	}
	if !st.canSend() {
		return ErrStreamShutWr
	}
	if st.hasData {
		return ErrDataExist
	}
	st.dp = *data
	st.hasData = true
	st.deferred = false
	st.dataNoEndStream = flags&FlagEndStream == 0
	if st.sentHeaders {
		s.schedule(st)
	}
	return nil
}

// ResumeData makes a stream whose DataProvider returned ErrDeferred
// eligible for sending again. Returns nil on success, or one of:
// ErrInvalidArgument — the stream does not exist or has no deferred body.
func (s *Session) ResumeData(streamID int32) error {
	st := s.streams.get(streamID)
	if st == nil || !st.hasData || !st.deferred {
		return ErrInvalidArgument
	}
	st.deferred = false
	if st.sentHeaders {
		s.schedule(st)
	}
	return nil
}

// SubmitSettings queues a SETTINGS frame; flags should be FlagNone (the
// session acknowledges the peer's SETTINGS itself, so FlagAck returns
// ErrInvalidArgument). Values take effect for us when
// the peer acknowledges them, except a larger INITIAL_WINDOW_SIZE and
// MAX_CONCURRENT_STREAMS, which apply at once. Returns nil on success, or
// one of: ErrInvalidArgument — a value is out of range or iv is too long;
// ErrTooManyInflightSettings — too many SETTINGS wait for an ACK;
// ErrNoMem — the outbound queue is full.
func (s *Session) SubmitSettings(flags FrameFlags, iv []SettingsEntry) error {
	if flags&FlagAck != 0 || len(iv) > maxSubmitSettings {
		return ErrInvalidArgument
	}
	for _, e := range iv {
		if err := checkSetting(e); err != nil {
			return ErrInvalidArgument
		}
		if e.ID == SettingsEnablePush && e.Value == 1 && s.server {
			return ErrInvalidArgument
		}
	}
	if s.inflightN == maxInflightSettings {
		return ErrTooManyInflightSettings
	}
	it, err := s.newItem(FrameSettings)
	if err != nil {
		return err
	}
	it.iv = append(it.iv[:0], iv...)
	slot := &s.inflight[(s.inflightHead+s.inflightN)%maxInflightSettings]
	slot.n = copy(slot.iv[:], iv)
	s.inflightN++
	for _, e := range iv {
		switch e.ID {
		case SettingsMaxConcurrentStreams:
			s.localMaxConcurrent = e.Value
		case SettingsEnablePush:
			s.pushEnabled = !s.server && e.Value == 1
		case SettingsInitialWindowSize:
			if e.Value > s.local.initialWindowSize {
				if err := s.applyLocalInitialWindow(e.Value); err != nil {
					return err
				}
			}
		case SettingsHeaderTableSize:
			// The peer may use a larger table as soon as it sees the
			// SETTINGS; a smaller one binds it only after the ACK.
			if e.Value > s.local.headerTableSize {
				s.dec.SetMaxTableSize(e.Value)
			}
		}
	}
	s.queueCtrl(it)
	return nil
}

// SubmitPing queues a PING with opaqueData (8 zero octets when nil).
// FlagAck sends an acknowledgement (for Options.NoAutoPingAck). Returns
// nil on success, or one of: ErrNoMem — the outbound queue is full.
func (s *Session) SubmitPing(flags FrameFlags, opaqueData *[8]byte) error {
	it, err := s.newItem(FramePing)
	if err != nil {
		return err
	}
	it.flags = flags & FlagAck
	if opaqueData != nil {
		it.ping = *opaqueData
	}
	s.queueCtrl(it)
	return nil
}

// SubmitRstStream queues RST_STREAM for streamID with code. The stream
// closes when the frame is sent; frames queued for it are dropped.
// Returns nil on success, or one of: ErrInvalidArgument — streamID is not
// positive; ErrNoMem — the outbound queue is full.
func (s *Session) SubmitRstStream(flags FrameFlags, streamID int32, code ErrorCode) error {
	if streamID <= 0 {
		return ErrInvalidArgument
	}
	if s.isLocalStreamID(streamID) && streamID > s.lastLocalStreamID {
		// A request not sent yet: RST_STREAM on an idle stream would be a
		// protocol error, so the request is canceled instead, as nghttp2
		// does (its HEADERS then fails with ErrStreamClosed).
		for it := s.syn.head; it != nil; it = it.next {
			if it.streamID == streamID {
				it.canceled = true
				return nil
			}
		}
	}
	return s.queueRst(streamID, code, false)
}

func (s *Session) queueRst(streamID int32, code ErrorCode, peerInduced bool) error {
	st := s.streams.get(streamID)
	if st != nil {
		if st.rstQueued {
			return nil
		}
		st.rstQueued = true
		s.unschedule(st)
	}
	var it *outItem
	var err error
	if peerInduced {
		it, err = s.newAckItem(FrameRSTStream)
	} else {
		it, err = s.newItem(FrameRSTStream)
	}
	if err != nil {
		if st != nil {
			st.rstQueued = false
		}
		return err
	}
	it.streamID = streamID
	it.code = code
	s.queueCtrl(it)
	return nil
}

// SubmitExtension queues a frame of an extension type with payload (copied).
// Returns nil on success, or one of: ErrInvalidArgument — typ is a frame
// type of RFC 9113 or payload is larger than the peer's maximum frame
// size; ErrNoMem — the outbound queue is full.
func (s *Session) SubmitExtension(typ FrameType, flags FrameFlags, streamID int32, payload []byte) error {
	if typ <= FrameContinuation || streamID < 0 || uint32(len(payload)) > s.remote.maxFrameSize {
		return ErrInvalidArgument
	}
	it, err := s.newItem(typ)
	if err != nil {
		return err
	}
	it.flags = flags
	it.streamID = streamID
	it.buf = append(it.buf[:0], payload...)
	s.queueCtrl(it)
	return nil
}
