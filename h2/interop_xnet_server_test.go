package h2

// Interop: our client session against golang.org/x/net/http2's Server over
// loopback TCP (driver in interop_driver_test.go).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestInteropXNetServerGET(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	_, m := c.submit(rec, ixReq("GET", "/get"), nil)
	m.wait(t, "GET /get")
	if m.header[":status"] != "200" || m.header["x-method"] != "GET" || m.body.String() != "hello from x/net" || m.code != NoError {
		t.Fatalf("GET against x/net server: status %q, x-method %q, body %q, close code %v", m.header[":status"], m.header["x-method"], m.body.String(), m.code)
	}
}

func TestInteropXNetServerPOST1MiBWithTrailers(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	body := ixPattern(1 << 20)
	_, m := c.submit(rec, ixReq("POST", "/echo", "trailer", "x-req-trailer"), ixBody(body, hdrs("x-req-trailer", "from-ngloop")))
	m.wait(t, "POST /echo")
	if m.header[":status"] != "200" {
		t.Fatalf("status %q", m.header[":status"])
	}
	if !bytes.Equal(m.body.Bytes(), body) {
		t.Fatalf("the 1 MiB body did not come back intact: got %d octets", m.body.Len())
	}
	if got := m.header["x-req-trailer-seen"]; got != "from-ngloop" {
		t.Fatalf("x/net server did not see our request trailer: %q", got)
	}
	if got := m.trailer["x-resp-trailer"]; got != "len=1048576" {
		t.Fatalf("we did not receive x/net's response trailer: %v", m.trailer)
	}
}

func TestInteropXNetServer100ConcurrentStreams(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	var msgs []*ixMessage
	c.do(func(s *Session) {
		for i := range 100 {
			id, err := s.SubmitRequest(ixReq("GET", "/big?n="+strconv.Itoa(1000+i)), nil, nil)
			if err != nil {
				t.Fatalf("SubmitRequest %d: %v", i, err)
			}
			msgs = append(msgs, rec.msg(id))
		}
	})
	for i, m := range msgs {
		m.wait(t, fmt.Sprintf("request %d", i))
		if !bytes.Equal(m.body.Bytes(), ixPattern(1000+i)) {
			t.Fatalf("stream %d: body of %d octets, want %d", i, m.body.Len(), 1000+i)
		}
	}
}

// TestInteropXNetServerGoawayInFlight: x/net's graceful shutdown sends
// GOAWAY while our streams wait for their responses; they all complete.
func TestInteropXNetServerGoawayInFlight(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	var msgs []*ixMessage
	for range 5 {
		_, m := c.submit(rec, ixReq("GET", "/slow"), nil)
		msgs = append(msgs, m)
	}
	deadline := time.Now().Add(ixTimeout)
	for x.slowIn.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	go x.hs.Shutdown(context.Background())
	select {
	case <-rec.goaway:
	case <-time.After(ixTimeout):
		t.Fatal("no GOAWAY from x/net's graceful shutdown")
	}
	close(x.release)
	for i, m := range msgs {
		m.wait(t, fmt.Sprintf("in-flight request %d", i))
		if m.code != NoError || m.body.String() != "slow done" {
			t.Fatalf("in-flight stream %d after GOAWAY: code %v, body %q", i, m.code, m.body.String())
		}
	}
}

// TestInteropXNetServerSlowReader: our client's application reads the
// body one octet at a time, returning each octet of window with Consume
// (manual flow control); x/net's server must wait for our WINDOW_UPDATEs,
// and everything arrives intact.
func TestInteropXNetServerSlowReader(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	const size = 100 << 10 // more than the 65535-octet initial windows
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var pending []byte // received, not yet read by the application
	var c *ixConn
	rec.onData = func(s *Session, id int32, data []byte) {
		mu.Lock()
		pending = append(pending, data...)
		mu.Unlock()
		cond.Signal()
	}
	c = dialOurClient(t, x.ln.Addr().String(), &Options{NoAutoWindowUpdate: true}, rec)
	id, m := c.submit(rec, ixReq("GET", "/big?n="+strconv.Itoa(size)), nil)
	got := make([]byte, 0, size)
	for len(got) < size {
		mu.Lock()
		for len(pending) == 0 {
			cond.Wait()
		}
		b := pending[0]
		pending = pending[1:]
		mu.Unlock()
		got = append(got, b)
		select {
		case c.actions <- func() {
			if err := c.s.Consume(id, 1); err != nil {
				t.Errorf("Consume: %v", err)
			}
		}:
		case <-c.done:
			t.Fatalf("session ended after %d octets: %v", len(got), c.err)
		}
	}
	m.wait(t, "slow reader")
	if !bytes.Equal(got, ixPattern(size)) {
		t.Fatalf("slow reader got %d octets, want %d intact", len(got), size)
	}
}

// TestInteropLargeHeaderBlocks: a 40 KiB header field needs CONTINUATION
// frames (the blocks exceed the 16 KiB frame size) in both directions.
func TestInteropLargeHeaderBlocks(t *testing.T) {
	big := strings.Repeat("abcdefgh", 5<<10)
	t.Run("x/net client to our server", func(t *testing.T) {
		srv := newIxOurServer(t, nil)
		tr := ixTransport()
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("GET", ixURL(srv, "/get"), nil)
		req.Header.Set("x-big", big)
		resp, err := (&http.Client{Transport: tr, Timeout: ixTimeout}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.mu.Lock()
		rec, c := srv.recs[0], srv.conns[0]
		srv.mu.Unlock()
		var got string
		c.do(func(s *Session) { got = rec.streams[1].header["x-big"] })
		if resp.StatusCode != 200 || got != big {
			t.Fatalf("status %d, our server received x-big of %d octets, want %d", resp.StatusCode, len(got), len(big))
		}
	})
	t.Run("our client to x/net server", func(t *testing.T) {
		x := newIxXNetServer(t)
		rec := newIxRecorder()
		c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
		_, m := c.submit(rec, ixReq("GET", "/get", "x-big", big), nil)
		m.wait(t, "GET with a 40 KiB header")
		if m.header[":status"] != "200" {
			t.Fatalf("x/net server answered %q to a 40 KiB header sent with CONTINUATION", m.header[":status"])
		}
	})
}

// TestInteropXNetServerEarlyResponse: x/net's server answers a 1 MiB POST
// without reading the body, then stops the upload (RFC 9113, Section 8.1:
// "the server MAY request that the client abort transmission of a request
// without error by sending a RST_STREAM with an error code of NO_ERROR
// after sending a complete response"). Our client keeps the complete
// response and the connection stays usable.
func TestInteropXNetServerEarlyResponse(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	_, m := c.submit(rec, ixReq("POST", "/get"), ixBody(ixPattern(1<<20), nil))
	m.wait(t, "POST answered early")
	if m.header[":status"] != "200" || m.body.String() != "hello from x/net" {
		t.Fatalf("early response: status %q body %q", m.header[":status"], m.body.String())
	}
	if m.code != NoError && m.code != Cancel {
		t.Fatalf("stream closed with %v after a complete response", m.code)
	}
	_, m = c.submit(rec, ixReq("GET", "/get"), nil)
	m.wait(t, "GET after the early response")
	if m.body.String() != "hello from x/net" {
		t.Fatalf("the connection did not survive: body %q", m.body.String())
	}
}

// TestInteropPing: x/net's client pings an idle connection (ReadIdleTimeout)
// and drops it if the ACK does not come; our server's automatic PING ACK
// keeps it alive. Our client's PING is answered by x/net's server with the
// same opaque data.
func TestInteropPing(t *testing.T) {
	t.Run("x/net client pings our server", func(t *testing.T) {
		srv := newIxOurServer(t, nil)
		tr := ixTransport()
		tr.ReadIdleTimeout = 20 * time.Millisecond
		tr.PingTimeout = 2 * time.Second
		defer tr.CloseIdleConnections()
		client := ixClient(tr)
		for i := range 3 {
			resp, err := client.Get(ixURL(srv, "/get"))
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			time.Sleep(100 * time.Millisecond) // idle: x/net pings
		}
		srv.mu.Lock()
		rec, n := srv.recs[0], len(srv.conns)
		srv.mu.Unlock()
		if n != 1 {
			t.Fatalf("x/net dropped the connection %d times: PING not acknowledged?", n-1)
		}
		if rec.pings.Load() == 0 {
			t.Fatal("x/net sent no PING while idle; the test proves nothing")
		}
	})
	t.Run("our client pings x/net server", func(t *testing.T) {
		x := newIxXNetServer(t)
		rec := newIxRecorder()
		c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
		data := [8]byte{'n', 'g', 'l', 'o', 'o', 'p', 0, 1}
		c.do(func(s *Session) {
			if err := s.SubmitPing(FlagNone, &data); err != nil {
				t.Fatal(err)
			}
		})
		select {
		case got := <-rec.pingAcks:
			if got != data {
				t.Fatalf("PING ACK carries %x, want %x", got, data)
			}
		case <-time.After(ixTimeout):
			t.Fatal("x/net server did not acknowledge our PING")
		}
	})
}
