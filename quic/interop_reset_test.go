package quic

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// RESET_STREAM and STOP_SENDING with quic-go: quic-go resets its send
// side, our server answers by resetting its own; quic-go stops reading,
// our server learns it and resets.
func TestInteropQuicGoClientStreamResets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	resets := map[int64]uint64{}
	stops := map[int64]uint64{}
	srv.cfg.Callbacks.StreamReset = func(c *Conn, id int64, final, code uint64) error {
		resets[id] = code
		return c.ShutdownStreamWrite(id, 0x23)
	}
	srv.cfg.Callbacks.StreamStopSending = func(c *Conn, id int64, code uint64) error {
		stops[id] = code
		return nil
	}
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)
	c := dialQuicGo(t, ctx, srv.addr(), nil)
	defer c.CloseWithError(0, "")

	// Stream 1: quic-go resets its send side with 0x21.
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("ECHOhello"))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(st, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo before reset: %q %v", buf, err)
	}
	st.CancelWrite(0x21)
	_, err = io.ReadAll(st)
	var se *quicgo.StreamError
	if !errors.As(err, &se) || !se.Remote || se.ErrorCode != 0x23 {
		t.Fatalf("quic-go read after its reset: %v; want our RESET_STREAM 0x23", err)
	}

	// Stream 2: quic-go stops reading with 0x22.
	st2, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st2.Write([]byte("ECHOdata"))
	io.ReadFull(st2, buf[:4])
	st2.CancelRead(0x22)
	// A round trip on a third stream: quic-go sends STOP_SENDING before
	// that stream's data, so our server has seen it by the answer.
	st3, _ := c.OpenStreamSync(ctx)
	st3.Write([]byte("ECHOx"))
	st3.Close()
	if b, err := io.ReadAll(st3); err != nil || string(b) != "x" {
		t.Fatalf("round trip after STOP_SENDING: %q %v", b, err)
	}
	close(stop)
	wait()
	id1, id2 := int64(st.StreamID()), int64(st2.StreamID())
	if resets[id1] != 0x21 {
		t.Errorf("our server saw RESET_STREAM code 0x%x on stream %d, want 0x21", resets[id1], id1)
	}
	if stops[id2] != 0x22 {
		t.Errorf("our server saw STOP_SENDING code 0x%x on stream %d, want 0x22", stops[id2], id2)
	}
}
