package bench

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// ErrRequestTimeout is noted in a report's errors when a request had no
// complete response within Config.RequestTimeout.
var ErrRequestTimeout = errors.New("bench: request timed out")

// netEcho is the tcp-echo driver on Go's net package: one reader and one
// writer goroutine per connection, the reader owning the connection's
// echoClient and Recorder. It is the portable driver; the engine driver
// (tcpecho_loop.go) is the one that keeps up with a fast server.
type netEcho struct {
	cfg  *Config
	addr string
}

func newNetEcho(cfg *Config, t Target) (Driver, error) {
	return &netEcho{cfg: cfg, addr: t.Addr}, nil
}

func (d *netEcho) RunWorker(ctx context.Context, w *Worker) error {
	var wg sync.WaitGroup
	for _, budget := range w.Budgets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.client(ctx, w, budget)
		}()
	}
	wg.Wait()
	return nil
}

// client runs one client until its budget is spent or ctx is done. In
// duration mode a lost connection is dialed again after a pause that
// doubles up to a second; in -n mode it ends the client (its budget was
// abandoned by session).
func (d *netEcho) client(ctx context.Context, w *Worker, budget int64) {
	rec := w.NewRecorder()
	ec := newEchoClient(rec, d.cfg.Body, d.cfg.StreamsPerClient, budget)
	pacer := w.Pacer()
	pause := 50 * time.Millisecond
	for ctx.Err() == nil && !ec.finished() {
		if err := d.session(ctx, rec, ec, &pacer); err == nil || budget >= 0 {
			return
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		pause = min(2*pause, time.Second)
	}
}

// session dials once and drives the connection. It returns nil when the
// client's budget is spent, ctx.Err() when the run ended, or the error
// that ended the connection (after failing the requests it carried).
func (d *netEcho) session(ctx context.Context, rec *Recorder, ec *echoClient, pacer *Pacer) error {
	abandon := ec.budget >= 0
	dialStart := time.Now()
	dctx, cancel := context.WithTimeout(ctx, d.cfg.ConnectTimeout)
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", d.addr)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rec.ConnectFailed()
		rec.Error(err)
		ec.fail(time.Now(), Errored, abandon)
		return err
	}
	rec.ConnectDone(dialStart, time.Now())
	stop := context.AfterFunc(ctx, func() { conn.Close() })

	// The writer sends one message per token. At most StreamsPerClient
	// tokens are ever outstanding, so sending one never blocks.
	tokens := make(chan struct{}, d.cfg.StreamsPerClient)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range tokens {
			n, err := conn.Write(ec.msg)
			rec.BytesOut(time.Now(), n)
			if err != nil {
				conn.Close() // the reader sees the error
				for range tokens {
				}
				return
			}
		}
	}()
	defer func() {
		close(tokens)
		stop()
		conn.Close()
		wg.Wait()
	}()

	buf := make([]byte, 64<<10)
	for {
		now := time.Now()
		var paceAt time.Time
		for ec.canIssue() {
			if wait := pacer.Wait(now); wait > 0 {
				paceAt = now.Add(wait)
				break
			}
			ec.issue(now)
			tokens <- struct{}{}
		}
		if ec.finished() {
			return nil
		}
		deadline := paceAt
		if start, ok := ec.oldest(); ok {
			if dl := start.Add(d.cfg.RequestTimeout); deadline.IsZero() || dl.Before(deadline) {
				deadline = dl
			}
		}
		_ = conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		now = time.Now()
		if n > 0 {
			if perr := ec.recv(now, buf[:n]); perr != nil {
				rec.Error(perr)
				ec.fail(now, Errored, abandon)
				return perr
			}
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if start, ok := ec.oldest(); ok && now.Sub(start) >= d.cfg.RequestTimeout {
				rec.Error(ErrRequestTimeout)
				ec.fail(now, TimedOut, abandon)
				return ErrRequestTimeout
			}
			continue // a pacing wake-up
		}
		rec.Error(err)
		ec.fail(now, Errored, abandon)
		return err
	}
}
