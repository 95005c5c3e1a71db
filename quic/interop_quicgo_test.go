package quic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
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

// Interop with github.com/quic-go/quic-go over real UDP on loopback, both
// ways. quic-go is a Go module pinned in go.mod, so these tests never
// skip for a missing peer.

const interopALPN = "echo"

// bulkSize is the size of the bulk transfers: 64 MiB, or 8 MiB under the
// race detector (see raceEnabled).
func bulkSize() int {
	if raceEnabled {
		return 8 << 20
	}
	return 64 << 20
}

// genChunk fills b with the deterministic content of chunk i of a bulk
// transfer.
func genChunk(i int, b []byte) {
	x := uint64(i)*0x9E3779B97F4A7C15 + 0x1234567
	for j := 0; j+8 <= len(b); j += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		binary.LittleEndian.PutUint64(b[j:], x)
	}
}

const chunkSize = 64 << 10

// bulkDigest is the SHA-256 of n bytes of generated content.
func bulkDigest(n int) [32]byte {
	h := sha256.New()
	b := make([]byte, chunkSize)
	for i := 0; n > 0; i++ {
		genChunk(i, b)
		k := min(n, chunkSize)
		h.Write(b[:k])
		n -= k
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// bulkReader produces the generated content as an io.Reader.
type bulkReader struct {
	left, i int
	buf     []byte
	pos     int
}

func newBulkReader(n int) *bulkReader {
	return &bulkReader{left: n, buf: make([]byte, chunkSize), pos: chunkSize}
}

func (r *bulkReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if r.pos == len(r.buf) {
		genChunk(r.i, r.buf)
		r.i++
		r.pos = 0
	}
	n := copy(p, r.buf[r.pos:])
	if n > r.left {
		n = r.left
	}
	r.pos += n
	r.left -= n
	return n, nil
}

// bulkGen returns a refill function for udpSide.sendGen.
func bulkGen(n int) func() ([]byte, bool) {
	r := newBulkReader(n)
	buf := make([]byte, chunkSize)
	return func() ([]byte, bool) {
		k, _ := io.ReadFull(r, buf)
		return buf[:k], r.left == 0
	}
}

func interopServerParams() TransportParams {
	p := DefaultTransportParams()
	p.InitialMaxStreamsBidi = 200
	return p
}

// ourServer starts our server Conn on a UDP socket. The app protocol on
// each bidi stream: "ECHO" echoes the rest; "HASH" answers the SHA-256
// of the rest; "GET n\n" sends n bytes of generated content.
func ourServer(t *testing.T, params TransportParams) (*udpSide, func() error) {
	cfg := &Config{TLS: testServerTLS(t, interopALPN), Params: params}
	s := newUDPSide(t, true, cfg)
	type sstate struct {
		mode string
		head []byte
		h    interface {
			Write([]byte) (int, error)
			Sum([]byte) []byte
		}
	}
	states := map[int64]*sstate{}
	s.onData = func(id int64, data []byte, fin bool) {
		st := states[id]
		if st == nil {
			st = &sstate{}
			states[id] = st
		}
		if st.mode == "" {
			st.head = append(st.head, data...)
			if len(st.head) < 4 && !fin {
				return
			}
			st.mode = string(st.head[:min(4, len(st.head))])
			data = st.head[min(4, len(st.head)):]
			if st.mode == "HASH" {
				st.h = sha256.New()
			}
		}
		switch st.mode {
		case "ECHO":
			s.send(id, data, fin)
		case "HASH":
			st.h.Write(data)
			if fin {
				s.send(id, st.h.Sum(nil), true)
			}
		case "GET ":
			st.head = append(st.head, data...)
			if i := bytes.IndexByte(st.head, '\n'); i >= 0 {
				n, _ := strconv.Atoi(string(st.head[4:i]))
				s.sendGen(id, bulkGen(n))
				st.mode = "sent"
			}
		}
	}
	return s, nil
}

// runSide runs s in a goroutine until stop is closed; wait returns its
// result and makes its state safe to read.
func runSide(s *udpSide, ctx context.Context, stop <-chan struct{}, done func() bool) (wait func() error) {
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		err = s.run(ctx, func() bool {
			select {
			case <-stop:
				return true
			default:
			}
			return done != nil && done()
		})
	}()
	return func() error { wg.Wait(); return err }
}

func quicGoClientTLS(t *testing.T) *tls.Config {
	return testClientTLS(t, interopALPN)
}

func dialQuicGo(t *testing.T, ctx context.Context, addr *net.UDPAddr, conf *quicgo.Config) *quicgo.Conn {
	if conf == nil {
		conf = &quicgo.Config{}
	}
	if conf.MaxIdleTimeout == 0 {
		conf.MaxIdleTimeout = 30 * time.Second
	}
	c, err := quicgo.DialAddr(ctx, addr.String(), quicGoClientTLS(t), conf)
	if err != nil {
		t.Fatalf("quic-go dial: %v", err)
	}
	return c
}

func TestInteropQuicGoClientHandshake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)
	c := dialQuicGo(t, ctx, srv.addr(), nil)
	if got := c.ConnectionState().TLS.NegotiatedProtocol; got != interopALPN {
		t.Errorf("quic-go negotiated ALPN %q, want %q", got, interopALPN)
	}
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("ECHOping"))
	st.Close()
	got, err := io.ReadAll(st)
	if err != nil || string(got) != "ping" {
		t.Fatalf("echo over fresh connection: got %q, %v; want \"ping\"", got, err)
	}
	c.CloseWithError(0, "")
	close(stop)
	wait()
	if !srv.conn.HandshakeCompleted() {
		t.Errorf("our server did not complete the handshake")
	}
}

func TestInteropQuicGoClientEcho100Streams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)
	defer func() { close(stop); wait() }()
	c := dialQuicGo(t, ctx, srv.addr(), nil)
	defer c.CloseWithError(0, "")
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, err := c.OpenStreamSync(ctx)
			if err != nil {
				errs <- err
				return
			}
			msg := bytes.Repeat([]byte(fmt.Sprintf("stream %d;", i)), 2000)
			go func() {
				st.Write([]byte("ECHO"))
				st.Write(msg)
				st.Close()
			}()
			got, err := io.ReadAll(st)
			if err != nil {
				errs <- fmt.Errorf("stream %d: %v", i, err)
				return
			}
			if !bytes.Equal(got, msg) {
				errs <- fmt.Errorf("stream %d: echoed %d bytes, want %d identical", i, len(got), len(msg))
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestInteropQuicGoClientTransfer64MiB(t *testing.T) {
	n := bulkSize()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)
	c := dialQuicGo(t, ctx, srv.addr(), nil)
	want := bulkDigest(n)

	// Upload: quic-go sends n bytes, our server answers their SHA-256.
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		st.Write([]byte("HASH"))
		io.Copy(st, newBulkReader(n))
		st.Close()
	}()
	got, err := io.ReadAll(st)
	if err != nil || !bytes.Equal(got, want[:]) {
		t.Fatalf("upload of %d bytes: our server's digest %x (%v), want %x", n, got, err, want)
	}

	// Download: our server sends n bytes, quic-go checks the digest.
	st, err = c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(st, "GET %d\n", n)
	st.Close()
	h := sha256.New()
	m, err := io.Copy(h, st)
	if err != nil || int(m) != n || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("download: quic-go got %d bytes (%v), digest match %v; want %d bytes", m, err, bytes.Equal(h.Sum(nil), want[:]), n)
	}
	c.CloseWithError(0, "")
	close(stop)
	wait()
}

func TestInteropQuicGoClientFlowControlWindowsGrow(t *testing.T) {
	n := bulkSize() / 4
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	params := interopServerParams()
	params.InitialMaxData = 128 << 10
	params.InitialMaxStreamDataBidiRemote = 64 << 10
	srv, _ := ourServer(t, params)
	maxGrant := trackGrants(srv.cfg)
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)
	c := dialQuicGo(t, ctx, srv.addr(), &quicgo.Config{
		InitialStreamReceiveWindow: 64 << 10, InitialConnectionReceiveWindow: 128 << 10,
	})
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		st.Write([]byte("HASH"))
		io.Copy(st, newBulkReader(n))
		st.Close()
	}()
	want := bulkDigest(n)
	got, err := io.ReadAll(st)
	if err != nil || !bytes.Equal(got, want[:]) {
		t.Fatalf("upload through small windows: digest %x (%v), want %x", got, err, want)
	}
	st2, _ := c.OpenStreamSync(ctx)
	fmt.Fprintf(st2, "GET %d\n", n)
	st2.Close()
	m, err := io.Copy(io.Discard, st2)
	if err != nil || int(m) != n {
		t.Fatalf("download through small windows: %d bytes (%v), want %d", m, err, n)
	}
	close(stop)
	wait()
	c.CloseWithError(0, "")
	// Our receive window must have grown past its initial 128 KiB, and
	// quic-go's (as seen in its MAX_DATA to us) past its initial 128 KiB.
	sendMax, recvMax := srv.conn.ConnWindows()
	if recvMax-srv.conn.flow.consumed <= 128<<10 {
		t.Errorf("our connection receive window did not grow: window %d, initial %d", recvMax-srv.conn.flow.consumed, 128<<10)
	}
	if srv.conn.flow.recvWindow <= 128<<10 {
		t.Errorf("our connection window size stayed at %d", srv.conn.flow.recvWindow)
	}
	// quic-go started with a 64 KiB stream window; credit ahead of what we
	// had sent beyond twice that means its window grew.
	t.Logf("our connection window %d; quic-go granted up to %d bytes ahead", srv.conn.flow.recvWindow, *maxGrant)
	if *maxGrant <= 128<<10 {
		t.Errorf("quic-go's stream window for us did not grow: at most %d bytes of credit ahead (MAX_DATA %d)", *maxGrant, sendMax)
	}
}

// trackGrants records, from the peer's MAX_STREAM_DATA frames, the
// largest credit the peer granted beyond the data already sent: with a
// fixed window it stays at most that window.
func trackGrants(cfg *Config) *uint64 {
	var max uint64
	prev := cfg.Callbacks.ExtendMaxStreamData
	cfg.Callbacks.ExtendMaxStreamData = func(c *Conn, id int64, maxData uint64) error {
		if s := c.streams[id]; s != nil && maxData > s.send.end && maxData-s.send.end > max {
			max = maxData - s.send.end
		}
		if prev != nil {
			return prev(c, id, maxData)
		}
		return nil
	}
	return &max
}

func TestInteropQuicGoClientAppCloseByOurServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	closeNow := make(chan struct{}, 1)
	srv.onOpen = func(id int64) {
		select {
		case closeNow <- struct{}{}:
		default:
		}
	}
	stop := make(chan struct{})
	var closeN int
	var closeErr error
	wait := runSide(srv, ctx, stop, func() bool {
		select {
		case <-closeNow:
			closeN, closeErr = srv.conn.WriteConnectionClose(nil, nil, srv.buf, &CCErr{Type: CCErrTypeApplication, ErrorCode: 0x42, Reason: []byte("bye now")}, srv.now())
			if closeN > 0 {
				srv.transmit(closeN)
			}
		default:
		}
		return false
	})
	c := dialQuicGo(t, ctx, srv.addr(), nil)
	st, _ := c.OpenStreamSync(ctx)
	st.Write([]byte("ECHOx"))
	select {
	case <-c.Context().Done():
	case <-ctx.Done():
		t.Fatal("quic-go connection was not closed by our CONNECTION_CLOSE")
	}
	close(stop)
	wait()
	if closeErr != nil || closeN == 0 {
		t.Fatalf("WriteConnectionClose = %d, %v", closeN, closeErr)
	}
	var ae *quicgo.ApplicationError
	if err := context.Cause(c.Context()); !errors.As(err, &ae) || !ae.Remote || ae.ErrorCode != 0x42 || ae.ErrorMessage != "bye now" {
		t.Fatalf("quic-go saw %v, want remote application error 0x42 \"bye now\"", context.Cause(c.Context()))
	}
}

func TestInteropQuicGoClientAppCloseByQuicGo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, func() bool { return srv.conn != nil && srv.conn.CloseError() != nil })
	c := dialQuicGo(t, ctx, srv.addr(), nil)
	st, _ := c.OpenStreamSync(ctx)
	st.Write([]byte("ECHOx"))
	buf := make([]byte, 1)
	io.ReadFull(st, buf)
	c.CloseWithError(0x77, "client says goodbye")
	if err := wait(); err != nil {
		t.Fatalf("our server loop: %v", err)
	}
	e := srv.conn.CloseError()
	if e == nil || e.Type != CCErrTypeApplication || e.ErrorCode != 0x77 || string(e.Reason) != "client says goodbye" {
		t.Fatalf("our server's CloseError = %v, want application 0x77 \"client says goodbye\"", e)
	}
	if !srv.conn.InDrainingPeriod() || !errors.Is(srv.readErr, ErrDraining) {
		t.Errorf("our server is not draining after the peer's close (ReadPkt: %v)", srv.readErr)
	}
	close(stop)
	_ = strings.TrimSpace
}
