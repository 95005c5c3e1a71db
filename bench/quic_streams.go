package bench

import (
	"bytes"
	"errors"
	"time"
)

// Errors a QUIC stream's response can end with.
var (
	// ErrEchoShort: the peer ended the stream (FIN) before every byte of
	// the request came back.
	ErrEchoShort = errors.New("bench: stream ended before its whole echo came back")
)

// quicSlot is one request in flight on a QUIC stream.
type quicSlot struct {
	id    int64
	start time.Time
	sent  int // request bytes Conn.Write took (the FIN goes with the last)
	got   int // response bytes received (checked against the request in echo modes)
	idx   int32
	used  bool
}

// quicStreams is the sans-IO request bookkeeping of one QUIC connection:
// a fixed set of slots (one per request in flight, -m of them) found by
// stream ID through a small open-addressing table, so issuing, receiving
// and ending a request allocate nothing. Streams may finish in any order.
type quicStreams struct {
	rec   *Recorder
	req   []byte // what each stream sends: the echo message or the hq request line
	echo  bool   // the response must equal req; otherwise it is a body to count
	slots []quicSlot
	free  []int32 // indexes of unused slots
	// table maps a stream's sequence number (ID >> 2: client bidi IDs are
	// 0, 4, 8, ...) to its slot index + 1; 0 is empty. Its size is a
	// power of two at least twice the slots, so probes stay short.
	table []int32
	mask  int64
	n     int       // requests in flight
	ok    int64     // responses counted in the measured window (per-client req/s)
	last  time.Time // when the last of them arrived
}

func newQUICStreams(rec *Recorder, req []byte, echo bool, inFlight int) *quicStreams {
	size := 2
	for size < 2*inFlight {
		size <<= 1
	}
	q := &quicStreams{rec: rec, req: req, echo: echo,
		slots: make([]quicSlot, inFlight), free: make([]int32, 0, inFlight),
		table: make([]int32, size), mask: int64(size - 1)}
	for i := inFlight - 1; i >= 0; i-- {
		q.free = append(q.free, int32(i))
	}
	return q
}

// full reports that every slot is in flight.
func (q *quicStreams) full() bool { return len(q.free) == 0 }

// add starts a request on stream id at now. The caller checked !full().
func (q *quicStreams) add(id int64, now time.Time) *quicSlot {
	i := q.free[len(q.free)-1]
	q.free = q.free[:len(q.free)-1]
	s := &q.slots[i]
	*s = quicSlot{id: id, start: now, idx: i, used: true}
	h := (id >> 2) & q.mask
	for q.table[h] != 0 {
		h = (h + 1) & q.mask
	}
	q.table[h] = i + 1
	q.n++
	q.rec.Started(now)
	return s
}

// get returns the request on stream id, or nil.
func (q *quicStreams) get(id int64) *quicSlot {
	for h := (id >> 2) & q.mask; q.table[h] != 0; h = (h + 1) & q.mask {
		if s := &q.slots[q.table[h]-1]; s.id == id {
			return s
		}
	}
	return nil
}

// remove ends the bookkeeping of s. The table entry is deleted by
// backward shift (Knuth's Algorithm R), so lookups never need tombstones.
func (q *quicStreams) remove(s *quicSlot) {
	i := s.idx
	h := (s.id >> 2) & q.mask
	for q.table[h] != i+1 {
		h = (h + 1) & q.mask
	}
	for j := (h + 1) & q.mask; q.table[j] != 0; j = (j + 1) & q.mask {
		home := (q.slots[q.table[j]-1].id >> 2) & q.mask
		// Move entry j into the hole at h unless its home lies
		// cyclically in (h, j]: then it is already as close as it can be.
		if (j > h && (home <= h || home > j)) || (j < h && home <= h && home > j) {
			q.table[h] = q.table[j]
			h = j
		}
	}
	q.table[h] = 0
	s.used = false
	q.free = append(q.free, i)
	q.n--
}

// recv consumes response bytes of s read at now, and the end of the
// stream when fin is set. It returns done when the request ended: then
// err is nil for a response counted (every byte came back intact, then
// FIN), or one of: ErrEchoMismatch — a byte differs from the request, or
// more came back than was sent; ErrEchoShort — FIN before the whole echo.
// The caller records a failure for a non-nil err and removes s when done.
func (q *quicStreams) recv(s *quicSlot, now time.Time, p []byte, fin bool) (done bool, err error) {
	if len(p) > 0 {
		q.rec.BytesIn(now, len(p))
		if s.got == 0 {
			q.rec.FirstByte(s.start, now)
		}
		if q.echo && (len(p) > len(q.req)-s.got || !bytes.Equal(p, q.req[s.got:s.got+len(p)])) {
			return true, ErrEchoMismatch
		}
		s.got += len(p)
	}
	if !fin {
		return false, nil
	}
	if q.echo && s.got != len(q.req) {
		return true, ErrEchoShort
	}
	q.rec.ResponseBytes(s.start, now, 0, s.got)
	q.rec.Done(s.start, now, 0)
	if q.rec.counts(s.start) && !q.rec.late(now) {
		q.ok++
		q.last = now
	}
	return true, nil
}

// oldest returns the start of the oldest request in flight.
func (q *quicStreams) oldest() (time.Time, bool) {
	var t time.Time
	for i := range q.slots {
		if s := &q.slots[i]; s.used && (t.IsZero() || s.start.Before(t)) {
			t = s.start
		}
	}
	return t, !t.IsZero()
}

// failAll ends every request in flight with why.
func (q *quicStreams) failAll(now time.Time, why Failure) {
	for i := range q.slots {
		if s := &q.slots[i]; s.used {
			q.rec.Failed(s.start, now, why)
			q.remove(s)
		}
	}
}
