package h2conn

import "github.com/ngloop/ngloop/h2"

// Handler serves requests on the loop. Its methods run on the
// connection's loop goroutine and must not block: a handler that needs to
// wait hands the work to another goroutine and comes back with
// ServerConn.Execute (NetHTTP does this for a standard http.Handler).
// Slices passed in are valid only during the call.
type Handler interface {
	// OnRequest runs when a request's header section is complete. The
	// handler may respond at once (Stream.Respond, RespondStream) or
	// later.
	OnRequest(st *Stream)
	// OnBody runs for each chunk of request body. The chunk is credited
	// back to the peer when OnBody returns, unless the handler called
	// Stream.ConsumeAsWritten.
	OnBody(st *Stream, data []byte)
	// OnEnd runs when the request is complete: END_STREAM arrived, after
	// the body and the trailers (Stream.Trailer).
	OnEnd(st *Stream)
	// OnWritable runs when a streamed response's buffer has room again
	// after Write returned ErrWouldBlock.
	OnWritable(st *Stream)
	// OnClose runs once when the stream closes; code is the RST_STREAM
	// code if it was reset, h2.NoError otherwise. The Stream is reused
	// after it returns.
	OnClose(st *Stream, code h2.ErrorCode)
}

// BaseHandler implements Handler with methods that do nothing; embed it
// and override what you need. Its OnRequest answers 404.
type BaseHandler struct{}

// OnRequest answers 404 with no body.
func (BaseHandler) OnRequest(st *Stream) { _ = st.Respond(404, nil, nil) }

// OnBody drops the chunk.
func (BaseHandler) OnBody(*Stream, []byte) {}

// OnEnd does nothing.
func (BaseHandler) OnEnd(*Stream) {}

// OnWritable does nothing.
func (BaseHandler) OnWritable(*Stream) {}

// OnClose does nothing.
func (BaseHandler) OnClose(*Stream, h2.ErrorCode) {}
