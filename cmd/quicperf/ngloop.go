package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/quicconn"
	"github.com/ngloop/ngloop/quic"
)

// perfServer answers "n\n" on a stream with n bytes.
type perfServer struct {
	quicconn.BaseHandler
	head []byte
	left int64
	id   int64
}

func (s *perfServer) OnStreamData(c *quicconn.Conn, id int64, data []byte, fin bool) {
	s.head = append(s.head, data...)
	if !fin {
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(s.head)), 10, 64)
	if err != nil {
		c.Close(1, "bad request")
		return
	}
	s.id, s.left = id, n
	s.pump(c)
}

func (s *perfServer) OnStreamWritable(c *quicconn.Conn, id int64) { s.pump(c) }

// pump writes until the stream's queue is full (OnStreamWritable resumes).
func (s *perfServer) pump(c *quicconn.Conn) {
	for s.left > 0 {
		m := min(int64(len(payload)), s.left)
		k, err := c.Write(s.id, payload[:m], m == s.left)
		s.left -= int64(k)
		if err != nil {
			return
		}
	}
}

// perfClient counts the bytes of the response.
type perfClient struct {
	quicconn.BaseHandler
	got  int64
	done chan error
}

func (h *perfClient) OnStreamData(c *quicconn.Conn, id int64, data []byte, fin bool) {
	h.got += int64(len(data))
	if fin {
		h.done <- nil
	}
}

func (h *perfClient) OnClose(c *quicconn.Conn, e *quic.CCErr) {
	select {
	case h.done <- fmt.Errorf("connection closed: %+v", e):
	default:
	}
}

func ngloopSettings(cc string, burst int, noECN bool) quic.Settings {
	s := quic.Settings{MaxTxUDPPayloadSize: 1452, MaxStreamWindow: 16 << 20, MaxWindow: 32 << 20,
		PacingBurst: burst, DisableECN: noECN}
	if cc == "cubic" {
		s.CongestionControl = quic.CCCubic
	}
	return s
}

func ngloopParams() quic.TransportParams {
	p := quic.DefaultTransportParams()
	p.InitialMaxData = 16 << 20
	p.InitialMaxStreamDataBidiLocal = 8 << 20
	p.InitialMaxStreamDataBidiRemote = 8 << 20
	return p
}

// runNgloop: loop/quicconn server and client, each on its own engine
// with one loop (two goroutines, as quic-go's server and client).
func runNgloop(n int64, settings quic.Settings) (result, error) {
	se, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		return result{}, err
	}
	ln, err := quicconn.Listen(se, "127.0.0.1:0", &quicconn.Config{TLS: serverTLS(),
		Handler: &perfServer{}, Settings: settings, Params: ngloopParams()})
	if err != nil {
		return result{}, err
	}
	ce, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		return result{}, err
	}
	cl, err := quicconn.NewClient(ce, "127.0.0.1:0", &quicconn.Config{TLS: clientTLS(),
		Settings: settings, Params: ngloopParams()})
	if err != nil {
		return result{}, err
	}
	if err := se.Start(); err != nil {
		return result{}, err
	}
	if err := ce.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ce.Stop(ctx)
		se.Stop(ctx)
	}()
	h := &perfClient{done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cpu0, t0 := selfCPU(), time.Now()
	c, err := cl.Dial(ctx, ln.Addr().String(), h, nil)
	if err != nil {
		return result{}, err
	}
	req := []byte(strconv.FormatInt(n, 10) + "\n")
	if err := c.Execute(func() {
		id, err := c.OpenStream()
		if err == nil {
			_, err = c.Write(id, req, true)
		}
		if err != nil {
			h.done <- err
		}
	}); err != nil {
		return result{}, err
	}
	select {
	case err = <-h.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	wall, cpu := time.Since(t0), selfCPU()-cpu0
	if err != nil {
		return result{}, err
	}
	type snap struct {
		got  int64
		info quic.ConnInfo
	}
	ch := make(chan snap, 1)
	if err := c.Execute(func() { ch <- snap{h.got, c.Quic().Info()} }); err != nil {
		return result{}, err
	}
	sn := <-ch
	if sn.got != n {
		return result{}, errors.New("short transfer")
	}
	i := sn.info
	note := fmt.Sprintf("client: ECN %s, srtt %v, %d packets received", ecnName(i.ECN), time.Duration(i.SmoothedRTT), i.PacketsReceived)
	return result{impl: "ngloop", bytes: n, wall: wall, cpu: cpu, note: note}, nil
}

func ecnName(s quic.ECNState) string {
	switch s {
	case quic.ECNStateTesting:
		return "testing"
	case quic.ECNStateUnknown:
		return "unknown"
	case quic.ECNStateCapable:
		return "capable"
	}
	return "failed"
}
