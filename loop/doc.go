// Package loop is ngloop's engine: TCP connections on gnet event loops,
// with pooled output rings flushed by writev, EAGAIN→ErrWouldBlock
// backpressure, a write-readiness watcher on raw epoll, per-loop timers and
// graceful shutdown. It is protocol-agnostic; the HTTP/2 and QUIC glue
// build on it.
//
// # Lifecycle
//
//	e, _ := loop.NewEngine(loop.Options{Loops: 4})
//	ln, _ := e.Listen("tcp://127.0.0.1:0", handler) // any number, each with its own Handler
//	_ = e.Start()                                   // accepts on ln.Addr()
//	_ = e.Dial(ctx, "10.0.0.1:80", clientHandler, userCtx) // client conns on the same loops
//	...
//	_ = e.Stop(ctx) // OnShutdown to every conn, wait until they close or ctx ends
//
// An engine without listeners runs client loops only (for a load
// generator). Options document every knob and its default.
//
// # Threading
//
// Each connection lives on one loop goroutine. Its Handler methods, the
// callbacks of its timers and functions passed to Execute all run there,
// one at a time, so per-connection state needs no locks. Conn and Timer
// methods must be called on that goroutine; Conn.Execute and Loop.Execute
// are the doors in from other goroutines (a worker pool, another loop).
//
// # Reading
//
// OnData gets the bytes received so far, straight from the loop's read
// buffer when nothing is left over (no copy); they are valid during the
// call. The handler returns how many it consumed and sees the rest again,
// with new bytes, next time. Unconsumed input is bounded by
// Options.MaxInputBuffered. PauseRead/ResumeRead stop and restart reading
// from the socket (gnet v2.10 has no such call; the engine edits gnet's
// epoll registration, see gnetpoll.go).
//
// # Writing and backpressure
//
// Conn.Write copies into the connection's output ring, taken from the
// loop's buffers.LocalPool when there is something to send and returned
// when it drains. Writes made during one event are flushed together when
// the event ends: one writev in the common case. When the socket returns
// EAGAIN the fd is armed with EPOLLOUT|EPOLLONESHOT in a private epoll set
// watched by one goroutine per engine, which wakes the connection through
// gnet's Conn.Wake when the socket drains. Pending output never passes
// Options.HighWater (default 256 KiB): a write that would cross it takes
// what fits and returns ErrWouldBlock, and once output falls to
// Options.LowWater the handler gets OnWritable. If OnData leaves input
// unconsumed after a write returned ErrWouldBlock, reading pauses until
// OnWritable, so a peer that does not read cannot make the server buffer
// without bound. gnet's own output buffer is never used.
//
// # Layers
//
// Conn.SetLayer puts a transform between a handler's writes and the
// socket (loop/tlsconn encrypts with it): Write hands plaintext to
// Layer.Seal, sized by Layer.Fits so the transformed output stays under
// HighWater, the layer writes the result with WriteRaw, Layer.Flush runs
// at the end of each event before the socket write, and Layer.Closing
// before a graceful close. The handler's code does not change.
//
// # Timers
//
// A Timer is a value embedded in the user's struct, bound once (Timer.Init
// with a callback, or Conn.InitTimer to get Handler.OnTimer) and then
// Reset and Stopped freely: each loop keeps its timers in a 4-ary heap, so
// neither allocates or starts a goroutine. One runtime timer per loop is
// armed for the earliest deadline and posts a timer run to the loop; a
// timer fires in the first run that starts at or after its deadline, in
// deadline order (ties in arming order). Deadlines are on the Now clock
// (monotonic nanoseconds).
//
// # Closing
//
// Close flushes, then closes (dropping output still blocked after
// Options.CloseLinger); Abort closes at once; CloseWrite half-closes after
// the flush. OnClose runs exactly once per connection. gnet v2.10 closes a
// connection as soon as the peer's FIN is read, so a peer's half-close
// ends the connection; output still queued then gets one last
// non-blocking writev.
//
// # UDP
//
// Engine.ListenUDP serves a UDP address with one SO_REUSEPORT socket per
// loop, each driven by its own goroutine on raw epoll (gnet reads UDP one
// recvfrom at a time, without control messages). Datagrams arrive in
// batches through recvmmsg with their ECN codepoint and destination
// address (IP_RECVTOS / IPV6_RECVTCLASS, IP_PKTINFO / IPV6_RECVPKTINFO)
// and reach UDPHandler.OnDatagram; sends (WriteTo, or NextBuf and Commit
// to write in place) queue and leave together through sendmmsg when the
// event ends, each with its own ECN codepoint. A full queue returns
// ErrWouldBlock and OnWritable follows. UDPConfig.Route lets a protocol
// move a datagram to the socket that owns its connection (QUIC routes by
// connection ID). Each socket's Loop runs Timers and Execute like a TCP
// loop, its earliest timer deadline being the epoll_wait timeout.
//
// Where the kernel has UDP_SEGMENT (GSO), a run of queued datagrams to
// one peer with one size (the last may be shorter) and one ECN mark goes
// as a single sendmmsg entry; a kernel that refuses it at send time
// (EIO, EINVAL, ENOPROTOOPT) turns GSO off for the socket and nothing is
// lost (UDPStats.GSOFallbacks). UDPConfig.GRO turns on UDP_GRO: coalesced
// buffers are split back into datagrams before OnDatagram.
//
// # Shutdown
//
// Stop refuses new connections (accepted ones are closed at once, Dial
// returns ErrStopped), calls OnShutdown on every connection (an HTTP/2
// session sends GOAWAY there; BaseHandler closes), waits for all of them to
// close or for ctx, then closes the rest with ErrStopped and stops the
// loops. UDP sockets get UDPHandler.OnShutdown and are waited for in the
// same way.
package loop
