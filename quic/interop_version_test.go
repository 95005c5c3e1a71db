package quic

import (
	"context"
	"io"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// QUIC version 2 (RFC 9369) with quic-go, both ways.

func TestInteropOurClientVersion2(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, &quicgo.Config{Versions: []quicgo.Version{quicgo.Version2, quicgo.Version1}}, nil)
	cli := ourClientConfig(t, srv.addr(), DefaultTransportParams(), nil)
	cli.cfg.Settings.Version = Version2
	cli.dial(srv.addr())
	col := collect(cli)
	id := int64(-1)
	err := cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && id < 0 {
			id, _ = cli.conn.OpenBidiStream(nil)
			cli.send(id, []byte("ECHOversion two"), true)
		}
		return id >= 0 && col.fin[id]
	})
	if err != nil {
		t.Fatalf("our v2 client: %v", err)
	}
	if got := col.data[id].String(); got != "version two" || cli.conn.Version() != Version2 {
		t.Fatalf("echo %q over version %x, want \"version two\" over v2", got, cli.conn.Version())
	}
}

func TestInteropQuicGoClientVersion2(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)
	c := dialQuicGo(t, ctx, srv.addr(), &quicgo.Config{Versions: []quicgo.Version{quicgo.Version2}})
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("ECHOv2"))
	st.Close()
	got, err := io.ReadAll(st)
	c.CloseWithError(0, "")
	close(stop)
	wait()
	if err != nil || string(got) != "v2" {
		t.Fatalf("echo over v2: %q %v", got, err)
	}
	if v := c.ConnectionState().Version; v != quicgo.Version2 || srv.conn.Version() != Version2 {
		t.Fatalf("versions: quic-go %v, ours %x; want v2", v, srv.conn.Version())
	}
}

// TestInteropOurClientVersionNegotiation: our client starts with v2 at a
// quic-go server that only speaks v1. The server answers with Version
// Negotiation; our client abandons the attempt (RFC 9000, Section 6.2),
// reports the versions, and a new connection with ChooseVersion's pick
// works.
func TestInteropOurClientVersionNegotiation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, &quicgo.Config{Versions: []quicgo.Version{quicgo.Version1}}, nil)
	var offered []uint32
	cli := ourClientConfig(t, srv.addr(), DefaultTransportParams(), nil)
	cli.cfg.Settings.Version = Version2
	cli.cfg.Callbacks.RecvVersionNegotiation = func(_ *Conn, vs []uint32) error {
		offered = append([]uint32(nil), vs...)
		return nil
	}
	cli.dial(srv.addr())
	cli.run(ctx, func() bool { return offered != nil })
	if offered == nil {
		t.Fatalf("v2 client at a v1-only server: no Version Negotiation reported (ReadPkt %v)", cli.readErr)
	}
	if !cli.conn.IsClosed() {
		t.Fatalf("the connection attempt was not abandoned after Version Negotiation")
	}
	if ce := cli.conn.CloseError(); ce == nil || ce.Type != CCErrTypeVersionNegotiation {
		t.Fatalf("CloseError = %v, want CCErrTypeVersionNegotiation", ce)
	}
	v, ok := ChooseVersion(offered, Version2)
	if !ok || v != Version1 {
		t.Fatalf("ChooseVersion(%x) = %x, %v; want v1", offered, v, ok)
	}
	cli2 := ourClientConfig(t, srv.addr(), DefaultTransportParams(), nil)
	cli2.cfg.Settings.Version = v
	cli2.dial(srv.addr())
	if err := cli2.run(ctx, func() bool { return cli2.conn.HandshakeCompleted() }); err != nil {
		t.Fatalf("retry with %x: %v", v, err)
	}
}

func TestChooseVersion(t *testing.T) {
	for _, tc := range []struct {
		offered []uint32
		prefer  []uint32
		want    uint32
		ok      bool
	}{
		{offered: []uint32{Version1}, prefer: []uint32{Version2}, want: Version1, ok: true},
		{offered: []uint32{Version1, Version2}, prefer: []uint32{Version2}, want: Version2, ok: true},
		{offered: []uint32{0xff00001d, 0x1a2a3a4a}, want: 0, ok: false},
		{offered: nil, want: 0, ok: false},
	} {
		if v, ok := ChooseVersion(tc.offered, tc.prefer...); v != tc.want || ok != tc.ok {
			t.Errorf("ChooseVersion(%x, %x) = %x, %v; want %x, %v", tc.offered, tc.prefer, v, ok, tc.want, tc.ok)
		}
	}
}
