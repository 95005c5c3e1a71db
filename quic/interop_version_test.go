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
