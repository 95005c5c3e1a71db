package loop

import "errors"

// Errors returned by the engine. Compare with errors.Is.
var (
	// ErrWouldBlock is returned by Conn.Write and Conn.Writev when the
	// connection's pending output reached Options.HighWater. The bytes
	// counted in the returned n were taken; the rest were not. The handler
	// gets OnWritable once the output drains below Options.LowWater. The
	// HTTP/2 glue maps it to h2.ErrWouldBlock.
	ErrWouldBlock = errors.New("loop: output at high-water mark, would block")

	// ErrClosed is returned by writes and Execute on a connection that is
	// closing or closed.
	ErrClosed = errors.New("loop: connection closed")

	// ErrStopped is returned by Dial and Execute once Stop has begun, and is
	// the OnClose error of connections still open when Stop's deadline
	// passes.
	ErrStopped = errors.New("loop: engine stopped")

	// ErrNotStarted is returned by Dial and Execute before Start.
	ErrNotStarted = errors.New("loop: engine not started")

	// ErrStarted is returned by Listen after Start.
	ErrStarted = errors.New("loop: engine already started")

	// ErrIdleTimeout is the OnClose error of a connection that received
	// nothing for Options.IdleTimeout.
	ErrIdleTimeout = errors.New("loop: idle timeout")

	// ErrLingerTimeout is the OnClose error of a connection closed with
	// Close whose pending output did not drain within Options.CloseLinger.
	ErrLingerTimeout = errors.New("loop: close linger timeout, pending output dropped")

	// ErrInputOverflow is the OnClose error of a connection whose handler
	// left more than Options.MaxInputBuffered bytes unconsumed.
	ErrInputOverflow = errors.New("loop: unconsumed input exceeds MaxInputBuffered")

	// ErrNotTCPLoop is returned by Loop.Dial on a UDP socket's loop.
	ErrNotTCPLoop = errors.New("loop: not a TCP loop")

	// ErrUnsafeBalancing is returned by Dial when the engine listens without
	// SO_REUSEPORT and balances RoundRobin: gnet's round-robin counter is
	// not safe to share between its acceptor and a dialing goroutine.
	ErrUnsafeBalancing = errors.New("loop: Dial needs LeastConnections or SourceAddrHash balancing when NoReusePort is set")
)
