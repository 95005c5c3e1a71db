package h2

// Extensible priorities, RFC 9218: urgency 0 (highest) to 7 and the
// incremental flag decide which stream's DATA goes next. RFC 7540
// priorities (PRIORITY frames, HEADERS priority fields) are parsed and
// ignored, as RFC 9113, Section 5.3.2 allows.

// defaultUrgency is RFC 9218, Section 4.1: "The default urgency is 3."
const defaultUrgency = 3

const numUrgency = 8

// scheduler keeps one list of streams with DATA ready per urgency. Within
// a level a non-incremental stream keeps the head until its body is done;
// an incremental one goes to the back after each frame, so incremental
// streams of equal urgency share the connection round-robin (RFC 9218,
// Section 10).
type scheduler struct {
	head, tail [numUrgency]*stream
	n          int
}

func (q *scheduler) init() { *q = scheduler{} }

func (q *scheduler) ready() bool { return q.n > 0 }

func (q *scheduler) push(st *stream) {
	u := st.urgency
	st.schedNext = nil
	st.schedPrev = q.tail[u]
	if q.tail[u] == nil {
		q.head[u] = st
	} else {
		q.tail[u].schedNext = st
	}
	q.tail[u] = st
	st.scheduled = true
	q.n++
}

func (q *scheduler) remove(st *stream) {
	u := st.urgency
	if st.schedPrev == nil {
		q.head[u] = st.schedNext
	} else {
		st.schedPrev.schedNext = st.schedNext
	}
	if st.schedNext == nil {
		q.tail[u] = st.schedPrev
	} else {
		st.schedNext.schedPrev = st.schedPrev
	}
	st.schedNext, st.schedPrev, st.scheduled = nil, nil, false
	q.n--
}

// peek returns the stream whose DATA goes next.
func (q *scheduler) peek() *stream {
	for u := range q.head {
		if q.head[u] != nil {
			return q.head[u]
		}
	}
	return nil
}

// served is called after a DATA frame of st went out.
func (q *scheduler) served(st *stream) {
	if st.scheduled && st.incremental && st.schedNext != nil {
		q.remove(st)
		q.push(st)
	}
}

// schedule puts st in line for DATA if it has something it may send.
func (s *Session) schedule(st *stream) {
	if st.scheduled || !st.hasData || st.deferred || !st.sentHeaders || st.rstQueued ||
		st.sendWindow <= 0 || !st.canSend() {
		return
	}
	s.sched.push(st)
}

func (s *Session) unschedule(st *stream) {
	if st.scheduled {
		s.sched.remove(st)
	}
}

// setPriority changes the urgency and incremental flag of st, keeping its
// place in line consistent.
func (s *Session) setPriority(st *stream, urgency uint8, incremental bool) {
	was := st.scheduled
	s.unschedule(st)
	st.urgency, st.incremental = urgency, incremental
	if was {
		s.schedule(st)
	}
}

// ChangeStreamPriority sets how the session schedules the DATA it sends
// on streamID (nghttp2_session_change_extpri_stream_priority). Returns nil
// on success, or one of: ErrInvalidArgument — urgency is above 7 or the
// stream does not exist.
func (s *Session) ChangeStreamPriority(streamID int32, urgency uint8, incremental bool) error {
	st := s.streams.get(streamID)
	if st == nil || urgency >= numUrgency {
		return ErrInvalidArgument
	}
	s.setPriority(st, urgency, incremental)
	return nil
}

// SubmitPriorityUpdate queues a PRIORITY_UPDATE frame (RFC 9218, Section
// 7.1, client only) asking the server to reprioritize the response on
// streamID; fieldValue is a Priority field value such as "u=1, i".
// Returns nil on success, or one of: ErrInvalidArgument — streamID is not
// a client stream or fieldValue does not fit a frame; ErrInvalidState — s
// is a server session; ErrNoMem.
func (s *Session) SubmitPriorityUpdate(streamID int32, fieldValue []byte) error {
	if s.server {
		return ErrInvalidState
	}
	if streamID <= 0 || streamID%2 == 0 || len(fieldValue)+4 > int(s.remote.maxFrameSize) {
		return ErrInvalidArgument
	}
	it, err := s.newItem(FramePriorityUpdate)
	if err != nil {
		return err
	}
	it.streamID = streamID
	it.buf = append(it.buf[:0], fieldValue...)
	s.queueCtrl(it)
	return nil
}

// onPriorityUpdate handles a received PRIORITY_UPDATE. RFC 9218, Section
// 7.1: "If a client receives a PRIORITY_UPDATE frame, it MUST respond with
// a connection error of type PROTOCOL_ERROR", and a server receiving one
// that names a push stream responds likewise.
func (s *Session) onPriorityUpdate(f *Frame, _ []byte) error {
	if !s.server {
		return s.connError(ProtocolError, ErrProto, "priority_update_to_client")
	}
	id := f.PrioritizedStreamID
	if id%2 == 0 {
		return s.connError(ProtocolError, ErrProto, "priority_update_push_stream")
	}
	// A PRIORITY_UPDATE for a stream not open yet is dropped: RFC 9218,
	// Section 7.1 lets a server bound the state it keeps for such frames.
	if st := s.streams.get(id); st != nil {
		u, inc := parsePriorityField(f.FieldValue, st.urgency, st.incremental)
		s.setPriority(st, u, inc)
	}
	return s.callFrameRecv(f)
}

// parsePriorityField reads the urgency (u) and incremental (i) parameters of a
// Priority field value, RFC 9218, Section 4: a Structured Field
// Dictionary such as "u=5, i". Members with invalid values are ignored,
// as Section 4 requires ("the member MUST be ignored"), keeping u and inc.
func parsePriorityField(v []byte, u uint8, inc bool) (uint8, bool) {
	for len(v) > 0 {
		var member []byte
		if i := indexByte(v, ','); i >= 0 {
			member, v = v[:i], v[i+1:]
		} else {
			member, v = v, nil
		}
		member = trimOWS(member)
		if semi := indexByte(member, ';'); semi >= 0 {
			member = trimOWS(member[:semi]) // parameters of a member are not used
		}
		if len(member) == 0 {
			continue
		}
		key, val := member, []byte(nil)
		if eq := indexByte(member, '='); eq >= 0 {
			key, val = member[:eq], member[eq+1:]
		}
		switch string(key) {
		case "u":
			if len(val) == 1 && val[0] >= '0' && val[0] <= '7' {
				u = val[0] - '0'
			}
		case "i":
			switch {
			case val == nil || string(val) == "?1":
				inc = true
			case string(val) == "?0":
				inc = false
			}
		}
	}
	return u, inc
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
