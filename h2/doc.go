// Package h2 is an HTTP/2 session (RFC 9113) with nghttp2's semantics,
// sans-IO and allocation-free in steady state.
//
// A Session never touches a socket, a clock or a goroutine. The owner (an
// event loop, a test, a fuzzer) feeds received bytes to MemRecv, which
// parses frames and calls Callbacks (OnBeginHeaders, OnHeader,
// OnDataChunkRecv, OnFrameRecv, OnStreamClose, ...). The application
// answers with Submit functions (SubmitRequest, SubmitResponse,
// SubmitTrailer, SubmitGoaway, ...), which only queue frames; Send then
// writes them through Callbacks.Send in the order of nghttp2_session_send
// (see Send for the ten steps), or MemSend hands them out one by one.
// Time comes in through HandleExpiry (SETTINGS timeout, reset-rate token
// refill).
//
// # Lifecycle
//
//	s, _ := h2.NewServerSession(&cb, nil) // or NewClientSession
//	for s.WantRead() || s.WantWrite() {
//		n, err := s.MemRecv(received)     // *StreamError: not fatal
//		if h2.IsFatal(err) { ... }         // *ConnError: GOAWAY is queued
//		err = s.Send()                     // ErrWouldBlock from Callbacks.Send pauses it
//	}
//
// The session sends its SETTINGS (from Options) when created; a client
// sends the connection preface first. When both WantRead and WantWrite
// report false (after GOAWAY and the last stream, or after
// TerminateSession or a connection error), the owner closes the
// connection.
//
// # Errors
//
// Library errors are Error values with nghttp2's negative numbers
// (ErrInvalidArgument = -501, ErrWouldBlock = -504, ErrDeferred = -508,
// ErrCallbackFailure = -902, ...). A violation by the peer is answered on
// the wire with the RFC's code and reported by MemRecv as a *ConnError
// (GOAWAY sent, session over) or a *StreamError (RST_STREAM sent, session
// goes on); both match errors.Is with the library error and the HTTP/2
// ErrorCode, and each names the rule that fired.
//
// # Limits
//
// Every resource the peer can make the session spend has a limit in
// Options with a safe default: concurrent streams, header list and block
// size, CONTINUATION frames per block, SETTINGS entries, queued answers
// (SETTINGS and PING ACK floods), stream resets (rapid reset,
// CVE-2023-44487), empty frames, and the application's own outbound
// queue.
//
// # Memory
//
// Streams and queued frames are pooled, buffers keep their capacity, and
// frames passed to callbacks are owned by the session and valid only
// during the callback. A warm session answering requests allocates
// nothing; BenchmarkSessionGetRoundTrip and
// TestSessionSteadyStateAllocatesNothing prove it.
package h2
