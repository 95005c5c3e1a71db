package quic

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// quicGoServer runs a quic-go server speaking the interop app protocol
// (see ourServer). handle, when set, replaces the protocol for each
// accepted connection.
type quicGoServer struct {
	ln    *quicgo.Listener
	mu    sync.Mutex
	conns []*quicgo.Conn
}

func startQuicGoServer(t *testing.T, conf *quicgo.Config, handle func(*quicgo.Conn)) *quicGoServer {
	if conf == nil {
		conf = &quicgo.Config{}
	}
	if conf.MaxIdleTimeout == 0 {
		conf.MaxIdleTimeout = 30 * time.Second
	}
	if conf.MaxIncomingStreams == 0 {
		conf.MaxIncomingStreams = 200
	}
	ln, err := quicgo.ListenAddr("127.0.0.1:0", testServerTLS(t, interopALPN), conf)
	if err != nil {
		t.Fatalf("quic-go listen: %v", err)
	}
	s := &quicGoServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			if handle != nil {
				go handle(c)
				continue
			}
			go func() {
				for {
					st, err := c.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go serveQuicGoStream(st)
				}
			}()
		}
	}()
	return s
}

func serveQuicGoStream(st *quicgo.Stream) {
	br := bufio.NewReader(st)
	var mode [4]byte
	if _, err := io.ReadFull(br, mode[:]); err != nil {
		st.CancelWrite(1)
		return
	}
	switch string(mode[:]) {
	case "ECHO":
		io.Copy(st, br)
	case "HASH":
		h := sha256.New()
		io.Copy(h, br)
		st.Write(h.Sum(nil))
	case "GET ":
		line, _ := br.ReadString('\n')
		n, _ := strconv.Atoi(strings.TrimSpace(line))
		io.Copy(st, newBulkReader(n))
	}
	st.Close()
}

func (s *quicGoServer) addr() *net.UDPAddr { return s.ln.Addr().(*net.UDPAddr) }

// ourClient makes our client Conn towards addr.
func ourClient(t *testing.T, addr *net.UDPAddr, params TransportParams) *udpSide {
	c := ourClientConfig(t, addr, params, nil)
	c.dial(addr)
	return c
}

// ourClientConfig prepares our client without dialing yet, so callbacks
// can still be added to its Config.
func ourClientConfig(t *testing.T, addr *net.UDPAddr, params TransportParams, cb *Callbacks) *udpSide {
	cfg := &Config{TLS: testClientTLS(t, interopALPN), Params: params}
	if cb != nil {
		cfg.Callbacks = *cb
	}
	return newUDPSide(t, false, cfg)
}

// collector gathers what each stream received.
type collector struct {
	data map[int64]*bytes.Buffer
	fin  map[int64]bool
}

func collect(s *udpSide) *collector {
	col := &collector{data: map[int64]*bytes.Buffer{}, fin: map[int64]bool{}}
	s.onData = func(id int64, data []byte, fin bool) {
		b := col.data[id]
		if b == nil {
			b = &bytes.Buffer{}
			col.data[id] = b
		}
		b.Write(data)
		if fin {
			col.fin[id] = true
		}
	}
	return col
}

func TestInteropOurClientHandshake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, nil, nil)
	cli := ourClient(t, srv.addr(), DefaultTransportParams())
	col := collect(cli)
	id := int64(-1)
	err := cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && id < 0 {
			var err error
			if id, err = cli.conn.OpenBidiStream(nil); err != nil {
				t.Fatalf("OpenBidiStream: %v", err)
			}
			cli.send(id, []byte("ECHOping"), true)
		}
		return id >= 0 && col.fin[id]
	})
	if err != nil {
		t.Fatalf("our client: %v (read error %v)", err, cli.readErr)
	}
	if got := cli.conn.TLSConnectionState().NegotiatedProtocol; got != interopALPN {
		t.Errorf("ALPN %q, want %q", got, interopALPN)
	}
	if got := col.data[id].String(); got != "ping" {
		t.Errorf("echo %q, want \"ping\"", got)
	}
	if !cli.conn.handshakeConfirmed {
		t.Errorf("handshake not confirmed (no HANDSHAKE_DONE from quic-go?)")
	}
}

func TestInteropOurClientEcho100Streams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, nil, nil)
	cli := ourClient(t, srv.addr(), DefaultTransportParams())
	col := collect(cli)
	msgs := map[int64][]byte{}
	opened := false
	err := cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && !opened {
			opened = true
			for i := 0; i < 100; i++ {
				id, err := cli.conn.OpenBidiStream(nil)
				if err != nil {
					t.Fatalf("OpenBidiStream %d: %v", i, err)
				}
				msgs[id] = bytes.Repeat([]byte(fmt.Sprintf("stream %d;", i)), 2000)
				cli.send(id, append([]byte("ECHO"), msgs[id]...), true)
			}
		}
		return opened && len(col.fin) == 100
	})
	if err != nil {
		t.Fatalf("our client: %v (got %d streams finished)", err, len(col.fin))
	}
	if cli.packed == 0 {
		t.Errorf("no datagram carried several streams (WriteStreamFlagMore never returned ErrWriteMore)")
	}
	for id, m := range msgs {
		if !bytes.Equal(col.data[id].Bytes(), m) {
			t.Errorf("stream %d: echoed %d bytes, want %d identical", id, col.data[id].Len(), len(m))
		}
	}
}

func TestInteropOurClientTransfer64MiB(t *testing.T) {
	n := bulkSize()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, nil, nil)
	cli := ourClient(t, srv.addr(), DefaultTransportParams())
	want := bulkDigest(n)
	up, down := int64(-1), int64(-1)
	h := sha256.New()
	var got int
	var upDigest []byte
	cli.onData = func(id int64, data []byte, fin bool) {
		switch id {
		case down:
			h.Write(data)
			got += len(data)
		case up:
			upDigest = append(upDigest, data...)
		}
	}
	err := cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && up < 0 {
			up, _ = cli.conn.OpenBidiStream(nil)
			cli.send(up, []byte("HASH"), false)
			first := true
			gen := bulkGen(n)
			cli.sendGen(up, func() ([]byte, bool) {
				if first {
					first = false
				}
				return gen()
			})
			down, _ = cli.conn.OpenBidiStream(nil)
			cli.send(down, []byte(fmt.Sprintf("GET %d\n", n)), true)
		}
		return up >= 0 && cli.streams[up].recvFin && cli.streams[down].recvFin
	})
	if err != nil {
		t.Fatalf("our client: %v (download %d of %d bytes)", err, got, n)
	}
	if !bytes.Equal(upDigest, want[:]) {
		t.Errorf("upload of %d bytes: quic-go's digest %x, want %x", n, upDigest, want)
	}
	if got != n || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("download: %d bytes, digest match %v; want %d bytes", got, bytes.Equal(h.Sum(nil), want[:]), n)
	}
}

func TestInteropOurClientFlowControlWindowsGrow(t *testing.T) {
	n := bulkSize() / 4
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, &quicgo.Config{InitialStreamReceiveWindow: 64 << 10, InitialConnectionReceiveWindow: 128 << 10}, nil)
	params := DefaultTransportParams()
	params.InitialMaxData = 128 << 10
	params.InitialMaxStreamDataBidiLocal = 64 << 10
	cli := ourClientConfig(t, srv.addr(), params, nil)
	maxGrant := trackGrants(cli.cfg)
	cli.dial(srv.addr())
	down, up := int64(-1), int64(-1)
	got := 0
	cli.onData = func(id int64, data []byte, fin bool) {
		if id == down {
			got += len(data)
		}
	}
	err := cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && down < 0 {
			down, _ = cli.conn.OpenBidiStream(nil)
			cli.send(down, []byte(fmt.Sprintf("GET %d\n", n)), true)
			up, _ = cli.conn.OpenBidiStream(nil)
			cli.send(up, []byte("HASH"), false)
			cli.sendGen(up, bulkGen(n))
		}
		return down >= 0 && cli.streams[down].recvFin && cli.streams[up].recvFin
	})
	if err != nil || got != n {
		t.Fatalf("transfer through small windows: %v, %d of %d bytes", err, got, n)
	}
	if w := cli.conn.flow.recvWindow; w <= 128<<10 {
		t.Errorf("our connection receive window stayed at %d", w)
	}
	t.Logf("our connection window %d; quic-go granted up to %d bytes ahead", cli.conn.flow.recvWindow, *maxGrant)
	if *maxGrant <= 128<<10 {
		t.Errorf("quic-go's stream window for us did not grow past its initial 64 KiB: at most %d bytes of credit ahead", *maxGrant)
	}
}

func TestInteropOurClientAppCloseByUs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan *quicgo.Conn, 1)
	srv := startQuicGoServer(t, nil, func(c *quicgo.Conn) {
		got <- c
		st, err := c.AcceptStream(context.Background())
		if err == nil {
			serveQuicGoStream(st)
		}
	})
	cli := ourClient(t, srv.addr(), DefaultTransportParams())
	col := collect(cli)
	id := int64(-1)
	err := cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && id < 0 {
			id, _ = cli.conn.OpenBidiStream(nil)
			cli.send(id, []byte("ECHOx"), true)
		}
		return id >= 0 && col.fin[id]
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := cli.conn.WriteConnectionClose(nil, nil, cli.buf, &CCErr{Type: CCErrTypeApplication, ErrorCode: 0x42, Reason: []byte("bye now")}, cli.now())
	if err != nil || n == 0 {
		t.Fatalf("WriteConnectionClose = %d, %v", n, err)
	}
	cli.transmit(n)
	sc := <-got
	select {
	case <-sc.Context().Done():
	case <-ctx.Done():
		t.Fatal("quic-go server connection not closed")
	}
	var ae *quicgo.ApplicationError
	if err := context.Cause(sc.Context()); !errors.As(err, &ae) || !ae.Remote || ae.ErrorCode != 0x42 || ae.ErrorMessage != "bye now" {
		t.Fatalf("quic-go server saw %v, want remote application error 0x42 \"bye now\"", err)
	}
	if !cli.conn.InClosingPeriod() {
		t.Errorf("our client is not in its closing period")
	}
}

func TestInteropOurClientAppCloseByQuicGo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, nil, func(c *quicgo.Conn) {
		st, err := c.AcceptStream(context.Background())
		if err != nil {
			return
		}
		b := make([]byte, 5)
		io.ReadFull(st, b)
		c.CloseWithError(0x77, "server says goodbye")
	})
	cli := ourClient(t, srv.addr(), DefaultTransportParams())
	id := int64(-1)
	err := cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && id < 0 {
			id, _ = cli.conn.OpenBidiStream(nil)
			cli.send(id, []byte("ECHOx"), false)
		}
		return cli.conn.CloseError() != nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e := cli.conn.CloseError()
	if e.Type != CCErrTypeApplication || e.ErrorCode != 0x77 || string(e.Reason) != "server says goodbye" {
		t.Fatalf("our client's CloseError = %v, want application 0x77 \"server says goodbye\"", e)
	}
	if !errors.Is(cli.readErr, ErrDraining) {
		t.Errorf("ReadPkt returned %v, want ErrDraining", cli.readErr)
	}
}
