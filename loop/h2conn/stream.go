package h2conn

import (
	"github.com/ngloop/ngloop/buffers"
	"github.com/ngloop/ngloop/h2"
)

// Stream is one request on a server connection and its response. The
// connection owns it: streams are pooled and reused, so a Stream must not
// be used after Handler.OnClose returns (the net/http adapter copies what
// it needs). All methods run on the connection's loop goroutine.
type Stream struct {
	sc  *ServerConn
	id  int32
	idx int    // position in ServerConn.active
	gen uint32 // bumped on reuse; lets posted work detect a recycled stream

	// Request fields; pseudo-headers are kept in their own slots.
	f         fieldSet
	method    fieldRef
	path      fieldRef
	scheme    fieldRef
	authority fieldRef
	protocol  fieldRef

	flags     streamFlags
	bodyRecv  int64 // request body octets received
	held      int64 // received octets not yet credited back (ConsumeAsWritten)
	bodySent  int64 // response body octets handed to the session
	body      []byte
	bodyOff   int
	out       *buffers.Ring // streamed response body
	trailers  []h2.NV
	trArena   []byte
	userValue any
}

type streamFlags uint16

const (
	sfDelivered streamFlags = 1 << iota // OnRequest ran: OnClose is owed
	sfEndRecv                           // the request ended (OnEnd ran)
	sfResponded                         // response HEADERS submitted
	sfStreaming                         // body comes from Write/End
	sfEnded                             // End called: no more Write
	sfDeferred                          // the provider returned ErrDeferred
	sfHold                              // ConsumeAsWritten: credit as the response goes out
	sfWantWrite                         // Write returned ErrWouldBlock: OnWritable owed
	sfTrailers                          // trailers set: the body ends without END_STREAM
	sfClosed                            // the session closed the stream
	sfUpgrade                           // stream 1 of an HTTP/1.1 upgrade
	sfManual                            // ConsumeManually: credit only through Consume
)

// ID returns the HTTP/2 stream identifier.
func (st *Stream) ID() int32 { return st.id }

// Conn returns the connection the stream belongs to.
func (st *Stream) Conn() *ServerConn { return st.sc }

// Value returns the value set with SetValue.
func (st *Stream) Value() any { return st.userValue }

// SetValue attaches an application value to the stream until it closes.
func (st *Stream) SetValue(v any) { st.userValue = v }

// Method returns the :method pseudo-header. Like every slice returned by
// Stream, it is valid until OnClose returns.
func (st *Stream) Method() []byte { return st.f.value(st.method) }

// Path returns the :path pseudo-header.
func (st *Stream) Path() []byte { return st.f.value(st.path) }

// Scheme returns the :scheme pseudo-header.
func (st *Stream) Scheme() []byte { return st.f.value(st.scheme) }

// Authority returns the :authority pseudo-header (or the Host header of
// an upgraded HTTP/1.1 request).
func (st *Stream) Authority() []byte { return st.f.value(st.authority) }

// Protocol returns the :protocol pseudo-header of an extended CONNECT
// (RFC 8441), or nil.
func (st *Stream) Protocol() []byte { return st.f.value(st.protocol) }

// Header returns the value of the first request header field named name
// (lower case), or nil.
func (st *Stream) Header(name string) []byte { return st.f.header(name) }

// Trailer returns the value of the first request trailer field named
// name, or nil.
func (st *Stream) Trailer(name string) []byte { return st.f.trailer(name) }

// NumHeaders returns the number of regular request header fields.
func (st *Stream) NumHeaders() int { return st.f.trailerAt }

// HeaderAt returns the i-th regular request header field.
func (st *Stream) HeaderAt(i int) (name, value []byte) { return st.f.at(i) }

// NumTrailers returns the number of request trailer fields.
func (st *Stream) NumTrailers() int { return len(st.f.refs) - st.f.trailerAt }

// TrailerAt returns the i-th request trailer field.
func (st *Stream) TrailerAt(i int) (name, value []byte) { return st.f.at(st.f.trailerAt + i) }

// BodyReceived returns the request body octets received so far.
func (st *Stream) BodyReceived() int64 { return st.bodyRecv }

// RequestEnded reports whether the whole request (body and trailers) has
// arrived.
func (st *Stream) RequestEnded() bool { return st.flags&sfEndRecv != 0 }

// addField records a received field; pseudo-headers go to their slots.
func (st *Stream) addField(name, value []byte, trailer bool) {
	if len(name) > 0 && name[0] == ':' && !trailer {
		ref := st.f.store(name, value)
		switch string(name) {
		case ":method":
			st.method = ref
		case ":path":
			st.path = ref
		case ":scheme":
			st.scheme = ref
		case ":authority":
			st.authority = ref
		case ":protocol":
			st.protocol = ref
		}
		return
	}
	st.f.add(name, value, trailer)
}

// reset clears the stream for reuse, keeping its buffers' capacity.
func (st *Stream) reset() {
	st.id = 0
	st.gen++
	st.f.reset()
	st.method, st.path, st.scheme, st.authority, st.protocol = fieldRef{}, fieldRef{}, fieldRef{}, fieldRef{}, fieldRef{}
	st.flags = 0
	st.bodyRecv, st.held, st.bodySent = 0, 0, 0
	st.body, st.bodyOff = nil, 0
	st.trailers = st.trailers[:0]
	st.trArena = st.trArena[:0]
	st.userValue = nil
}
