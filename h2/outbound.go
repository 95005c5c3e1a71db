package h2

// The outbound queue: pooled items, one per frame the application or the
// session submitted and that has not gone out yet.

// outItem is one queued frame other than DATA (DATA is pulled from the
// streams' DataProviders by the scheduler). Items are pooled; slices keep
// their capacity across uses so that steady state does not allocate.
type outItem struct {
	next     *outItem
	typ      FrameType
	flags    FrameFlags
	streamID int32

	// HEADERS and PUSH_PROMISE.
	nva      []NV
	nvbuf    []byte
	request  bool // HEADERS that opens a stream we initiate
	canceled bool // request reset by the application before it was sent
	pri      PrioritySpec
	hasPri   bool
	hasDP    bool
	// dataNoEndStream: SubmitData without FlagEndStream; EOF does not end
	// the stream.
	dataNoEndStream bool
	dp              DataProvider
	streamData      any
	promisedID      int32
	trailer         *outItem // trailers submitted before this request went out

	// RST_STREAM, GOAWAY, WINDOW_UPDATE, PING, SETTINGS, extensions.
	code         ErrorCode
	lastStreamID int32
	goawayAux    uint8 // goawayTermOnSend, goawayShutdownNotice
	buf          []byte
	origin       []byte
	iv           []SettingsEntry
	ping         [8]byte
	incr         int32
	peerInduced  bool // counts against Options.MaxOutboundAck
}

// goawayShutdownNotice marks the first GOAWAY of a graceful shutdown.
const goawayShutdownNotice = 1 << 7

type itemQueue struct {
	head, tail *outItem
	n          int
}

func (q *itemQueue) empty() bool { return q.head == nil }

func (q *itemQueue) push(it *outItem) {
	it.next = nil
	if q.tail == nil {
		q.head = it
	} else {
		q.tail.next = it
	}
	q.tail = it
	q.n++
}

func (q *itemQueue) pop() *outItem {
	it := q.head
	if it == nil {
		return nil
	}
	q.head = it.next
	if q.head == nil {
		q.tail = nil
	}
	it.next = nil
	q.n--
	return it
}

// newItem takes an item from the pool. It returns ErrNoMem when the queue
// holds Options.MaxOutboundQueue items already.
func (s *Session) newItem(typ FrameType) (*outItem, error) {
	if s.numItems >= s.opt.MaxOutboundQueue {
		return nil, ErrNoMem
	}
	return s.takeItem(typ), nil
}

// newAckItem takes an item for an answer the peer made us queue (an ACK,
// a RST_STREAM): these are bounded by Options.MaxOutboundAck instead of
// the application's queue limit. Past it the peer floods us.
func (s *Session) newAckItem(typ FrameType) (*outItem, error) {
	if s.numAckWait >= s.opt.MaxOutboundAck {
		return nil, ErrFlooded
	}
	it := s.takeItem(typ)
	it.peerInduced = true
	s.numAckWait++
	return it, nil
}

// takeItem is newItem without the limit, for the frame that ends the
// session.
func (s *Session) takeItem(typ FrameType) *outItem {
	var it *outItem
	if n := len(s.itemPool); n > 0 {
		it = s.itemPool[n-1]
		s.itemPool = s.itemPool[:n-1]
	} else {
		it = new(outItem)
	}
	s.numItems++
	it.typ = typ
	return it
}

// freeItem hands an item back to the pool, clearing everything but the
// capacity of its buffers. References to application memory are dropped
// so the pool keeps nothing alive.
func (s *Session) freeItem(it *outItem) {
	if it.peerInduced {
		s.numAckWait--
	}
	if it.trailer != nil {
		s.freeItem(it.trailer)
	}
	if it.typ == FrameWindowUpdate {
		s.detachWindowUpdate(it)
	}
	clear(it.nva)
	nva, nvbuf, buf, origin, iv := it.nva[:0], it.nvbuf[:0], it.buf[:0], it.origin[:0], it.iv[:0]
	*it = outItem{nva: nva, nvbuf: nvbuf, buf: buf, origin: origin, iv: iv}
	s.numItems--
	s.itemPool = append(s.itemPool, it)
}

// setNVA copies nva into the item as nghttp2 does: names are lower-cased
// copies unless NVFlagNoCopyName (the caller then promises lower case and
// keeps the memory alive until OnFrameSend or OnFrameNotSend), values are
// copies unless NVFlagNoCopyValue. The order is preserved.
func (it *outItem) setNVA(nva []NV) {
	total := 0
	for i := range nva {
		if nva[i].Flags&NVFlagNoCopyName == 0 {
			total += len(nva[i].Name)
		}
		if nva[i].Flags&NVFlagNoCopyValue == 0 {
			total += len(nva[i].Value)
		}
	}
	if cap(it.nvbuf) < total {
		// Rounded up so that a pooled item fits most later header lists
		// without growing again.
		it.nvbuf = make([]byte, 0, max(total, 256))
	}
	if cap(it.nva) < len(nva) {
		it.nva = make([]NV, 0, max(len(nva), 8))
	}
	buf := it.nvbuf[:0]
	out := it.nva[:0]
	for _, nv := range nva {
		o := NV{Name: nv.Name, Value: nv.Value, Flags: nv.Flags}
		if nv.Flags&NVFlagNoCopyName == 0 {
			start := len(buf)
			for _, c := range nv.Name {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
			o.Name = buf[start:len(buf):len(buf)]
		}
		if nv.Flags&NVFlagNoCopyValue == 0 {
			start := len(buf)
			buf = append(buf, nv.Value...)
			o.Value = buf[start:len(buf):len(buf)]
		}
		out = append(out, o)
	}
	it.nvbuf = buf
	it.nva = out
}

// queueCtrl queues a control frame. Peer-induced frames (ACKs, answers to
// the peer's errors) count against Options.MaxOutboundAck; past it the
// peer is flooding us and the connection ends with ENHANCE_YOUR_CALM.
func (s *Session) queueCtrl(it *outItem) {
	s.ctrl.push(it)
}

// detachWindowUpdate forgets it as the WINDOW_UPDATE that collects
// credit for its stream or the connection.
func (s *Session) detachWindowUpdate(it *outItem) {
	if it.streamID == 0 {
		if s.connWU == it {
			s.connWU = nil
		}
	} else if st := s.streams.get(it.streamID); st != nil && st.wu == it {
		st.wu = nil
	}
}
