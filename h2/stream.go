package h2

// Streams: the state machine of RFC 9113, Section 5.1, the table of open
// streams, and the bounded memory of closed ones.

// StreamState is a stream state of RFC 9113, Section 5.1, Figure 2.
type StreamState uint8

// Stream states.
const (
	StreamStateIdle StreamState = iota
	StreamStateReservedLocal
	StreamStateReservedRemote
	StreamStateOpen
	StreamStateHalfClosedLocal
	StreamStateHalfClosedRemote
	StreamStateClosed
)

// Short internal names.
const (
	stateIdle             = StreamStateIdle
	stateReservedLocal    = StreamStateReservedLocal
	stateReservedRemote   = StreamStateReservedRemote
	stateOpen             = StreamStateOpen
	stateHalfClosedLocal  = StreamStateHalfClosedLocal
	stateHalfClosedRemote = StreamStateHalfClosedRemote
	stateClosed           = StreamStateClosed
)

var streamStateNames = [...]string{"idle", "reserved (local)", "reserved (remote)", "open",
	"half-closed (local)", "half-closed (remote)", "closed"}

func (st StreamState) String() string {
	if int(st) < len(streamStateNames) {
		return streamStateNames[st]
	}
	return "unknown stream state"
}

// How a remembered closed stream ended; it decides the answer to frames
// that arrive on it later (RFC 9113, Section 5.1, "closed").
type closeHow uint8

const (
	closedNormally  closeHow = iota // END_STREAM both ways
	closedResetSent                 // we sent RST_STREAM: ignore late frames
	closedResetRecv                 // the peer sent RST_STREAM
)

// stream is one HTTP/2 stream. Streams are pooled by the session and
// cleared when handed back.
type stream struct {
	id       int32
	state    StreamState
	userData any

	// Flow control, RFC 9113, Section 6.9. sendWindow is what the peer
	// lets us send; recvWindow is what we still let the peer send;
	// recvConsumed counts received octets not yet given back with
	// WINDOW_UPDATE; recvLimit is this stream's window size.
	sendWindow   int64
	recvWindow   int64
	recvConsumed int64
	recvLimit    int64
	wu           *outItem // queued WINDOW_UPDATE not sent yet

	// Outgoing body.
	dp      DataProvider
	hasData bool // dp is attached and not at EOF
	// dataNoEndStream: the body was attached by SubmitData without
	// FlagEndStream, so its EOF does not end the stream.
	dataNoEndStream bool
	deferred        bool     // dp returned ErrDeferred
	trailer         *outItem // trailers submitted while the body is still read
	sentHeaders     bool     // a HEADERS frame went out on this stream
	rstQueued       bool     // RST_STREAM is queued; nothing else goes out

	// RFC 9218 scheduling of DATA.
	urgency     uint8
	incremental bool
	schedNext   *stream
	schedPrev   *stream
	scheduled   bool

	// Receiving.
	http        httpState
	recvHeaders bool // a header block was received (the next is trailers)
	pushed      bool // a pushed stream (reserved before it opened)
	bodyBytes   int64
}

func (st *stream) clear() { *st = stream{} }

// canSend reports whether we may still send frames carrying data or
// headers on the stream.
func (st *stream) canSend() bool {
	return st.state == stateOpen || st.state == stateHalfClosedRemote || st.state == stateReservedLocal
}

// canRecv reports whether the peer may still send DATA or HEADERS.
func (st *stream) canRecv() bool {
	return st.state == stateOpen || st.state == stateHalfClosedLocal || st.state == stateReservedRemote
}

// streamTable maps stream IDs to open streams: open addressing with
// linear probing and backward-shift deletion, so that steady-state inserts
// and deletes never allocate and never leave tombstones.
type streamTable struct {
	slots []*stream
	count int
}

func newStreamTable(capacity int) streamTable {
	n := 16
	for n < capacity*2 {
		n <<= 1
	}
	return streamTable{slots: make([]*stream, n)}
}

func (t *streamTable) home(id int32) int {
	// Client streams are odd and server streams even; multiply to spread.
	return int(uint32(id)*0x9e3779b1>>7) & (len(t.slots) - 1)
}

func (t *streamTable) get(id int32) *stream {
	mask := len(t.slots) - 1
	for i := t.home(id); ; i = (i + 1) & mask {
		st := t.slots[i]
		if st == nil {
			return nil
		}
		if st.id == id {
			return st
		}
	}
}

func (t *streamTable) put(st *stream) {
	if (t.count+1)*2 > len(t.slots) {
		old := t.slots
		t.slots = make([]*stream, len(old)*2)
		t.count = 0
		for _, o := range old {
			if o != nil {
				t.put(o)
			}
		}
	}
	mask := len(t.slots) - 1
	i := t.home(st.id)
	for t.slots[i] != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = st
	t.count++
}

func (t *streamTable) remove(id int32) {
	mask := len(t.slots) - 1
	i := t.home(id)
	for {
		st := t.slots[i]
		if st == nil {
			return
		}
		if st.id == id {
			break
		}
		i = (i + 1) & mask
	}
	// Backward-shift deletion: move later members of the probe run into
	// the hole when their home position allows it.
	j := i
	for {
		t.slots[i] = nil
		for {
			j = (j + 1) & mask
			if t.slots[j] == nil {
				t.count--
				return
			}
			k := t.home(t.slots[j].id)
			// k lies cyclically in (i, j]: the entry stays.
			if (i <= j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
				continue
			}
			break
		}
		t.slots[i] = t.slots[j]
		i = j
	}
}

// each calls fn for every stream; fn may not add or remove streams.
func (t *streamTable) each(fn func(*stream)) {
	for _, st := range t.slots {
		if st != nil {
			fn(st)
		}
	}
}

// closedRing remembers how the last few closed streams ended.
type closedRing struct {
	ids  []int32
	how  []closeHow
	next int
	full bool
	// evictedMax is the largest ID that has been forgotten; an ID above it
	// that is neither open nor remembered was never opened.
	evictedMax int32
}

func newClosedRing(n int) closedRing {
	return closedRing{ids: make([]int32, n), how: make([]closeHow, n)}
}

func (r *closedRing) add(id int32, how closeHow) {
	if r.full && r.ids[r.next] > r.evictedMax {
		r.evictedMax = r.ids[r.next]
	}
	r.ids[r.next], r.how[r.next] = id, how
	r.next++
	if r.next == len(r.ids) {
		r.next, r.full = 0, true
	}
}

// lookup returns how stream id ended and whether it is remembered at all.
// known is false when the stream may have been closed and forgotten.
func (r *closedRing) lookup(id int32) (how closeHow, found, known bool) {
	n := r.next
	if r.full {
		n = len(r.ids)
	}
	for i := 0; i < n; i++ {
		if r.ids[i] == id {
			return r.how[i], true, true
		}
	}
	return 0, false, id > r.evictedMax
}

// isLocalStreamID reports whether id belongs to streams we initiate
// (RFC 9113, Section 5.1.1: clients use odd IDs, servers even ones).
func (s *Session) isLocalStreamID(id int32) bool {
	return id != 0 && (id%2 == 1) != s.server
}

// isIdle reports whether id names a stream that is still idle: never
// opened by its initiator, and not implicitly closed by a higher one
// (RFC 9113, Section 5.1.1).
func (s *Session) isIdle(id int32) bool {
	if s.isLocalStreamID(id) {
		// Submitted but not yet sent is still idle.
		return id > s.lastLocalStreamID
	}
	return id > s.lastRecvStreamID
}

// newStream takes a stream from the pool and registers it.
func (s *Session) newStream(id int32, state StreamState, userData any) *stream {
	var st *stream
	if n := len(s.streamPool); n > 0 {
		st = s.streamPool[n-1]
		s.streamPool = s.streamPool[:n-1]
	} else {
		st = new(stream)
	}
	st.id = id
	st.state = state
	st.userData = userData
	st.sendWindow = int64(s.remote.initialWindowSize)
	st.recvLimit = int64(s.local.initialWindowSize)
	st.recvWindow = st.recvLimit
	st.urgency = defaultUrgency
	st.http.reset()
	s.streams.put(st)
	if s.isLocalStreamID(id) {
		s.lastLocalStreamID = max(s.lastLocalStreamID, id)
		if state != stateReservedLocal {
			s.numOutgoing++
		}
	} else if state != stateReservedRemote {
		s.numIncoming++
	}
	return st
}

// openReserved moves a pushed stream from reserved to its half-closed
// state, counting it against the concurrency limit from then on
// (RFC 9113, Section 5.1.2).
func (s *Session) openReserved(st *stream) {
	switch st.state {
	case stateReservedLocal:
		st.state = stateHalfClosedRemote
		s.numOutgoing++
	case stateReservedRemote:
		st.state = stateHalfClosedLocal
		s.numIncoming++
		s.numReservedRemote--
	}
}

// closeStream closes st, remembers how, calls OnStreamClose and returns
// the stream to the pool. It returns ErrCallbackFailure when the callback
// fails.
func (s *Session) closeStream(st *stream, code ErrorCode, how closeHow) error {
	if st.state == stateClosed {
		return nil
	}
	switch st.state {
	case stateReservedLocal:
	case stateReservedRemote:
		s.numReservedRemote--
	default:
		if s.isLocalStreamID(st.id) {
			s.numOutgoing--
		} else {
			s.numIncoming--
		}
	}
	st.state = stateClosed
	s.unschedule(st)
	if st.trailer != nil {
		s.freeItem(st.trailer)
		st.trailer = nil
	}
	if how == closedNormally {
		s.resetTokenEarn()
	}
	// The callback runs while the stream can still be looked up, so
	// GetStreamUserData works in it, as in nghttp2.
	var err error
	if s.cb.OnStreamClose != nil {
		if e := s.cb.OnStreamClose(s, st.id, code); e != nil {
			err = ErrCallbackFailure
		}
	}
	s.streams.remove(st.id)
	s.closed.add(st.id, how)
	st.clear()
	s.streamPool = append(s.streamPool, st)
	return err
}

// shutWrite records that we sent END_STREAM on st and closes it when the
// peer had already done so.
func (s *Session) shutWrite(st *stream) error {
	switch st.state {
	case stateOpen:
		st.state = stateHalfClosedLocal
	case stateHalfClosedRemote:
		return s.closeStream(st, NoError, closedNormally)
	}
	return nil
}

// shutRead records that the peer sent END_STREAM on st.
func (s *Session) shutRead(st *stream) error {
	switch st.state {
	case stateOpen:
		st.state = stateHalfClosedRemote
	case stateHalfClosedLocal:
		return s.closeStream(st, NoError, closedNormally)
	}
	return nil
}

// GetStreamUserData returns the value given to SubmitRequest,
// SubmitHeaders or SetStreamUserData for the stream, or nil.
func (s *Session) GetStreamUserData(streamID int32) any {
	if st := s.streams.get(streamID); st != nil {
		return st.userData
	}
	return nil
}

// SetStreamUserData attaches v to an open stream. It returns nil on
// success, or one of: ErrInvalidArgument — the stream does not exist.
func (s *Session) SetStreamUserData(streamID int32, v any) error {
	st := s.streams.get(streamID)
	if st == nil {
		return ErrInvalidArgument
	}
	st.userData = v
	return nil
}

// StreamState returns the state of the stream: StreamStateIdle for IDs
// not used yet, StreamStateClosed for closed (or forgotten) ones.
func (s *Session) StreamState(streamID int32) StreamState {
	if st := s.streams.get(streamID); st != nil {
		return st.state
	}
	if streamID > 0 && s.isIdle(streamID) {
		return stateIdle
	}
	return stateClosed
}

// NumActiveStreams returns the number of streams that are not closed.
func (s *Session) NumActiveStreams() int { return s.streams.count }
