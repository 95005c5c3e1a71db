package h2conn

import (
	"errors"
	"strconv"

	"github.com/ngloop/ngloop/h2"
)

// Errors of the response API.
var (
	// ErrResponded is returned when a response was already submitted on
	// the stream.
	ErrResponded = errors.New("h2conn: response already submitted")
	// ErrNotStreaming is returned by Write and End on a stream whose
	// response was not started with RespondStream, or after End.
	ErrNotStreaming = errors.New("h2conn: no streamed response open on the stream")
	// ErrStreamClosed is returned by response calls on a closed stream.
	ErrStreamClosed = errors.New("h2conn: stream closed")
	// ErrWouldBlock is returned by Write when the stream's buffer
	// (ServerOptions.StreamBufferSize) is full; Handler.OnWritable follows
	// once it drained.
	ErrWouldBlock = errors.New("h2conn: stream buffer full, would block")
)

// Respond submits a response with a body known in full: status, the
// fields in hdr (lower-case names; content-length is added), and body,
// which is not copied: it must stay unchanged until OnClose. A nil or
// empty body sends HEADERS with END_STREAM. Trailers set before with
// SetTrailers follow the body.
//
// Returns nil on success, or one of: ErrResponded; ErrStreamClosed; an
// h2 error from SubmitResponse (h2.ErrNoMem — the outbound queue is full).
func (st *Stream) Respond(status int, hdr []h2.NV, body []byte) error {
	if err := st.canRespond(); err != nil {
		return err
	}
	st.body, st.bodyOff = body, 0
	withBody := len(body) > 0 || st.flags&sfTrailers != 0
	return st.submit(status, hdr, int64(len(body)), withBody)
}

// RespondStream submits response headers and opens a streamed body: the
// handler writes it with Write, and ends it with End, whenever it likes
// (from OnBody, OnWritable, a timer, or work posted with Execute). The
// stream's buffer is taken from the loop's pool by the first Write, within
// the connection's ServerOptions.MaxConnBuffer.
//
// Returns nil on success, or the errors of Respond.
func (st *Stream) RespondStream(status int, hdr []h2.NV) error {
	if err := st.canRespond(); err != nil {
		return err
	}
	st.flags |= sfStreaming
	return st.submit(status, hdr, -1, true)
}

func (st *Stream) canRespond() error {
	switch {
	case st.flags&sfClosed != 0:
		return ErrStreamClosed
	case st.flags&sfResponded != 0:
		return ErrResponded
	}
	return nil
}

// statusText holds the :status values of common codes so building the
// response allocates nothing.
var statusText = func() (t [600][]byte) {
	for i := 100; i < 600; i++ {
		t[i] = []byte(strconv.Itoa(i))
	}
	return
}()

var (
	nameStatus        = []byte(":status")
	nameContentLength = []byte("content-length")
)

func (st *Stream) submit(status int, hdr []h2.NV, length int64, withBody bool) error {
	sc := st.sc
	if status < 100 || status > 599 {
		return h2.ErrInvalidArgument
	}
	nva := append(sc.nva[:0], h2.NV{Name: nameStatus, Value: statusText[status], Flags: h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue})
	nva = append(nva, hdr...)
	if length >= 0 && status >= 200 && status != 204 && status != 304 {
		sc.num = strconv.AppendInt(sc.num[:0], length, 10)
		nva = append(nva, h2.NV{Name: nameContentLength, Value: sc.num, Flags: h2.NVFlagNoCopyName})
	}
	sc.nva = nva[:0]
	var dp *h2.DataProvider
	if withBody {
		dp = &sc.provider
	}
	if err := sc.s.SubmitResponse(st.id, nva, dp); err != nil {
		return err
	}
	st.flags |= sfResponded
	sc.wantSend()
	return nil
}

// Write appends p to a streamed response body. It copies what fits in
// the stream's buffer and returns how much that was.
//
// Returns len(p), nil on success, or one of: n < len(p) and ErrWouldBlock —
// the buffer is full, Handler.OnWritable follows when it drained;
// ErrNotStreaming; ErrStreamClosed.
func (st *Stream) Write(p []byte) (int, error) {
	if st.flags&sfClosed != 0 {
		return 0, ErrStreamClosed
	}
	if st.flags&(sfStreaming|sfEnded) != sfStreaming {
		return 0, ErrNotStreaming
	}
	if st.out == nil && len(p) > 0 && !st.sc.takeRing(st) {
		// The connection's buffers are all taken: OnWritable comes when
		// another stream gives one back.
		st.flags |= sfWantWrite
		return 0, ErrWouldBlock
	}
	var n int
	if st.out != nil {
		n = st.out.Write(p)
	}
	if n > 0 {
		st.resume()
	}
	if n < len(p) {
		st.flags |= sfWantWrite
		return n, ErrWouldBlock
	}
	return n, nil
}

// End ends a streamed response body; trailers set with SetTrailers
// follow it. Returns nil on success, or ErrNotStreaming or
// ErrStreamClosed.
func (st *Stream) End() error {
	if st.flags&sfClosed != 0 {
		return ErrStreamClosed
	}
	if st.flags&(sfStreaming|sfEnded) != sfStreaming {
		return ErrNotStreaming
	}
	st.flags |= sfEnded
	st.resume()
	return nil
}

// Buffered returns the octets written with Write that the session has
// not taken yet.
func (st *Stream) Buffered() int {
	if st.out == nil {
		return 0
	}
	return st.out.Len()
}

// BodySent returns the response body octets handed to the session.
func (st *Stream) BodySent() int64 { return st.bodySent }

func (st *Stream) resume() {
	if st.flags&sfDeferred != 0 {
		st.flags &^= sfDeferred
		_ = st.sc.s.ResumeData(st.id)
	}
	st.sc.wantSend()
}

// SetTrailers sets trailer fields sent after the response body (names
// in lower case; names and values are copied). Call it before the body ends: before Respond,
// or before End of a streamed body. The body then ends without
// END_STREAM and the trailers carry it (RFC 9113, Section 8.1).
func (st *Stream) SetTrailers(nv []h2.NV) {
	st.trailers, st.trArena = copyFields(st.trailers, st.trArena, nv)
	st.flags |= sfTrailers
}

// ConsumeAsWritten ties the request body's flow control to the response:
// received DATA is credited back to the peer (WINDOW_UPDATE) only as
// octets of the streamed response leave the stream's buffer, instead of
// when OnBody returns. An echo then holds at most one window of the
// peer's data, however slowly the peer reads (RFC 9113, Section 5.2).
func (st *Stream) ConsumeAsWritten() { st.flags |= sfHold }

// ConsumeManually holds received DATA until the handler credits it back
// with Consume (or the stream closes), whatever the response does. A
// handler that hands the body to a slower reader (a worker, a proxied
// upstream) uses it, so the peer can never send more than one window
// beyond what was actually read, even while a response streams out.
func (st *Stream) ConsumeManually() { st.flags |= sfHold | sfManual }

// Consume credits n processed request body octets back to the peer, for
// handlers that called ConsumeAsWritten or ConsumeManually and account
// themselves.
// Returns nil or an h2 error from Session.Consume.
func (st *Stream) Consume(n int) error {
	if n <= 0 || st.held == 0 {
		return nil
	}
	n = int(min(int64(n), st.held))
	st.held -= int64(n)
	st.sc.wantSend()
	return st.sc.s.Consume(st.id, n)
}

// Reset resets the stream with RST_STREAM code (h2.Cancel, for
// example). Returns nil or an h2 error from SubmitRstStream.
func (st *Stream) Reset(code h2.ErrorCode) error {
	if st.flags&sfClosed != 0 {
		return ErrStreamClosed
	}
	st.sc.wantSend()
	return st.sc.s.SubmitRstStream(h2.FlagNone, st.id, code)
}

// readBody is every stream's h2.DataProvider: it copies from the fixed
// body or the stream's buffer.
func (sc *ServerConn) readBody(s *h2.Session, id int32, buf []byte, flags *h2.DataFlags) (int, error) {
	st, _ := s.GetStreamUserData(id).(*Stream)
	if st == nil {
		*flags |= h2.DataFlagEOF
		return 0, nil
	}
	var n int
	eof := false
	if st.flags&sfStreaming == 0 {
		n = copy(buf, st.body[st.bodyOff:])
		st.bodyOff += n
		eof = st.bodyOff == len(st.body)
	} else {
		if st.out != nil {
			n = st.out.Read(buf)
		}
		if n > 0 && st.flags&(sfHold|sfManual) == sfHold && st.held > 0 {
			c := int(min(int64(n), st.held))
			st.held -= int64(c)
			if err := s.Consume(id, c); err != nil {
				return 0, err
			}
		}
		if st.out == nil || st.out.Len() == 0 {
			if len(sc.ringWait) > 0 && st.out != nil {
				// Streams wait for a buffer: an empty one goes back,
				// and this stream queues behind them for another.
				sc.giveRing(st)
				if st.flags&sfWantWrite != 0 {
					sc.queueWritable(st)
				}
			}
			if st.flags&sfEnded != 0 {
				eof = true
			} else if n == 0 {
				st.flags |= sfDeferred
				return 0, h2.ErrDeferred
			}
		}
		if st.flags&sfWantWrite != 0 && st.out != nil && st.out.Free() >= st.out.Cap()/2 {
			sc.queueWritable(st)
		}
	}
	st.bodySent += int64(n)
	if eof {
		*flags |= h2.DataFlagEOF
		if st.flags&sfTrailers != 0 {
			*flags |= h2.DataFlagNoEndStream
			if err := s.SubmitTrailer(id, st.trailers); err != nil {
				return 0, h2.ErrTemporalCallbackFailure
			}
		}
	}
	return n, nil
}
