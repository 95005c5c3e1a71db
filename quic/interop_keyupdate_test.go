package quic

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// Key updates (RFC 9001, Section 6) initiated by our side while quic-go
// keeps exchanging data: quic-go must follow the new phase.

func TestInteropOurClientKeyUpdate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, nil, nil)
	cli := ourClient(t, srv.addr(), DefaultTransportParams())
	col := collect(cli)
	msg := bytes.Repeat([]byte("key update "), 20000)
	id := int64(-1)
	updates := 0
	err := cli.run(ctx, func() bool {
		c := cli.conn
		if c.handshakeConfirmed && id < 0 {
			id, _ = c.OpenBidiStream(nil)
			cli.send(id, []byte("ECHO"), false)
			cli.sendGen(id, func() ([]byte, bool) { return msg, true })
		}
		// Update whenever the previous one is acknowledged, while data flows.
		if id >= 0 && updates < 3 && c.InitiateKeyUpdate(cli.now()) == nil {
			updates++
		}
		return id >= 0 && col.fin[id]
	})
	if err != nil {
		t.Fatalf("our client: %v", err)
	}
	if updates < 2 {
		t.Fatalf("only %d key updates happened", updates)
	}
	if !bytes.Equal(col.data[id].Bytes(), msg) {
		t.Fatalf("echo across %d key updates: %d bytes, want %d identical", updates, col.data[id].Len(), len(msg))
	}
}

func TestInteropQuicGoClientKeyUpdate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	stop := make(chan struct{})
	updates := 0
	wait := runSide(srv, ctx, stop, func() bool {
		if c := srv.conn; c != nil && c.StreamCount() > 0 && updates < 3 && c.InitiateKeyUpdate(srv.now()) == nil {
			updates++
		}
		return false
	})
	c := dialQuicGo(t, ctx, srv.addr(), nil)
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("key update "), 20000)
	go func() {
		st.Write([]byte("ECHO"))
		st.Write(msg)
		st.Close()
	}()
	got, err := io.ReadAll(st)
	c.CloseWithError(0, "")
	close(stop)
	wait()
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo across key updates: %d bytes (%v), want %d identical", len(got), err, len(msg))
	}
	if updates < 2 {
		t.Fatalf("our server completed only %d key updates", updates)
	}
}
