package loop

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/panjf2000/gnet/v2"
)

// LoadBalancing chooses the event loop for a new connection (gnet's
// algorithms). With SO_REUSEPORT listeners (the default) the kernel spreads
// accepted connections over the loops and the balancer only places dialed
// connections.
type LoadBalancing int

const (
	// LeastConnections picks the loop with the fewest connections.
	LeastConnections LoadBalancing = iota
	// RoundRobin cycles through the loops.
	RoundRobin
	// SourceAddrHash hashes the peer address.
	SourceAddrHash
)

func (lb LoadBalancing) gnet() gnet.LoadBalancing {
	switch lb {
	case RoundRobin:
		return gnet.RoundRobin
	case SourceAddrHash:
		return gnet.SourceAddrHash
	default:
		return gnet.LeastConnections
	}
}

// Options configure an Engine. The zero value gives the documented
// defaults.
type Options struct {
	// Loops is the number of event loops; 0 means runtime.NumCPU().
	Loops int
	// LoadBalancing places connections on loops; see LoadBalancing.
	LoadBalancing LoadBalancing
	// NoReusePort turns off SO_REUSEPORT: one listening socket and one
	// acceptor hand connections to the loops. By default every loop owns
	// its own SO_REUSEPORT socket and the kernel spreads connections.
	NoReusePort bool
	// LockOSThread pins each loop goroutine to an OS thread.
	LockOSThread bool

	// HighWater bounds a connection's pending output in bytes: a write
	// that would go past it takes what fits and returns ErrWouldBlock.
	// Default 256 KiB.
	HighWater int
	// LowWater is the level pending output must drain to before a
	// blocked handler gets OnWritable. Default HighWater/4.
	LowWater int

	// ReadBufferCap is each loop's read buffer (bytes read per read
	// syscall). Default 64 KiB.
	ReadBufferCap int
	// MaxInputBuffered bounds input a handler leaves unconsumed while
	// reading is not paused; past it the connection closes with
	// ErrInputOverflow. Default 1 MiB.
	MaxInputBuffered int

	// TCPDelay leaves Nagle's algorithm on. By default TCP_NODELAY is set.
	TCPDelay bool
	// TCPKeepAlive sets the keep-alive period; 0 leaves it off.
	TCPKeepAlive time.Duration
	// SocketSendBuffer and SocketRecvBuffer set SO_SNDBUF and SO_RCVBUF
	// when positive.
	SocketSendBuffer, SocketRecvBuffer int

	// MaxConns bounds open TCP connections; connections accepted beyond
	// it are closed at once. It matters beyond memory: gnet v2.10 stops
	// the whole engine when accept(2) fails with EMFILE, so the default
	// keeps the engine below the process's open-file limit
	// (RLIMIT_NOFILE minus 256, at least 64).
	MaxConns int

	// IdleTimeout closes a connection (ErrIdleTimeout) that received no
	// bytes for this long; 0 disables it.
	IdleTimeout time.Duration
	// CloseLinger bounds how long Close waits for pending output to
	// drain before dropping it (ErrLingerTimeout). Default 5 s.
	CloseLinger time.Duration
	// DialTimeout bounds Dial's connect. Default 10 s.
	DialTimeout time.Duration

	// ErrorLog receives gnet's warnings and errors and the engine's own.
	// Nil discards them.
	ErrorLog func(format string, args ...any)
}

// Defaults for Options fields left zero.
const (
	DefaultHighWater        = 256 << 10
	DefaultReadBufferCap    = 64 << 10
	DefaultMaxInputBuffered = 1 << 20
	DefaultCloseLinger      = 5 * time.Second
	DefaultDialTimeout      = 10 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Loops <= 0 {
		o.Loops = runtime.NumCPU()
	}
	if o.HighWater <= 0 {
		o.HighWater = DefaultHighWater
	}
	if o.LowWater <= 0 || o.LowWater >= o.HighWater {
		o.LowWater = o.HighWater / 4
	}
	if o.ReadBufferCap <= 0 {
		o.ReadBufferCap = DefaultReadBufferCap
	}
	if o.MaxInputBuffered <= 0 {
		o.MaxInputBuffered = DefaultMaxInputBuffered
	}
	if o.CloseLinger <= 0 {
		o.CloseLinger = DefaultCloseLinger
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.MaxConns <= 0 {
		o.MaxConns = defaultMaxConns()
	}
	return o
}

func (o *Options) gnetOptions(server bool) []gnet.Option {
	opts := []gnet.Option{
		gnet.WithNumEventLoop(o.Loops),
		gnet.WithReadBufferCap(o.ReadBufferCap),
		gnet.WithLockOSThread(o.LockOSThread),
		gnet.WithLogger(gnetLogger{o.ErrorLog}),
		gnet.WithTCPKeepAlive(o.TCPKeepAlive),
		gnet.WithSocketSendBuffer(o.SocketSendBuffer),
		gnet.WithSocketRecvBuffer(o.SocketRecvBuffer),
	}
	if o.TCPDelay {
		opts = append(opts, gnet.WithTCPNoDelay(gnet.TCPDelay))
	}
	if server {
		opts = append(opts,
			gnet.WithMulticore(true),
			gnet.WithTicker(true),
			gnet.WithReusePort(!o.NoReusePort),
			gnet.WithReuseAddr(true),
			gnet.WithLoadBalancing(o.LoadBalancing.gnet()))
	}
	return opts
}

// gnetLogger forwards gnet's warnings and errors to Options.ErrorLog and
// drops its debug and info chatter.
type gnetLogger struct {
	f func(format string, args ...any)
}

func (gnetLogger) Debugf(string, ...any) {}
func (gnetLogger) Infof(string, ...any)  {}
func (l gnetLogger) Warnf(format string, args ...any) {
	if l.f != nil {
		l.f("gnet: "+format, args...)
	}
}
func (l gnetLogger) Errorf(format string, args ...any) {
	if l.f != nil {
		l.f("gnet: "+format, args...)
	}
}
func (l gnetLogger) Fatalf(format string, args ...any) {
	if l.f != nil {
		l.f("gnet: fatal: "+format, args...)
	}
}

func defaultMaxConns() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 1 << 20
	}
	return max(int(rl.Cur)-256, 64)
}
