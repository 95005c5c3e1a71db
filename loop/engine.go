package loop

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/ngloop/ngloop/buffers"
)

// Engine runs TCP connections on a set of event loops. Make one with
// NewEngine, add listeners with Listen, Start it, Dial from it, and Stop
// it. An engine is started and stopped once.
type Engine struct {
	opts Options

	mu        sync.Mutex
	listeners []*Listener
	loops     map[gnet.EventLoop]*Loop
	loopList  []*Loop
	started   bool

	gEng      gnet.Engine  // server mode: from OnBoot
	client    *gnet.Client // client mode: no listeners
	booted    chan struct{}
	bootOnce  sync.Once
	runDone   chan error
	dialMu    sync.Mutex
	dialing   sync.WaitGroup
	dialCtx   context.Context
	dialStop  context.CancelFunc
	watch     *watcher
	gen       atomic.Uint32
	live      atomic.Int64
	stopping  atomic.Bool
	forcing   atomic.Bool
	drained   chan struct{}
	drainOnce sync.Once
	stopOnce  sync.Once
	stopErr   error
	stopped   atomic.Bool

	udp     []*UDPListener
	udpPool buffers.SharedPool // copies of datagrams routed between UDP sockets
}

// NewEngine returns an engine with opts (zero fields take their defaults).
//
// Returns the engine; the error is reserved for option validation and is
// nil today.
func NewEngine(opts Options) (*Engine, error) {
	dialCtx, dialStop := context.WithCancel(bgCtx)
	return &Engine{
		dialCtx:  dialCtx,
		dialStop: dialStop,
		opts:     opts.withDefaults(),
		loops:    make(map[gnet.EventLoop]*Loop),
		booted:   make(chan struct{}),
		runDone:  make(chan error, 1),
		drained:  make(chan struct{}),
	}, nil
}

// Options returns the engine's options with defaults filled in.
func (e *Engine) Options() Options { return e.opts }

// Listen adds a listening address served by h. addr is "host:port" or
// "tcp://host:port" (tcp4, tcp6 too); port 0 picks a free port, which
// Listener.Addr reports. Call before Start.
//
// Returns the listener, or one of: ErrStarted — the engine already
// started; an address error.
func (e *Engine) Listen(addr string, h Handler) (*Listener, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return nil, ErrStarted
	}
	ln, err := newListener(addr, h)
	if err != nil {
		return nil, err
	}
	e.listeners = append(e.listeners, ln)
	return ln, nil
}

// Listeners returns the engine's listeners.
func (e *Engine) Listeners() []*Listener {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Listener(nil), e.listeners...)
}

// Start starts the loops and, if there are listeners, begins accepting.
// An engine without listeners runs client loops for Dial.
//
// Returns nil on success, or ErrStarted, or the error that stopped the
// listeners from binding.
func (e *Engine) Start() error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return ErrStarted
	}
	e.started = true
	lns := e.listeners
	e.mu.Unlock()
	w, err := newWatcher()
	if err != nil {
		for _, ln := range lns {
			ln.release()
		}
		return err
	}
	e.watch = w
	h := &gnetHandler{e: e}
	if len(lns) == 0 {
		cli, err := gnet.NewClient(h, e.opts.gnetOptions(false)...)
		if err == nil {
			err = cli.Start()
		}
		if err != nil {
			e.watch.close()
			return err
		}
		e.client = cli
		e.startUDP()
		return nil
	}
	addrs := make([]string, len(lns))
	for i, ln := range lns {
		addrs[i] = ln.protoAddr()
	}
	go func() { e.runDone <- gnet.Rotate(h, addrs, e.opts.gnetOptions(true)...) }()
	select {
	case <-e.booted:
	case err = <-e.runDone:
		if err == nil {
			err = errors.New("loop: gnet engine exited during start")
		}
	}
	for _, ln := range lns {
		ln.release()
	}
	if err != nil {
		e.watch.close()
		return fmt.Errorf("loop: start: %w", err)
	}
	e.startUDP()
	return nil
}

func (e *Engine) startUDP() {
	for _, ul := range e.udp {
		for _, s := range ul.sockets {
			s.start()
		}
	}
}

// stopUDP gives every UDP socket OnShutdown, waits for them to close
// until ctx ends, then stops the rest.
func (e *Engine) stopUDP(ctx context.Context) error {
	for _, ul := range e.udp {
		for _, s := range ul.sockets {
			s.post(func() { s.ul.h.OnShutdown(s) })
		}
	}
	done := make(chan struct{})
	go func() {
		for _, ul := range e.udp {
			ul.wg.Wait()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, ul := range e.udp {
		for _, s := range ul.sockets {
			s.stopNow.Store(true)
			s.post(nil)
		}
	}
	<-done
	return ctx.Err()
}

// loopFor returns the Loop for a gnet loop, creating it on first sight.
// gc is a connection of that loop, used to find gnet's poller.
func (e *Engine) loopFor(gc gnet.Conn) *Loop {
	el := gc.EventLoop()
	e.mu.Lock()
	defer e.mu.Unlock()
	if l := e.loops[el]; l != nil {
		return l
	}
	l := newLoop(e, el, len(e.loopList))
	l.pollFD = gnetPollFD(gc)
	if l.pollFD < 0 && e.opts.ErrorLog != nil {
		e.opts.ErrorLog("loop: gnet poller not found; reads cannot be paused")
	}
	e.loops[el] = l
	e.loopList = append(e.loopList, l)
	return l
}

// Loops returns the loops that have served a connection so far.
func (e *Engine) Loops() []*Loop {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Loop(nil), e.loopList...)
}

// Conns returns the number of open connections.
func (e *Engine) Conns() int { return int(e.live.Load()) }

// Stop shuts the engine down: new connections are refused (accepted ones
// are closed at once, Dial returns ErrStopped), every open connection gets
// OnShutdown, and Stop waits for them to close until ctx is done; the rest
// are then closed with ErrStopped. The loops and the watcher are gone when
// Stop returns.
//
// Stop waits for the loops, so it must not be called from a loop goroutine
// (a handler, timer or Execute function); start a goroutine for it there.
//
// Returns nil if every connection closed in time, ctx.Err() if some had to
// be closed, or ErrNotStarted.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	started := e.started
	if !started {
		// Nothing runs yet; give back the ports Listen reserved.
		for _, ln := range e.listeners {
			ln.release()
		}
		for _, ul := range e.udp {
			for _, s := range ul.sockets {
				s.closeFDs()
			}
		}
	}
	e.mu.Unlock()
	if !started {
		return ErrNotStarted
	}
	e.stopOnce.Do(func() { e.stopErr = e.stop(ctx) })
	return e.stopErr
}

func (e *Engine) stop(ctx context.Context) error {
	e.stopping.Store(true)
	e.dialStop()
	e.dialing.Wait()
	for _, l := range e.Loops() {
		l := l
		_ = l.el.Execute(bgCtx, gnet.RunnableFunc(func(context.Context) error {
			l.shutdownConns()
			return nil
		}))
	}
	var err error
	if e.live.Load() > 0 {
		select {
		case <-e.drained:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if uerr := e.stopUDP(ctx); err == nil {
		err = uerr
	}
	e.forcing.Store(true)
	if e.client != nil {
		_ = e.client.Stop()
	} else {
		cancelled, cancel := context.WithCancel(bgCtx)
		cancel()
		_ = e.gEng.Stop(cancelled) // begins gnet's shutdown; runDone tells when it ends
		<-e.runDone
	}
	for _, l := range e.Loops() {
		if l.waker != nil {
			l.waker.Stop()
		}
	}
	e.watch.close()
	e.stopped.Store(true)
	return err
}

func (e *Engine) connClosed() {
	if e.live.Add(-1) == 0 && e.stopping.Load() {
		e.drainOnce.Do(func() { close(e.drained) })
	}
}
